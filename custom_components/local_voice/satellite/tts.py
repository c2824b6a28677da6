"""Answer audio from HA's own text to speech: the WAV header read once, the PCM passed on.

HA's TTS stream (``tts.async_get_stream(...).async_stream_result()``) is a
WAV file made as the text arrives: with a streaming engine such as the
Wyoming text-to-speech server, its first sentence's audio comes while the
agent still writes the rest, and the header's data size is 0 or the maximum
(unknown). The header is read here once; the PCM after it goes to the
satellite as it comes (``answer``).
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING, Final

from .. import protocol as p

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

_MAX_HEADER_BYTES: Final = 4096


class SpeechError(ValueError):
    """The TTS audio is not PCM in a WAV the satellite can play."""


async def pcm_from_wav(
    chunks: AsyncIterator[bytes],
) -> tuple[p.AudioFormat, AsyncIterator[bytes]]:
    """Read a WAV header from HA's TTS stream; return the format and the PCM after it."""
    buf = b""
    async for chunk in chunks:
        buf += chunk
        parsed = _parse_header(buf)
        if parsed is not None:
            fmt, offset = parsed
            return fmt, _rest(buf[offset:], chunks)
        if len(buf) > _MAX_HEADER_BYTES:
            break
    raise SpeechError("no WAV data chunk found in the TTS audio")


async def _rest(first: bytes, chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    if first:
        yield first
    async for chunk in chunks:
        yield chunk


def _parse_header(buf: bytes) -> tuple[p.AudioFormat, int] | None:
    """Return (format, offset of PCM) once the ``data`` chunk header is in ``buf``.

    HA's streaming TTS writes 0 (or the maximum) as the data size: the size
    is never used, the PCM runs to the end of the stream.
    """
    if len(buf) < 12:  # noqa: PLR2004
        return None
    if buf[:4] != b"RIFF" or buf[8:12] != b"WAVE":
        raise SpeechError("TTS audio is not a RIFF/WAVE file")
    pos, fmt = 12, None
    while pos + 8 <= len(buf):
        chunk_id, size = buf[pos : pos + 4], struct.unpack_from("<I", buf, pos + 4)[0]
        if chunk_id == b"data":
            if fmt is None:
                raise SpeechError("WAV data before fmt chunk")
            return fmt, pos + 8
        if pos + 8 + size > len(buf):
            return None
        if chunk_id == b"fmt ":
            tag, channels, rate, _, _, bits = struct.unpack_from("<HHIIHH", buf, pos + 8)
            if tag != 1 or bits != 16:  # noqa: PLR2004
                raise SpeechError(f"only 16-bit PCM WAV can be streamed (tag {tag}, {bits} bit)")
            try:
                fmt = p.AudioFormat.from_dict(
                    {"rate": rate, "width": 2, "channels": channels}, microphone=False
                )
            except p.ProtocolError as err:
                raise SpeechError(str(err)) from err
        pos += 8 + size + (size & 1)
    return None
