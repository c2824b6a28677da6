"""Answer audio for a satellite: HA's TTS WAV as raw PCM on ``audio/out``.

The satellite plays PCM without a WAV parser: HA asks its TTS for WAV
(``preferred_format`` only, which avoids an ffmpeg round trip), this module
strips the header as the bytes arrive and publishes ``start`` (the format),
PCM chunks of at most 100 ms, and ``end`` (the chunk count). Publishing is
paced to stay at most a couple of seconds ahead of playback so small
devices are not flooded.
"""

from __future__ import annotations

import asyncio
import struct
import time
from typing import TYPE_CHECKING, Final

from . import protocol as p

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable

    type Publish = Callable[[str, bytes, int], Awaitable[None]]

CHUNK_MS: Final = 100
MAX_AHEAD_SECONDS: Final = 2.0
_MAX_HEADER_BYTES: Final = 4096


class WavError(ValueError):
    """The TTS did not return a PCM WAV we can stream."""


async def pcm_from_wav(
    chunks: AsyncIterator[bytes],
) -> tuple[p.AudioFormat, AsyncIterator[bytes]]:
    """Parse a WAV header from a byte stream; return its format and the PCM after it."""
    buf = b""
    async for chunk in chunks:
        buf += chunk
        parsed = _parse_header(buf)
        if parsed is not None:
            fmt, offset = parsed
            return fmt, _rest(buf[offset:], chunks)
        if len(buf) > _MAX_HEADER_BYTES:
            break
    raise WavError("no WAV data chunk found in the TTS audio")


async def _rest(first: bytes, chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    if first:
        yield first
    async for chunk in chunks:
        yield chunk


def _parse_header(buf: bytes) -> tuple[p.AudioFormat, int] | None:
    """Return (format, offset of PCM) once the ``data`` chunk header is in ``buf``."""
    if len(buf) < 12:  # noqa: PLR2004
        return None
    if buf[:4] != b"RIFF" or buf[8:12] != b"WAVE":
        raise WavError("TTS audio is not a RIFF/WAVE file")
    pos, fmt = 12, None
    while pos + 8 <= len(buf):
        chunk_id, size = buf[pos : pos + 4], struct.unpack_from("<I", buf, pos + 4)[0]
        if chunk_id == b"data":
            if fmt is None:
                raise WavError("WAV data before fmt chunk")
            return fmt, pos + 8
        if pos + 8 + size > len(buf):
            return None
        if chunk_id == b"fmt ":
            tag, channels, rate, _, _, bits = struct.unpack_from("<HHIIHH", buf, pos + 8)
            if tag != 1 or bits != 16:  # noqa: PLR2004
                raise WavError(f"only 16-bit PCM WAV can be streamed (tag {tag}, {bits} bit)")
            try:
                fmt = p.AudioFormat.from_dict(
                    {"rate": rate, "width": 2, "channels": channels}, microphone=False
                )
            except p.ProtocolError as err:
                raise WavError(str(err)) from err
        pos += 8 + size + (size & 1)
    return None


async def publish_answer(
    publish: Publish,
    satellite_id: str,
    stream_id: str,
    wav: AsyncIterator[bytes],
    *,
    kind: str = "answer",
    text: str | None = None,
) -> float:
    """Stream one WAV to the satellite as PCM; return the audio's length in seconds."""
    fmt, pcm = await pcm_from_wav(wav)
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
