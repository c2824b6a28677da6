"""The connection runner over real loopback sockets, with a tiny echo handler.

Connection policy lives here (max clients, allow list, timeouts, unix
sockets; the line of waiting clients in ``test_admission.py``), independent
of any model; the ASR tests repeat the important cases against the real
server process.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
from typing import TYPE_CHECKING

import pytest
from wyoming.event import Event, async_read_event, async_write_event

from wyoming_servers.core.connection import Connection, ConnectionContext
from wyoming_servers.core.limits import ClientLimits, ReadLimits
from wyoming_servers.core.metrics import REGISTRY, ServerMetrics
from wyoming_servers.core.server import WyomingServer, parse_uri, peer_allowed

if TYPE_CHECKING:
    from pathlib import Path


class Echo(Connection):
    """Answers every event with ``echo``; ``crash`` raises a plain bug."""

    async def handle_event(self, event: Event) -> bool:
        if event.type == "crash":
            raise KeyError("secret detail")
        await self.write_event(Event("echo", {"type": event.type}))
        return event.type != "bye"


def _context(**limits: float) -> ConnectionContext:
    return ConnectionContext(
        ServerMetrics("test"), ReadLimits(**{"idle_timeout": 1, "read_timeout": 0.5, **limits})
    )


async def _server(uri: str = "tcp://127.0.0.1:0", **kwargs: object) -> WyomingServer:
    server = WyomingServer(uri, Echo, _context(), **kwargs)  # type: ignore[arg-type]
    await server.start()
    return server


async def _echo_ok(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    await async_write_event(Event("ping"), writer)
    event = await asyncio.wait_for(async_read_event(reader), 2)
    assert event == Event("echo", {"type": "ping"})
    writer.close()


async def _error_of(reader: asyncio.StreamReader) -> dict:
    event = await asyncio.wait_for(async_read_event(reader), 5)
    assert event is not None
    assert event.type == "error", event
    assert await asyncio.wait_for(reader.read(), 5) == b""  # and the server closed
    return event.data


async def test_past_max_clients_without_a_queue_a_client_gets_an_error_not_a_hang(
    socket_enabled: None,
) -> None:
    server = await _server(clients=ClientLimits(max_clients=2, max_queued=0))
    try:
        held = [await asyncio.open_connection("127.0.0.1", server.port) for _ in range(2)]
        await asyncio.sleep(0.1)
        reader, _ = await asyncio.open_connection("127.0.0.1", server.port)
        data = await _error_of(reader)
        assert data["code"] == "too-many-clients"
        held[0][1].close()
        await asyncio.sleep(0.2)
        await _echo_ok(server.port)  # a slot is free again
    finally:
        await server.stop()


async def test_bad_client_ends_only_its_own_connection(socket_enabled: None) -> None:
    server = await _server()
    try:
        good_reader, good_writer = await asyncio.open_connection("127.0.0.1", server.port)
        bad_reader, bad_writer = await asyncio.open_connection("127.0.0.1", server.port)
        bad_writer.write(b'{"type": "x", "payload_length": "lots"}\n')
        assert (await _error_of(bad_reader))["code"] == "bad-length"
        await async_write_event(Event("still-here"), good_writer)
        assert (await async_read_event(good_reader)) == Event("echo", {"type": "still-here"})
        crash_reader, crash_writer = await asyncio.open_connection("127.0.0.1", server.port)
        await async_write_event(Event("crash"), crash_writer)
        data = await _error_of(crash_reader)
        assert data["code"] == "server-error"
        assert "secret" not in data["text"]
        await _echo_ok(server.port)
    finally:
        await server.stop()


async def test_idle_and_slow_drip_connections_are_closed_with_an_error(
    socket_enabled: None,
) -> None:
    server = await _server()
    try:
        idle_reader, _idle = await asyncio.open_connection("127.0.0.1", server.port)
        drip_reader, drip = await asyncio.open_connection("127.0.0.1", server.port)
        drip.write(b'{"type": ')
        assert (await _error_of(drip_reader))["code"] == "read-timeout"
        assert (await _error_of(idle_reader))["code"] == "idle-timeout"
    finally:
        await server.stop()


async def test_allow_list_refuses_other_networks(socket_enabled: None) -> None:
    server = await _server(allow=[ipaddress.ip_network("10.0.0.0/8")])
    try:
        reader, _ = await asyncio.open_connection("127.0.0.1", server.port)
        assert (await _error_of(reader))["code"] == "not-allowed"
    finally:
        await server.stop()
    server = await _server(allow=[ipaddress.ip_network("127.0.0.0/8")])
    try:
        await _echo_ok(server.port)
    finally:
        await server.stop()


async def test_unix_socket_serves_and_cleans_up(tmp_path: Path, socket_enabled: None) -> None:
    import _socket
    import socket

    path = tmp_path / "asr.sock"
    server = await _server(f"unix://{path}")
    try:
        # pytest-socket allows loopback TCP only; connect at the C level, then wrap.
        raw = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
        raw.connect(str(path))
        reader, writer = await asyncio.open_unix_connection(sock=socket.socket(fileno=raw.detach()))
        await async_write_event(Event("bye"), writer)
        assert await async_read_event(reader) == Event("echo", {"type": "bye"})
        assert await reader.read() == b""  # handle_event returned False: connection over
    finally:
        await server.stop()
    assert not path.exists()


def test_uri_parsing_and_peer_checks() -> None:
    assert parse_uri("tcp://0.0.0.0:10300") == ("tcp", "0.0.0.0", 10300)
    assert parse_uri("unix:///tmp/x.sock") == ("unix", "/tmp/x.sock", 0)
    assert parse_uri("stdio://")[0] == "stdio"
    for bad in ("http://x:1", "tcp://host", "tcp://:5", "unix://", "tcp://h:99999"):
        with pytest.raises(ValueError, match="tcp|unix|port|host"):
            parse_uri(bad)
    lan = [ipaddress.ip_network("192.168.1.0/24")]
    assert peer_allowed(("192.168.1.7", 5), lan)
    assert peer_allowed(("::ffff:192.168.1.7", 5, 0, 0), lan)
    assert not peer_allowed(("192.168.2.7", 5), lan)
    assert not peer_allowed(("garbage", 5), lan)
    assert peer_allowed("", lan)  # unix socket peers have no address


async def test_metrics_count_connections_and_errors(socket_enabled: None) -> None:
    def value(name: str, **labels: str) -> float:
        return REGISTRY.get_sample_value(name, {"server": "test", **labels}) or 0.0

    before = value("local_voice_errors_total", kind="malformed-event")
    server = await _server()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(json.dumps([1]).encode() + b"\n")
        await _error_of(reader)
    finally:
        await server.stop()
    assert value("local_voice_errors_total", kind="malformed-event") == before + 1
    assert value("local_voice_active_sessions") == 0
