"""Who may connect: ``--allow`` on the real servers, checked from a loopback address outside it.

Each real server process (speech-to-text, text-to-speech, HTTP gateway) is
started with ``--allow 127.0.0.1/32``; a client bound to 127.0.0.2 (also
loopback, but outside the list) is refused (Wyoming: an ``error`` event with
code ``not-allowed``; HTTP: 403), the refusal is logged with its address,
and a client from 127.0.0.1 is served. Without ``--allow`` the default is
loopback and the private LAN ranges, never "anyone".
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from typing import TYPE_CHECKING

import pytest
from wyoming.event import async_read_event, async_write_event
from wyoming.info import Describe

from local_voice_harness import paths
from local_voice_harness.ports import free_port
from local_voice_harness.servers import WyomingProcess
from wyoming_servers.asr.__main__ import build_parser as asr_parser
from wyoming_servers.core.cli import allowed_networks
from wyoming_servers.core.server import peer_allowed
from wyoming_servers.tts.__main__ import build_parser as tts_parser

if TYPE_CHECKING:
    from pathlib import Path

OUTSIDER = "127.0.0.2"


async def _describe_from(source: str, port: int) -> str:
    """Send ``describe`` from ``source``; the first event's type (or its error code)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=5, source_address=(source, 0))
    sock.setblocking(False)
    reader, writer = await asyncio.open_connection(sock=sock)
    try:
        await async_write_event(Describe().event(), writer)
        event = await asyncio.wait_for(async_read_event(reader), 10)
    finally:
        writer.close()
    assert event is not None
    return str(event.data.get("code")) if event.type == "error" else event.type


def test_default_is_loopback_and_private_ranges() -> None:
    for parser in (asr_parser(), tts_parser()):
        allow = allowed_networks(parser.parse_args([]))
        for peer in ("127.0.0.1", "10.1.2.3", "172.20.0.5", "192.168.1.7", "::1", "fd00::5"):
            assert peer_allowed((peer, 1), allow), peer
        for peer in ("8.8.8.8", "100.64.0.1", "172.32.0.1", "2001:db8::1"):
            assert not peer_allowed((peer, 1), allow), peer
        given = allowed_networks(parser.parse_args(["--allow", "10.9.0.0/16"]))
        assert [str(n) for n in given] == ["10.9.0.0/16"]


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["asr", "tts"])
async def test_wyoming_server_refuses_and_logs_outsiders(
    kind: str, tmp_path: Path, socket_enabled: None
) -> None:
    log = tmp_path / f"{kind}.log"
    make = WyomingProcess.asr if kind == "asr" else WyomingProcess.tts
    server = make("--allow", "127.0.0.1/32", log_path=log)
    await asyncio.to_thread(server.start)
    try:
        assert await _describe_from(OUTSIDER, server.port) == "not-allowed"
        assert await _describe_from("127.0.0.1", server.port) == "info"
        assert await _describe_from(OUTSIDER, server.port) == "not-allowed"  # still serving
    finally:
        await asyncio.to_thread(server.stop)
    refusals = [line for line in log.read_text().splitlines() if "refused" in line]
    assert len(refusals) == 2
    assert all(OUTSIDER in line for line in refusals)


def _get_from(source: str, port: int, path: str) -> tuple[int, bytes]:
    with socket.create_connection(
        ("127.0.0.1", port), timeout=5, source_address=(source, 0)
    ) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


@pytest.mark.slow
def test_http_gateway_refuses_and_logs_outsiders(tmp_path: Path, socket_enabled: None) -> None:
    port = free_port()
    log = tmp_path / "http.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                *(sys.executable, "-m", "wyoming_servers.http_api", "--host", "127.0.0.1"),
                *("--port", str(port), "--allow", "127.0.0.1/32"),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=paths.REPO_ROOT,
            env={**os.environ, "PYTHONPATH": str(paths.REPO_ROOT)},
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                status, _ = _get_from("127.0.0.1", port, "/openapi.json")
                break
            except OSError:
                assert proc.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        assert status == 200
        status, body = _get_from(OUTSIDER, port, "/v1/models")
        assert status == 403
        assert json.loads(body)["error"]["code"] == "not-allowed"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    refusals = [line for line in log.read_text().splitlines() if "refused" in line]
    assert len(refusals) == 1
    assert OUTSIDER in refusals[0]
