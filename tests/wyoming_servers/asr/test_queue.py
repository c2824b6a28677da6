"""Past --max-clients a client waits its turn: the real server, real sockets, real speech.

``small_asr_server`` serves one client at a time and lets two more wait
(``--max-queued 2``, ``--queue-timeout`` 10 s by default). The timeout
itself is tested against the TTS server (``tts/test_server_options.py``)
and the echo server (``core/test_admission.py``).
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

import pytest
from wyoming.event import async_read_event, async_write_event
from wyoming.info import Describe, Info

from local_voice_harness.metrics import counter_by_label, scrape
from local_voice_harness.servers import WavAudio, transcribe_wav
from wyoming_servers.asr.scoring import normalize

if TYPE_CHECKING:
    from local_voice_harness.commands import SpokenCommand

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("socket_enabled")]
Client = tuple[asyncio.StreamReader, asyncio.StreamWriter]


async def _metrics(server: Any) -> str:
    return await asyncio.to_thread(scrape, server.metrics_port)


async def _until_waiting(server: Any, count: int) -> None:
    """Until ``count`` clients wait in line (the queue depth; no decode is running)."""
    needle = f'local_voice_queue_depth{{server="asr"}} {float(count)}'
    for _ in range(100):
        if needle in await _metrics(server):
            return
        await asyncio.sleep(0.05)
    pytest.fail(f"never {count} waiting")


async def _describe(server: Any) -> Client:
    """Connect and send ``describe`` (answered once this client's turn comes)."""
    reader, writer = await asyncio.open_connection(server.host, server.port)
    await async_write_event(Describe().event(), writer)
    return reader, writer


async def _info(client: Client, within: float = 10.0) -> bool:
    try:
        event = await asyncio.wait_for(async_read_event(client[0]), within)
    except TimeoutError:
        return False
    assert event is not None
    return Info.is_type(event.type)


async def _outcomes(server: Any) -> dict[str, float]:
    text = await _metrics(server)
    return counter_by_label(
        text, "local_voice_connection_queue_total", "outcome", "served", "left", "full"
    )


async def test_three_clients_at_once_are_all_served_in_order(
    small_asr_server: Any, dev_commands: list[SpokenCommand]
) -> None:
    commands = dev_commands[:3]
    finished: list[int] = []
    before = await _outcomes(small_asr_server)

    async def client(index: int) -> str:
        await asyncio.sleep(0.1 * index)  # arrive in this order
        audio = WavAudio.load(commands[index].audio)
        result = await transcribe_wav(small_asr_server.host, small_asr_server.port, audio)
        finished.append(index)
        return result.transcript.text

    texts = await asyncio.gather(*(client(index) for index in range(3)))
    assert finished == [0, 1, 2]
    assert [normalize(text) for text in texts] == [c.text.split() for c in commands]
    after = await _outcomes(small_asr_server)
    assert after["served"] - before["served"] >= 1  # at least one waited (usually two)


async def test_a_full_queue_gets_a_clear_error_and_the_line_is_served(
    small_asr_server: Any,
) -> None:
    held = await _describe(small_asr_server)
    assert await _info(held)
    waiting = [await _describe(small_asr_server) for _ in range(2)]
    await _until_waiting(small_asr_server, 2)
    began = time.monotonic()
    refused = await _describe(small_asr_server)
    event = await asyncio.wait_for(async_read_event(refused[0]), 10)
    assert event is not None
    assert event.type == "error", event
    assert event.data["code"] == "too-many-clients"
    assert time.monotonic() - began < 3  # at once, not after the queue timeout
    assert await asyncio.wait_for(refused[0].read(), 5) == b""
    held[1].close()
    for client in waiting:  # each in turn, as the one before it closes
        assert await _info(client)
        client[1].close()
    await _until_waiting(small_asr_server, 0)


async def test_a_client_that_leaves_the_queue_does_not_block_the_next(
    small_asr_server: Any,
) -> None:
    before = await _outcomes(small_asr_server)
    held = await _describe(small_asr_server)
    assert await _info(held)
    leaving = await _describe(small_asr_server)
    await _until_waiting(small_asr_server, 1)
    staying = await _describe(small_asr_server)
    await _until_waiting(small_asr_server, 2)
    leaving[1].close()
    await _until_waiting(small_asr_server, 1)
    held[1].close()
    began = time.monotonic()
    assert await _info(staying)
    assert time.monotonic() - began < 3
    staying[1].close()
    after = await _outcomes(small_asr_server)
    assert after["left"] == before["left"] + 1
