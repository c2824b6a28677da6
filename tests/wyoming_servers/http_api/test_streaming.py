"""Speech is streamed: the first audio arrives long before the last, in many chunks.

Each streamed format in turn, each with its own text (the TTS server caches
sentences, and cached audio would all arrive at once).
"""

from __future__ import annotations

import io
import time

import aiohttp
import av
import pytest

pytestmark = pytest.mark.slow

_ROOMS = {"pcm": "living room", "mp3": "dining room", "opus": "bedroom", "aac": "office"}


def _text(room: str) -> str:
    return (
        f"The {room} is twenty one degrees. "
        "I turned off every light in the kitchen and the hallway. "
        f"The garage door is closed and the {room} window is shut. "
        "The washing machine will be done in about forty minutes."
    )


def _seconds(response_format: str, data: bytes, rate: int) -> float:
    if response_format == "pcm":
        return len(data) / (2 * rate)
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.audio[0]
        return sum(frame.samples for frame in container.decode(stream)) / stream.rate


@pytest.mark.parametrize("response_format", list(_ROOMS))
async def test_first_audio_before_the_last_sentence(api_url: str, response_format: str) -> None:
    body = {
        "model": "tts-1",
        "voice": "alloy",
        "input": _text(_ROOMS[response_format]),
        "response_format": response_format,
    }
    arrivals: list[tuple[float, bytes]] = []
    async with aiohttp.ClientSession() as session:
        started = time.perf_counter()
        async with session.post(f"{api_url}/v1/audio/speech", json=body) as response:
            assert response.status == 200
            assert response.headers["Transfer-Encoding"] == "chunked"
            rate = int(response.headers["X-Sample-Rate"])
            async for chunk in response.content.iter_any():
                arrivals.append((time.perf_counter() - started, chunk))  # noqa: PERF401 - timestamps as chunks arrive
    data = b"".join(chunk for _, chunk in arrivals)
    assert _seconds(response_format, data, rate) > 8.0  # four sentences of speech
    first, last = arrivals[0][0], arrivals[-1][0]
    # Four sentences are synthesized one after another; the first one's audio
    # is encoded and sent as soon as it exists, so it must come well before the end.
    assert first < 0.6 * last, (first, last)
    bytes_before_last_sentence = sum(len(chunk) for at, chunk in arrivals if at < 0.75 * last)
    assert bytes_before_last_sentence > 0.25 * len(data)
