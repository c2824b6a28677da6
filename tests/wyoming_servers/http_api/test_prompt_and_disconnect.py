"""``prompt`` reaches the server as vocabulary; a client leaving mid-stream frees its slot."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import aiohttp
import pytest
from wyoming.event import Event, async_read_event, async_write_event

from wyoming_servers.http_api.transcriptions import vocabulary_from_prompt

if TYPE_CHECKING:
    from collections.abc import Callable

    from local_voice_harness.commands import SpokenCommand

    from .conftest import ApiProcess, Stack


def test_vocabulary_from_prompt() -> None:
    assert vocabulary_from_prompt("desk lamp, office fan;\nkitchen light") == [
        "desk lamp",
        "office fan",
        "kitchen light",
    ]
    long_phrase = " ".join(["word"] * 40)  # 199 characters without a comma
    pieces = vocabulary_from_prompt(long_phrase)
    assert all(len(piece) <= 64 for piece in pieces)
    assert " ".join(pieces) == long_phrase
    assert vocabulary_from_prompt(" , ,\n") == []
    assert len(vocabulary_from_prompt(",".join(f"n{i}" for i in range(500)))) == 200


async def _transcribe(url: str, wav: bytes, prompt: str) -> str:
    form = aiohttp.FormData(default_to_multipart=True)
    form.add_field("file", wav, filename="cmd.wav", content_type="audio/wav")
    form.add_field("model", "whisper-1")
    form.add_field("response_format", "text")
    form.add_field("prompt", prompt)
    endpoint = f"{url}/v1/audio/transcriptions"
    async with aiohttp.ClientSession() as session, session.post(endpoint, data=form) as response:
        assert response.status == 200
        return (await response.text()).lower()


class _RecordingProxy:
    """Passes Wyoming traffic to the real ASR server and keeps the client's events."""

    def __init__(self, host: str, port: int) -> None:
        self.upstream = (host, port)
        self.events: list[Event] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.upstream)

        async def back() -> None:
            while data := await up_reader.read(65536):
                writer.write(data)
                await writer.drain()
            writer.close()

        replies = asyncio.create_task(back())
        try:
            while (event := await async_read_event(reader)) is not None:
                self.events.append(event)
                await async_write_event(event, up_writer)
        finally:
            up_writer.close()
            replies.cancel()
            await asyncio.gather(replies, return_exceptions=True)
            writer.close()


@pytest.mark.slow
async def test_prompt_becomes_the_servers_vocabulary(
    api_stack: Stack,
    socket_enabled: None,
    dev_commands: list[SpokenCommand],
    start_gateway: Callable[[list[str]], ApiProcess],
) -> None:
    """The gateway sends ``prompt`` as ``transcribe.context.vocabulary`` to the real server."""
    proxy = _RecordingProxy(api_stack.asr.host, api_stack.asr.port)
    server = await asyncio.start_server(proxy.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    args = ["--asr-uri", f"tcp://127.0.0.1:{port}", "--tts-uri", api_stack.tts.uri]
    gateway = await asyncio.to_thread(start_gateway, args)
    try:
        command = next(c for c in dev_commands if c.audio.name == "cmd08.wav")
        heard = await _transcribe(
            gateway.base_url, command.audio.read_bytes(), "desk lamp, office fan;\nkitchen light"
        )
    finally:
        server.close()
        await server.wait_closed()
    assert "desk lamp" in heard, heard
    transcribe = next(event for event in proxy.events if event.type == "transcribe")
    assert transcribe.data["context"]["vocabulary"] == ["desk lamp", "office fan", "kitchen light"]
    assert [event.type for event in proxy.events][-1] == "audio-stop"


async def _metric(session: aiohttp.ClientSession, url: str, name: str) -> float:
    async with session.get(f"{url}/metrics") as response:
        for line in (await response.text()).splitlines():
            if line.startswith(name):
                return float(line.rsplit(" ", 1)[1])
    return 0.0


@pytest.mark.slow
@pytest.mark.parametrize("response_format", ["pcm", "mp3", "opus"])
async def test_client_leaving_mid_stream_frees_its_slot(
    api_gateway: ApiProcess, api_url: str, response_format: str
) -> None:
    """The gateway notices, frees the slot and the encoder, and serves the next request."""
    # Text of its own per format: cached sentences would all be sent before the hang-up.
    text = " ".join(f"Sentence {response_format} {n} is here to take a while." for n in range(6))
    body = {"model": "tts-1", "voice": "alloy", "input": text, "response_format": response_format}
    active = 'local_voice_active_sessions{server="api"}'
    left = 'local_voice_errors_total{kind="client-disconnected",server="api"}'
    async with aiohttp.ClientSession() as watcher:
        before = await _metric(watcher, api_url, left)
        log_before = len(api_gateway.log())
        async with aiohttp.ClientSession() as session:
            response = await session.post(f"{api_url}/v1/audio/speech", json=body)
            assert response.status == 200
            assert await response.content.read(1024)
            response.close()  # hang up with most of the audio still to come
        for _ in range(200):
            if await _metric(watcher, api_url, active) == 0:
                break
            await asyncio.sleep(0.05)
        assert await _metric(watcher, api_url, active) == 0
        assert await _metric(watcher, api_url, left) == before + 1
        # A client hanging up is ordinary: no error and no traceback in the log.
        assert "Traceback" not in api_gateway.log()[log_before:]
        short = {**body, "input": "Still here.", "response_format": "pcm"}
        async with watcher.post(f"{api_url}/v1/audio/speech", json=short) as response:
            assert response.status == 200
            assert len(await response.read()) > 10_000
