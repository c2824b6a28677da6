"""A broker restart in the middle of an utterance: the satellite survives and works again.

The satellite process reads its microphone from stdin, which this test feeds
at real-time pace; the broker is stopped while the session streams, stays
down for a second and comes back on the same port.
"""

from __future__ import annotations

import subprocess
import threading
import time
from typing import TYPE_CHECKING

import local_voice_protocol as protocol
import pytest
from local_voice_satellite.audio_in import read_wav
from local_voice_satellite.client import Backoff
from satellite_helpers import MqttPeer, satellite_cmd, satellite_env, silence

if TYPE_CHECKING:
    from pathlib import Path

    from local_voice_harness.commands import SpokenCommand
    from local_voice_harness.mosquitto import Mosquitto

SAT = "porch"


def _feed(stdin: object, pcm: bytes, stop: threading.Event) -> None:
    """Write 10 ms frames at real-time pace."""
    start = time.monotonic()
    for index, offset in enumerate(range(0, len(pcm), 320)):
        if stop.is_set():
            return
        delay = start + index * 0.01 - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        stdin.write(pcm[offset : offset + 320])  # type: ignore[attr-defined]
        stdin.flush()  # type: ignore[attr-defined]


def _ha(broker: Mosquitto) -> MqttPeer:
    ha = MqttPeer(broker.port)
    assert not ha.connect().is_failure
    ha.subscribe(f"local_voice/{SAT}/#")
    return ha


@pytest.mark.slow
@pytest.mark.usefixtures("socket_enabled")
def test_broker_restart_mid_session_then_next_utterance_works(
    private_broker: Mosquitto,
    wake_word_pcm: bytes,
    dev_commands: list[SpokenCommand],
    tmp_path: Path,
) -> None:
    cmd = read_wav(next(c for c in dev_commands if c.audio.name == "cmd01.wav").audio)
    utterance = silence(0.3) + wake_word_pcm + silence(0.2) + cmd + silence(0.8)
    log_path = tmp_path / "satellite.log"
    proc = subprocess.Popen(
        satellite_cmd(
            *("--satellite-id", SAT, "--input", "-", "--output", f"dir:{tmp_path / 'out'}"),
            *("--host", "127.0.0.1", "--port", str(private_broker.port), "--exit-on-eof"),
        ),
        env=satellite_env(),
        stdin=subprocess.PIPE,
        stdout=log_path.open("wb"),
        stderr=subprocess.STDOUT,
    )
    assert proc.stdin is not None
    stop = threading.Event()
    ha = _ha(private_broker)
    try:
        ha.wait_for(lambda m: m.topic.endswith("/availability") and m.payload == b"online")
        feeder = threading.Thread(target=_feed, args=(proc.stdin, utterance, stop), daemon=True)
        feeder.start()
        first = ha.wait_event("session_start", 15)
        ha.wait_for(lambda m: m.topic.endswith(f"/audio/in/{first['session_id']}"), 5)
        ha.close()
        private_broker.restart(down_for=1.0)  # mid-utterance: the command is still streaming
        ha = _ha(private_broker)
        # Back: availability and announce are published again (the broker kept nothing).
        ha.wait_for(lambda m: m.topic.endswith("/availability") and m.payload == b"online", 20)
        protocol.parse_announce(ha.wait_for(lambda m: m.topic.endswith("/announce")).payload, SAT)
        feeder.join(timeout=30)
        assert proc.poll() is None, log_path.read_text()
        # The next utterance works end to end.
        feeder = threading.Thread(target=_feed, args=(proc.stdin, utterance, stop), daemon=True)
        feeder.start()
        start = ha.wait_event("session_start", 15)
        assert start["session_id"] != first["session_id"]
        end = ha.wait_event("session_end", 15)
        assert (end["session_id"], end["reason"]) == (start["session_id"], "vad")
        chunks = [m for m in ha.log if m.topic.endswith(f"/audio/in/{start['session_id']}")]
        assert len(chunks) == end["chunks"] > 20
        feeder.join(timeout=30)
        proc.stdin.close()
        assert proc.wait(timeout=20) == 0
    finally:
        stop.set()
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
        ha.close()
    log = log_path.read_text()
    assert f"broker connection lost: session {first['session_id']} ended" in log, log
    assert "Traceback" not in log, log


def test_backoff_grows_with_jitter_and_resets() -> None:
    import random

    backoff = Backoff(0.5, 30.0, random.Random(1))
    delays = [backoff.next_delay() for _ in range(10)]
    assert all(0.25 <= d <= 30.0 for d in delays)
    assert max(delays[6:]) > max(delays[:2])  # grows
    assert len({round(d, 3) for d in delays}) == len(delays)  # jittered, not lockstep
    caps = [min(30.0, 0.5 * 2**i) for i in range(10)]
    assert all(d <= c for d, c in zip(delays, caps, strict=True))
    backoff.reset()
    assert backoff.next_delay() <= 0.5


@pytest.mark.usefixtures("socket_enabled")
def test_satellite_starts_without_a_broker_and_connects_later(
    unused_port: int, tmp_path: Path
) -> None:
    """A broker outage at boot is not fatal: it keeps retrying, then connects."""
    from local_voice_harness.mosquitto import Mosquitto

    log_path = tmp_path / "satellite.log"
    proc = subprocess.Popen(
        satellite_cmd(
            "--satellite-id",
            SAT,
            "--input",
            "-",
            "--output",
            "none",
            "--host",
            "127.0.0.1",
            "--port",
            str(unused_port),
            "--exit-on-eof",
        ),
        env=satellite_env(),
        stdin=subprocess.PIPE,
        stdout=log_path.open("wb"),
        stderr=subprocess.STDOUT,
    )
    assert proc.stdin is not None
    try:
        time.sleep(2.0)
        assert proc.poll() is None
        assert "cannot reach broker" in log_path.read_text()
        with Mosquitto(unused_port) as broker:
            ha = _ha(broker)
            try:
                ha.wait_for(
                    lambda m: m.topic.endswith("/availability") and m.payload == b"online", 20
                )
            finally:
                ha.close()
            proc.stdin.close()
            assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)


@pytest.mark.usefixtures("socket_enabled")
def test_sigterm_says_offline_and_exits_cleanly(
    mosquitto_broker: Mosquitto, tmp_path: Path
) -> None:
    """systemd stops the service with SIGTERM: availability goes offline (retained), exit 0."""
    import signal

    ha = MqttPeer(mosquitto_broker.port)
    assert not ha.connect().is_failure
    ha.subscribe("local_voice/attic/#")
    proc = subprocess.Popen(
        satellite_cmd(
            *("--satellite-id", "attic", "--input", "-", "--output", "none"),
            *("--host", "127.0.0.1", "--port", str(mosquitto_broker.port)),
        ),
        env=satellite_env(),
        stdin=subprocess.PIPE,
        stdout=(tmp_path / "satellite.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        ha.wait_for(lambda m: m.topic.endswith("/availability") and m.payload == b"online")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
        offline = ha.wait_for(lambda m: m.topic.endswith("/availability"), 5)
        assert offline.payload == b"offline"
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
        ha.close()
