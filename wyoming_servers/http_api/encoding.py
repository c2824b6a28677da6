"""Speech audio in the format a client asked for: OpenAI's six, encoded with PyAV.

The TTS server sends 16-bit PCM at the voice's rate. What the client gets:

============  ==============  =============================  =========
format        Content-Type    audio                          delivery
============  ==============  =============================  =========
``mp3``       audio/mpeg      MPEG layer III, voice's rate   streamed
``opus``      audio/opus      Opus in Ogg, 48 kHz            streamed
``aac``       audio/aac       AAC-LC in ADTS, voice's rate   streamed
``flac``      audio/flac      FLAC, voice's rate             whole
``wav``       audio/wav       16-bit PCM, voice's rate       streamed
``pcm``       audio/pcm       raw s16le, 24 kHz              streamed
============  ==============  =============================  =========

``mp3`` is OpenAI's default. ``opus`` and ``pcm`` use OpenAI's rates (48 and
24 kHz), so a client that assumes them plays at the right speed; the other
containers say their rate themselves. FLAC is sent whole so that its header
carries the length and checksum. A streamed ``wav`` has sizes that say
"unknown" (0xFFFFFFFF), as streamed WAVs do.

:class:`SpeechEncoder` is blocking (FFmpeg's encoders): the gateway calls it
from worker threads, one call at a time per request, and its lock keeps a
``close`` from a cancelled request off an encode still running.
"""

from __future__ import annotations

import contextlib
import io
import struct
import threading
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Final

import av
import numpy as np
from av.audio.stream import AudioStream

from wyoming_servers.core.audio import AudioFormat
from wyoming_servers.core.errors import AudioFormatError

if TYPE_CHECKING:
    from av.audio.resampler import AudioResampler
    from av.container import OutputContainer

DEFAULT_SPEECH_FORMAT: Final = "mp3"
SAMPLE_WIDTH: Final = 2  # the TTS server's PCM, and the pcm/wav output
_UNKNOWN_SIZE: Final = 0xFFFFFFFF
_LAYOUTS: Final = {1: "mono", 2: "stereo"}
# Ogg writes a page per second of audio by default; a page every 100 ms lets
# opus stream sentence by sentence for about 5 % more bytes.
_OGG_OPTIONS: Final = {"page_duration": "100000"}


class EncodingError(Exception):
    """The TTS server's audio is in a form the encoders do not take."""


@dataclass(frozen=True, slots=True)
class SpeechFormat:
    """One ``response_format``: how it is made and how it is sent."""

    name: str
    content_type: str
    codec: str | None = None  # PyAV encoder; None: 16-bit PCM as it is
    container: str | None = None  # PyAV muxer
    rate: int | None = None  # fixed output rate; None: the voice's
    bit_rate: int | None = None
    streamed: bool = True


SPEECH_FORMATS: Final = {
    speech.name: speech
    for speech in (
        SpeechFormat("mp3", "audio/mpeg", "libmp3lame", "mp3", bit_rate=64_000),
        SpeechFormat("opus", "audio/opus", "libopus", "ogg", rate=48_000, bit_rate=32_000),
        SpeechFormat("aac", "audio/aac", "aac", "adts", bit_rate=64_000),
        SpeechFormat("flac", "audio/flac", "flac", "flac", streamed=False),
        SpeechFormat("wav", "audio/wav"),
        SpeechFormat("pcm", "audio/pcm", rate=24_000),
    )
}


def streaming_wav_header(rate: int, width: int, channels: int) -> bytes:
    """A 44-byte WAV header for audio of unknown length."""
    block = width * channels
    return b"".join(
        (
            b"RIFF",
            struct.pack("<I", _UNKNOWN_SIZE),
            b"WAVEfmt ",
            struct.pack("<IHHIIHH", 16, 1, channels, rate, rate * block, block, width * 8),
            b"data",
            struct.pack("<I", _UNKNOWN_SIZE),
        )
    )


def output_rate(speech: SpeechFormat, voice_rate: int) -> int:
    """The rate the client gets: the format's own, else the voice's if the encoder takes it."""
    if speech.rate is not None:
        return speech.rate
    if speech.codec is None:
        return voice_rate
    rates = av.Codec(speech.codec, "w").audio_rates
    if not rates or voice_rate in rates:
        return voice_rate
    higher = [rate for rate in rates if rate > voice_rate]
    return min(higher) if higher else max(rates)


