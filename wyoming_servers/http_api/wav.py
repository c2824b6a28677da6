"""Uploaded audio in.

Uploads: a PCM WAV (any rate, width and channel count the servers accept)
is read with the standard library and passed on unchanged: the speech to
text server converts it. Other containers (mp3, flac, ogg, webm, m4a) are
decoded with PyAV (already installed for faster-whisper) to 16 kHz mono.
Anything else is a 415.
"""

from __future__ import annotations

import io
import struct
import wave
from dataclasses import dataclass
from typing import Final

from wyoming_servers.core.audio import TARGET_RATE, AudioFormat
from wyoming_servers.core.errors import AudioFormatError

from .errors import unprocessable, unsupported_media

_AV_CONTAINERS: Final = ("mp3", "flac", "ogg", "webm", "m4a", "mp4", "mpeg", "mpga", "oga")


@dataclass(frozen=True, slots=True)
class UploadedAudio:
    """PCM with its validated format."""

    pcm: bytes
    fmt: AudioFormat

    @property
    def seconds(self) -> float:
        """Duration of the audio."""
        return self.fmt.seconds(len(self.pcm))


def _read_wav(data: bytes) -> UploadedAudio:
    try:
        with wave.open(io.BytesIO(data), "rb") as wav:
            rate, width, channels = wav.getframerate(), wav.getsampwidth(), wav.getnchannels()
            pcm = wav.readframes(wav.getnframes())
    except (wave.Error, EOFError, struct.error) as err:
        raise unprocessable(f"not a readable PCM WAV file: {err}", "file") from err
    try:
        fmt = AudioFormat(rate=rate, width=width, channels=channels)
        fmt.check_chunk(pcm)
    except AudioFormatError as err:
        raise unprocessable(str(err), "file", code="bad-audio-format") from err
    return UploadedAudio(pcm, fmt)


def _decode_with_av(data: bytes) -> UploadedAudio:
    import av  # noqa: PLC0415 - only for non-WAV uploads

    try:
        with av.open(io.BytesIO(data), "r") as container:
            if not container.streams.audio:
                raise unprocessable("the file holds no audio stream", "file")
            resampler = av.AudioResampler(format="s16", layout="mono", rate=TARGET_RATE)
            parts: list[bytes] = []
            for frame in container.decode(audio=0):
                parts.extend(bytes(out.planes[0]) for out in resampler.resample(frame))
            parts.extend(bytes(out.planes[0]) for out in resampler.resample(None))
    except av.FFmpegError as err:
        raise unprocessable(f"the audio could not be decoded: {err}", "file") from err
    pcm = b"".join(parts)
    return UploadedAudio(pcm[: len(pcm) - len(pcm) % 2], AudioFormat(TARGET_RATE, 2, 1))


def read_upload(data: bytes, filename: str | None) -> UploadedAudio:
    """Validate and decode an uploaded audio file; 415 for unknown containers."""
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        audio = _read_wav(data)
    else:
        suffix = (filename or "").rsplit(".", 1)[-1].lower()
        if suffix not in _AV_CONTAINERS:
            raise unsupported_media(
                "upload a WAV file (or mp3, flac, ogg, webm, m4a)", param="file"
            )
        audio = _decode_with_av(data)
    if not audio.pcm:
        raise unprocessable("the audio file holds no samples", "file")
    return audio
