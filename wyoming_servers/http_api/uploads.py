"""Uploaded audio in: a PCM WAV as it is, anything else decoded with PyAV.

A PCM WAV (any rate, width and channel count the servers accept) is read
with the standard library and passed on unchanged: the speech to text
server converts it. Compressed audio (mp3, Ogg Opus or Vorbis, AAC in ADTS
or MP4, FLAC, WebM) is decoded with PyAV (installed for faster-whisper) to
16 kHz mono, so everything ``/v1/audio/speech`` makes can be sent back. A
file is recognised by its first bytes or, failing that, its name; anything
else is a 415. Decoding is blocking: the gateway runs :func:`read_upload`
in a worker thread. Decoded audio may not exceed the upload cap in 16 kHz
16-bit samples (a small file of long silence cannot fill the memory).
"""

from __future__ import annotations

import io
import itertools
import struct
import wave
from dataclasses import dataclass
from typing import Final

from wyoming_servers.core.audio import TARGET_RATE, AudioFormat
from wyoming_servers.core.errors import AudioFormatError

from .errors import too_large, unprocessable, unsupported_media

_AV_SUFFIXES: Final = (
    "mp3", "mpeg", "mpga", "opus", "ogg", "oga", "aac", "m4a", "mp4", "flac", "webm",
)  # fmt: skip
_DECODED_WIDTH: Final = 2


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


def _is_compressed_audio(data: bytes) -> bool:
    """mp3 (ID3 or frame sync; ADTS too), Ogg, FLAC, MP4/M4A, WebM/Matroska."""
    return (
        data[:3] == b"ID3"
        or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0)  # noqa: PLR2004
        or data[:4] in (b"OggS", b"fLaC", b"\x1a\x45\xdf\xa3")
        or data[4:8] == b"ftyp"
    )


def _decode_with_av(data: bytes, max_pcm_bytes: int) -> UploadedAudio:
    import av  # noqa: PLC0415 - only for compressed uploads

    fmt = AudioFormat(TARGET_RATE, _DECODED_WIDTH, 1)
    parts: list[bytes] = []
    size = 0
    try:
        with av.open(io.BytesIO(data), "r") as container:
            if not container.streams.audio:
                raise unprocessable("the file holds no audio stream", "file")
            resampler = av.AudioResampler(format="s16", layout="mono", rate=TARGET_RATE)
            for frame in itertools.chain(container.decode(audio=0), [None]):
                for out in resampler.resample(frame):
                    parts.append(out.to_ndarray().tobytes())
                    size += len(parts[-1])
                if size > max_pcm_bytes:
                    limit = fmt.seconds(max_pcm_bytes)
                    raise too_large(f"the decoded audio is longer than {limit:.0f} s", "file")
    except av.FFmpegError as err:
        raise unprocessable(f"the audio could not be decoded: {err}", "file") from err
    return UploadedAudio(b"".join(parts), fmt)


def read_upload(data: bytes, filename: str | None, max_pcm_bytes: int) -> UploadedAudio:
    """Validate and decode an uploaded audio file; 415 for what is not audio we read."""
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        audio = _read_wav(data)
    else:
        suffix = (filename or "").rsplit(".", 1)[-1].lower()
        if not _is_compressed_audio(data) and suffix not in _AV_SUFFIXES:
            raise unsupported_media(
                "upload WAV, mp3, Ogg Opus, AAC, FLAC, M4A or WebM audio", param="file"
            )
        audio = _decode_with_av(data, max_pcm_bytes)
    if not audio.pcm:
        raise unprocessable("the audio file holds no samples", "file")
    return audio
