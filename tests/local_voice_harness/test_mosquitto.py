"""The harness's own broker: ready only once it really listens (``mosquitto.py``)."""

from __future__ import annotations

import socket

from local_voice_harness.mosquitto import Mosquitto, listening
from local_voice_harness.ports import free_port


def test_started_means_listening_and_stopped_means_not(socket_enabled: None) -> None:
    """The log line comes before the bind: a test once connected in between and was refused."""
    assert not listening(free_port())
    with Mosquitto() as broker:
        assert listening(broker.port)
        with socket.create_connection((broker.host, broker.port), timeout=2):
            pass  # accepted at once after start()
    assert not listening(broker.port)
