"""Answer audio to a satellite: PCM on ``audio/out``, paced, with start and end frames.

The satellite plays raw PCM without a parser: ``start`` names the format,
PCM chunks of at most 100 ms follow, ``end`` gives the chunk count.
Publishing stays at most a couple of seconds ahead of playback so small
devices are not flooded. The PCM comes from ``tts`` (a streaming Wyoming
server, or HA's own text to speech); nothing here wraps or unwraps WAV.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Final

from .. import protocol as p

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable

    type Publish = Callable[[str, bytes, int], Awaitable[None]]

CHUNK_MS: Final = 100
MAX_AHEAD_SECONDS: Final = 2.0


async def publish_pcm(
    publish: Publish,
    satellite_id: str,
    stream_id: str,
    fmt: p.AudioFormat,
    pcm: AsyncIterator[bytes],
    *,
    kind: str = "answer",
    text: str | None = None,
) -> float:
    """Publish one answer's PCM to the satellite; return its length in seconds."""
    frame = fmt.width * fmt.channels
    chunk_bytes = int(fmt.bytes_per_ms() * CHUNK_MS) // frame * frame
    min_bytes = -(-int(fmt.bytes_per_ms() * p.MIN_CHUNK_MS) // frame) * frame
    start = p.AudioOutStart(fmt, kind, text[: p.MAX_TEXT_CHARS] if text else None)
    await publish(p.audio_out_topic(satellite_id, stream_id, "start"), p.encode(start), 1)
    topic = p.audio_out_topic(satellite_id, stream_id)
    began, sent_bytes, chunks, buf = time.monotonic(), 0, 0, b""

    async def send(data: bytes) -> None:
        nonlocal sent_bytes, chunks
        await publish(topic, data, 0)
        sent_bytes += len(data)
        chunks += 1
        ahead = sent_bytes / fmt.bytes_per_ms() / 1000 - (time.monotonic() - began)
        if ahead > MAX_AHEAD_SECONDS:
            await asyncio.sleep(ahead - MAX_AHEAD_SECONDS)

    async for data in pcm:
        buf += data
        while len(buf) >= chunk_bytes:
            await send(buf[:chunk_bytes])
            buf = buf[chunk_bytes:]
    buf = buf[: len(buf) // frame * frame]
    if buf:
        await send(buf + b"\0" * max(0, min_bytes - len(buf)))  # pad the tail to 10 ms
    await publish(
        p.audio_out_topic(satellite_id, stream_id, "end"), p.encode(p.AudioOutEnd(chunks)), 1
    )
    return sent_bytes / fmt.bytes_per_ms() / 1000
