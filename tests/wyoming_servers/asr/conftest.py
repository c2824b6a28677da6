"""A second server of this folder's own: one client at a time, two more waiting, metrics, zeroconf."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import pytest

from local_voice_harness.ports import free_port
from local_voice_harness.servers import WyomingProcess

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture(scope="module")
def small_asr_server() -> Iterator[Any]:
    """``--max-clients 1 --max-queued 2 --metrics-port P --zeroconf NAME``.

    Attributes ``metrics_port`` and ``zeroconf_name``.
    """
    import pytest_socket

    pytest_socket.enable_socket()
    metrics_port = free_port()
    name = f"lv-test-{uuid.uuid4().hex[:8]}"
    server = WyomingProcess.asr(
        "--max-clients",
        "1",
        "--max-queued",
        "2",
        "--metrics-port",
        str(metrics_port),
        "--zeroconf",
        name,
        "--idle-timeout",
        "5",
    )
    with server:
        server.metrics_port = metrics_port  # type: ignore[attr-defined]
        server.zeroconf_name = name  # type: ignore[attr-defined]
        yield server