class _Sink:
    """Where a streamed format's muxer writes: bytes kept until taken.

    It has no ``seek``, so FFmpeg treats the output as a stream and writes
    every packet at once instead of fixing up headers at the end.
    """

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


class SpeechEncoder:
    """16-bit PCM of one answer in, ``speech`` out, chunk by chunk; blocking."""

    def __init__(self, speech: SpeechFormat, voice_rate: int, width: int, channels: int) -> None:
        """Open the encoder (and muxer) for the TTS server's audio format."""
        try:
            AudioFormat(voice_rate, width, channels)
        except AudioFormatError as err:
            raise EncodingError(str(err)) from err
        if width != SAMPLE_WIDTH or channels not in _LAYOUTS:
            raise EncodingError(f"{width * 8}-bit {channels}-channel audio cannot be encoded")
        self.speech = speech
        self.voice_rate = voice_rate
        self.channels = channels
        self.rate = output_rate(speech, voice_rate)
        self._layout = _LAYOUTS[channels]
        self._lock = threading.Lock()
        self._samples = 0
        self._closed = False
        self._resampler: AudioResampler | None = None
        self._container: OutputContainer | None = None
        self._stream: AudioStream | None = None
        self._sink = _Sink()
        # A format sent whole goes to a seekable buffer, so that the muxer can
        # finish its header at the end (FLAC's length and checksum).
        self._whole = None if speech.streamed else io.BytesIO()
        if speech.codec is not None:
            assert speech.container is not None
            options = _OGG_OPTIONS if speech.container == "ogg" else {}
            target = self._sink if self._whole is None else self._whole
            self._container = av.open(
                target, "w", format=speech.container, container_options=options
            )
            stream = self._container.add_stream(speech.codec, rate=self.rate, layout=self._layout)
            assert isinstance(stream, AudioStream)
            if speech.bit_rate is not None:
                stream.bit_rate = speech.bit_rate
            self._stream = stream
        elif self.rate != voice_rate:
            self._resampler = av.AudioResampler(format="s16", layout=self._layout, rate=self.rate)

    @property
    def passthrough(self) -> bool:
        """True when audio leaves as it came (wav): nothing to run in a thread."""
        return self._container is None and self._resampler is None

    def header(self) -> bytes:
        """What goes before any audio: the WAV header (the muxers write their own)."""
        if self.speech.name == "wav":
            return streaming_wav_header(self.rate, SAMPLE_WIDTH, self.channels)
        return b""

    def encode(self, pcm: bytes) -> bytes:
        """Encode one chunk; returns what is ready to send (may be empty)."""
        frame_bytes = SAMPLE_WIDTH * self.channels
        if len(pcm) % frame_bytes:
            raise EncodingError(f"a chunk of {len(pcm)} bytes is not whole 16-bit frames")
        if self.passthrough:
            return pcm
        samples = np.frombuffer(pcm, dtype="<i2").reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(samples, format="s16", layout=self._layout)
        frame.sample_rate = self.voice_rate
        frame.time_base = Fraction(1, self.voice_rate)
        frame.pts = self._samples
        self._samples += len(pcm) // frame_bytes
        with self._lock:
            return self._process(frame)

    def finish(self) -> bytes:
        """Flush the encoder and end the container; returns the rest (all, if sent whole)."""
        with self._lock:
            data = self._process(None)
            if self._container is not None:
                self._container.close()
            self._closed = True
            if self._whole is not None:
                return self._whole.getvalue()
            return data + self._sink.take()

    def close(self) -> None:
        """Release the encoder without finishing (the client left); safe to repeat."""
        with self._lock:
            if not self._closed and self._container is not None:
                # The audio is thrown away: a trailer that fails to write does not matter.
                with contextlib.suppress(av.FFmpegError):
                    self._container.close()
            self._closed = True

    def _process(self, frame: av.AudioFrame | None) -> bytes:
        if self._closed:
            raise EncodingError("the encoder is closed")
        if self._resampler is not None:
            return b"".join(out.to_ndarray().tobytes() for out in self._resampler.resample(frame))
        if self._container is None or self._stream is None:
            return b""
        for packet in self._stream.encode(frame):
            self._container.mux(packet)
        return self._sink.take()
