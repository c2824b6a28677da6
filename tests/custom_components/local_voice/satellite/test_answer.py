"""Answer audio to a satellite: paced PCM chunks between start and end frames."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from custom_components.local_voice import protocol as p
from custom_components.local_voice.satellite.answer import publish_pcm

if TYPE_CHECKING:
    from collections.abc import AsyncIterator


async def _pieces(data: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def test_pcm_goes_out_in_capped_chunks_between_start_and_end() -> None:
    sent: list[tuple[str, bytes, int]] = []

    async def publish(topic: str, payload: bytes, qos: int) -> None:
        sent.append((topic, payload, qos))

    pcm = b"\1\0" * 22050  # one second
    seconds = await publish_pcm(
        publish, "kitchen", "s1", p.AudioFormat(22050), _pieces(pcm + b"\1", 1000), text="Turned on"
    )
    assert seconds == pytest.approx(1.0, abs=0.01)
    start, *audio, end = sent
    assert start[0] == "local_voice/kitchen/audio/out/s1/start"
    assert p.parse_audio_out_start(start[1]) == p.AudioOutStart(
        p.AudioFormat(22050), "answer", "Turned on"
    )
    assert all(t == "local_voice/kitchen/audio/out/s1" and q == 0 for t, _, q in audio)
    fmt = p.AudioFormat(22050)
    for _, chunk, _ in audio:
        p.validate_audio_chunk(chunk, fmt)
    assert b"".join(c for _, c, _ in audio).startswith(pcm)
    assert p.parse_audio_out_end(end[1]) == p.AudioOutEnd(len(audio))
