"""Past --max-clients a client waits its turn, over real loopback sockets.

An echo handler stands in for a model; the ASR and TTS tests repeat the
main cases against the real servers.
"""

from __future__ import annotations

import argparse
import asyncio
import time

import pytest
from wyoming.event import Event, async_read_event, async_write_event

from wyoming_servers.core.cli import queue_length, queue_seconds
from wyoming_servers.core.connection import Connection, ConnectionContext
from wyoming_servers.core.limits import ClientLimits, ReadLimits
from wyoming_servers.core.metrics import REGISTRY, ServerMetrics
from wyoming_servers.core.server import WyomingServer

Client = tuple[asyncio.StreamReader, asyncio.StreamWriter]
SERVER = "admission-test"


class Echo(Connection):
    """Answers every event with ``echo``."""

    async def handle_event(self, event: Event) -> bool:
        await self.write_event(Event("echo", {"type": event.type}))
        return True


async def _server(**clients: float) -> WyomingServer:
    context = ConnectionContext(ServerMetrics(SERVER), ReadLimits(idle_timeout=30))
    limits = ClientLimits(**{"max_clients": 1, "max_queued": 4, "queue_timeout": 5, **clients})
    server = WyomingServer("tcp://127.0.0.1:0", Echo, context, clients=limits)  # type: ignore[arg-type]
    await server.start()
    return server


async def _until(condition: object, what: str) -> None:
    """Wait (at most 5 s) until ``condition()`` holds."""
    for _ in range(500):
        if condition():  # type: ignore[operator]
            return
        await asyncio.sleep(0.01)
    pytest.fail(f"timed out waiting for {what}")


async def _connect(server: WyomingServer, *, waiting: int | None = None) -> Client:
    """Connect and send ``ping``; with ``waiting``, return once that many wait in line."""
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    await async_write_event(Event("ping"), writer)
    if waiting is not None:
        await _until(lambda: server.admission.waiting == waiting, f"{waiting} waiting")
    return reader, writer


async def _answered(client: Client, within: float = 5.0) -> bool:
    """Whether the client's ``ping`` is echoed within ``within`` seconds."""
    try:
        event = await asyncio.wait_for(async_read_event(client[0]), within)
    except TimeoutError:
        return False
    assert event == Event("echo", {"type": "ping"}), event
    return True


async def _refused(client: Client) -> dict:
    event = await asyncio.wait_for(async_read_event(client[0]), 10)
    assert event is not None
    assert event.type == "error", event
    assert await asyncio.wait_for(client[0].read(), 5) == b""  # and the server closed
    return event.data


def _count(outcome: str) -> float:
    labels = {"server": SERVER, "outcome": outcome}
    return REGISTRY.get_sample_value("local_voice_connection_queue_total", labels) or 0.0


def _queue_depth() -> float:
    return REGISTRY.get_sample_value("local_voice_queue_depth", {"server": SERVER}) or 0.0


async def test_three_clients_at_a_limit_of_one_are_served_in_order(socket_enabled: None) -> None:
    server = await _server()
    try:
        first = await _connect(server)
        assert await _answered(first)
        second = await _connect(server, waiting=1)
        third = await _connect(server, waiting=2)
        assert _queue_depth() == 2
        assert not await _answered(second, within=0.3)  # what it sent waits with it
        first[1].close()
        assert await _answered(second)
        assert not await _answered(third, within=0.3)
        second[1].close()
        assert await _answered(third)
        assert (server.admission.serving, server.admission.waiting) == (1, 0)
        assert _queue_depth() == 0
        third[1].close()
        await _until(lambda: server.admission.serving == 0, "the last slot freed")
    finally:
        await server.stop()


async def test_a_full_queue_refuses_at_once_with_a_clear_error(socket_enabled: None) -> None:
    server = await _server(max_queued=1)
    full_before, errors_before = _count("full"), _errors("too-many-clients")
    try:
        first = await _connect(server)
        assert await _answered(first)
        waiting = await _connect(server, waiting=1)
        began = time.monotonic()
        data = await _refused(await _connect(server))
        assert time.monotonic() - began < 2  # at once, not after the queue timeout
        assert data["code"] == "too-many-clients"
        assert "busy" in data["text"]
        first[1].close()
        assert await _answered(waiting)  # the refusal cost the waiting client nothing
    finally:
        await server.stop()
    assert (_count("full"), _errors("too-many-clients")) == (full_before + 1, errors_before + 1)


async def test_no_queue_refuses_at_once(socket_enabled: None) -> None:
    server = await _server(max_queued=0)
    try:
        first = await _connect(server)
        assert await _answered(first)
        assert (await _refused(await _connect(server)))["code"] == "too-many-clients"
    finally:
        await server.stop()


async def test_a_wait_past_the_timeout_gets_a_clear_error(socket_enabled: None) -> None:
    server = await _server(queue_timeout=0.5)
    before = _count("timeout")
    try:
        first = await _connect(server)
        assert await _answered(first)
        began = time.monotonic()
        data = await _refused(await _connect(server, waiting=1))
        assert 0.45 <= time.monotonic() - began < 3
        assert data["code"] == "queue-timeout"
        assert "0.5 s" in data["text"]
        assert server.admission.waiting == 0
        first[1].close()
        assert await _answered(await _connect(server))  # the slot is free again
    finally:
        await server.stop()
    assert _count("timeout") == before + 1


async def test_a_client_that_leaves_the_queue_does_not_block_the_next(
    socket_enabled: None,
) -> None:
    server = await _server()
    left_before, served_before = _count("left"), _count("served")
    try:
        first = await _connect(server)
        assert await _answered(first)
        leaving = await _connect(server, waiting=1)
        staying = await _connect(server, waiting=2)
        leaving[1].close()
        await _until(lambda: server.admission.waiting == 1, "the leaver gone from the line")
        first[1].close()
        assert await _answered(staying, within=2)
        assert server.admission.serving == 1
    finally:
        await server.stop()
    assert _count("left") == left_before + 1
    assert _count("served") == served_before + 1


async def test_stopping_the_server_ends_waiting_clients_too(socket_enabled: None) -> None:
    server = await _server()
    first = await _connect(server)
    assert await _answered(first)
    waiting = await _connect(server, waiting=1)
    began = time.monotonic()
    await server.stop()
    assert time.monotonic() - began < 3  # not held until the queue timeout
    assert await asyncio.wait_for(waiting[0].read(), 5) == b""
    assert server.admission.waiting == 0


def test_client_limits_are_checked_with_clear_errors() -> None:
    assert ClientLimits() == ClientLimits(max_clients=8, max_queued=32, queue_timeout=10.0)
    for bad, message in (
        ({"max_clients": 0}, "max_clients"),
        ({"max_queued": -1}, "max_queued"),
        ({"max_queued": 100_000}, "max_queued"),
        ({"queue_timeout": 0}, "queue_timeout"),
        ({"queue_timeout": float("nan")}, "queue_timeout"),
    ):
        with pytest.raises(ValueError, match=message):
            ClientLimits(**bad)  # type: ignore[arg-type]
    assert (queue_length("0"), queue_seconds("2.5")) == (0, 2.5)
    for parse, text in ((queue_length, "-1"), (queue_length, "5000"), (queue_seconds, "0")):
        with pytest.raises(argparse.ArgumentTypeError):
            parse(text)


def _errors(kind: str) -> float:
    labels = {"server": SERVER, "kind": kind}
    return REGISTRY.get_sample_value("local_voice_errors_total", labels) or 0.0
