"""One utterance being received: validated audio, and what was decoded early.

Audio is kept as mono float32 at the client's rate (bounded by
``--max-seconds``) and resampled to 16 kHz when decoded. While audio
arrives, the connection's handler decodes what it has so far as soon as the
speaker pauses (``trailing_silence`` after new speech, judged by
``speech_level``); when ``audio-stop`` comes and everything after that early
decode is silence (the trailing silence a voice detector always sends
before it ends the stream), the early result is the answer and the client
waits for no inference at all.
"""

from __future__ import annotations

import bisect
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from wyoming_servers.core.audio import TARGET_RATE, AudioFormat, resample, to_float
from wyoming_servers.core.errors import AudioFormatError, UtteranceTooLongError

from .speech_level import chunk_is_speech, chunk_rms

if TYPE_CHECKING:
    import asyncio

    import numpy.typing as npt

    from .transcriber import TranscriptResult


@dataclass(slots=True)
class EarlyDecode:
    """A decode of the first ``samples`` samples (16 kHz) of the utterance."""

    samples: int
    result: TranscriptResult


@dataclass(slots=True)
class Utterance:
    """Audio of one ``audio-start`` .. ``audio-stop`` stream and its request."""

    fmt: AudioFormat
    max_seconds: float
    language: str | None = None
    vocabulary: tuple[str, ...] = ()
    streaming: bool = False
    chunks: list[npt.NDArray[np.float32]] = field(default_factory=list)
    frames: int = 0
    early: EarlyDecode | None = None
    early_task: asyncio.Task[EarlyDecode | None] | None = None
    early_frames: int = 0
    sent_words: list[str] = field(default_factory=list)
    started_stream: bool = False
    counted: bool = False
    started_at: float = field(default_factory=time.monotonic)
    levels: list[float] = field(default_factory=list)  # RMS of every chunk so far, sorted
    speech_end: int = 0  # frame after the last chunk loud enough to be speech

    def trailing_silence(self) -> float:
        """Seconds since the last chunk that sounded like speech."""
        return (self.frames - self.speech_end) / self.fmt.rate

    def _track_level(self, samples: npt.NDArray[np.float32]) -> None:
        """Note where the speech ends so far (``speech_level.chunk_is_speech``)."""
        rms = chunk_rms(samples)
        bisect.insort(self.levels, rms)
        if chunk_is_speech(rms, self.levels):
            self.speech_end = self.frames

    @property
    def seconds(self) -> float:
        """Audio received so far."""
        return self.frames / self.fmt.rate

    def add(self, pcm: bytes, chunk_fmt: AudioFormat) -> float:
        """Append a chunk; returns its duration. Refuses format changes and overlong audio."""
        if chunk_fmt != self.fmt:
            raise AudioFormatError(
                f"chunk format {chunk_fmt} differs from audio-start format {self.fmt}"
            )
        samples = to_float(pcm, self.fmt).mean(axis=1, dtype=np.float32)
        if (self.frames + samples.size) / self.fmt.rate > self.max_seconds:
            raise UtteranceTooLongError(
                f"utterance is longer than the cap of {self.max_seconds:g} s"
            )
        self.chunks.append(samples)
        self.frames += samples.size
        self._track_level(samples)
        return float(samples.size) / self.fmt.rate

    def audio_16k(self) -> npt.NDArray[np.float32]:
        """Everything so far, 16 kHz mono float32."""
        if not self.chunks:
            return np.zeros(0, dtype=np.float32)
        if len(self.chunks) > 1:
            self.chunks = [np.concatenate(self.chunks)]
        return resample(self.chunks[0], self.fmt.rate, TARGET_RATE)
