"""Answer audio from HA's text to speech: the WAV header read once, however the bytes arrive."""

from __future__ import annotations

import io
import struct
import wave
from typing import TYPE_CHECKING

import pytest

from custom_components.local_voice import protocol as p
from custom_components.local_voice.satellite.tts import SpeechError, pcm_from_wav

if TYPE_CHECKING:
    from collections.abc import AsyncIterator


def _wav(pcm: bytes, rate: int = 22050, extra_chunk: bool = False) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm)
    data = buf.getvalue()
    if extra_chunk:  # a LIST chunk between fmt and data, as some encoders write
        data = data[:36] + b"LIST" + struct.pack("<I", 5) + b"abcde\0" + data[36:]
    return data


async def _pieces(data: bytes, size: int) -> AsyncIterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


@pytest.mark.parametrize("piece", [1, 7, 44, 4096])
@pytest.mark.parametrize("extra", [False, True])
async def test_wav_header_is_stripped_however_the_bytes_arrive(piece: int, extra: bool) -> None:
    pcm = bytes(range(256)) * 40
    fmt, stream = await pcm_from_wav(_pieces(_wav(pcm, extra_chunk=extra), piece))
    assert fmt == p.AudioFormat(22050, 2, 1)
    assert b"".join([c async for c in stream]) == pcm


@pytest.mark.parametrize(
    "data",
    [b"", b"RIFX....WAVEfmt ", b"RIFF\0\0\0\0WAVEdata\0\0\0\0", b"RIFF\0\0\0\0WAVE" + b"\0" * 5000],
)
async def test_bad_wav_is_refused(data: bytes) -> None:
    with pytest.raises(SpeechError):
        await pcm_from_wav(_pieces(data, 100))
