"""Speech is streamed: the first audio arrives long before the last, in many chunks."""

from __future__ import annotations

import time

import aiohttp
import pytest

pytestmark = pytest.mark.slow

_TEXT = (
    "The living room is twenty one degrees. "
    "I turned off every light in the kitchen and the hallway. "
    "The garage door is closed and the front door is locked. "
    "The washing machine will be done in about forty minutes."
)


async def test_first_audio_before_the_last_sentence(api_url: str) -> None:
    body = {"model": "tts-1", "voice": "alloy", "input": _TEXT, "response_format": "pcm"}
    arrivals: list[tuple[float, int]] = []
    async with aiohttp.ClientSession() as session:
        started = time.perf_counter()
        async with session.post(f"{api_url}/v1/audio/speech", json=body) as response:
            assert response.status == 200
            assert response.headers["Transfer-Encoding"] == "chunked"
            rate = int(response.headers["X-Sample-Rate"])
            async for chunk in response.content.iter_any():
                arrivals.append((time.perf_counter() - started, len(chunk)))  # noqa: PERF401 - timestamps as chunks arrive
    total_bytes = sum(size for _, size in arrivals)
    audio_seconds = total_bytes / (2 * rate)
    assert audio_seconds > 8.0  # four sentences of speech
    first, last = arrivals[0][0], arrivals[-1][0]
    # Four sentences are synthesized one after another; the first one's audio
    # is sent as soon as it exists, so it must come well before the end.
    assert first < 0.6 * last, (first, last)
    bytes_before_last_sentence = sum(size for at, size in arrivals if at < 0.75 * last)
    assert bytes_before_last_sentence > 0.25 * total_bytes
