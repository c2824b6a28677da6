"""One utterance being received: validated audio, and what was decoded early.

Audio is kept as mono float32 at the client's rate (bounded by
``--max-seconds``) and resampled to 16 kHz when decoded. While audio
arrives, the session decodes what it has so far as soon as the speaker
pauses (``trailing_silence`` after new speech); when ``audio-stop`` comes
and everything after that early decode is silence (the trailing silence a
voice detector always sends before it ends the stream), the early result
is the answer and the client waits for no inference at all.
"""

from __future__ import annotations

import bisect
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

import numpy as np

from wyoming_servers.core.audio import TARGET_RATE, AudioFormat, resample, to_float
from wyoming_servers.core.errors import AudioFormatError, UtteranceTooLongError

if TYPE_CHECKING:
    import asyncio

    import numpy.typing as npt

    from .transcriber import TranscriptResult

_FRAME: Final = 320  # 20 ms at 16 kHz
# The tail counts as silence when its loudest 20 ms frame is below this
# fraction of the speech level (90th percentile frame) and below _ABS_SILENCE.
_REL_SILENCE: Final = 0.12
_ABS_SILENCE: Final = 0.03
LEAD_KEEP_SECONDS: Final = 0.3  # quiet kept before the speech (the dev files have ~0.34 s)


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
        """Same rule as ``tail_is_silent``, per chunk: quiet against the speech level."""
        rms = float(np.sqrt(np.dot(samples, samples) / samples.size)) if samples.size else 0.0
        bisect.insort(self.levels, rms)
        if rms > _speech_floor(_percentile_90(self.levels)) and rms >= 1e-4:  # noqa: PLR2004
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


def tail_is_silent(audio: npt.NDArray[np.float32], covered: int) -> bool:
    """Whether everything after sample ``covered`` is quiet compared with the speech."""
    if covered >= audio.size:
        return True
    if covered < _FRAME * 5:
        return False
    level = float(np.percentile(_frame_rms(audio[:covered]), 90))
    tail = audio[covered:]
    pad = (-tail.size) % _FRAME
    loudest = float(_frame_rms(np.concatenate([tail, np.zeros(pad, dtype=np.float32)])).max())
    return loudest <= _speech_floor(level) or loudest < 1e-4  # noqa: PLR2004


def without_leading_silence(
    audio: npt.NDArray[np.float32], keep: float = LEAD_KEEP_SECONDS
) -> npt.NDArray[np.float32]:
    """``audio`` from ``keep`` seconds before the first frame that sounds like speech.

    A satellite streams from its wake word, so the speech may start a second
    or more into the audio, and where it starts in Whisper's window changed
    what tiny.en heard: through the whole satellite pipeline "turn on the
    office fan" came back as "Turn on the Office" in 3 of 3 runs after 1.1 s
    of lead-in, and as "Turn on the Office Fan." in every trial with the
    lead-in cut to 0.1-0.5 s. Same rule for "speech" as ``tail_is_silent``;
    audio with no quiet start (noise) is left as it is.
    """
    if audio.size // _FRAME < 5:  # noqa: PLR2004 - too short to judge
        return audio
    rms = _frame_rms(audio)
    loud = np.flatnonzero(rms > _speech_floor(float(np.percentile(rms, 90))))
    if loud.size == 0:
        return audio
    start = int(loud[0]) * _FRAME - round(keep * TARGET_RATE)
    return audio[start:] if start > 0 else audio


def _frame_rms(audio: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """RMS of each whole 20 ms frame (a partial last frame is left out)."""
    frames = audio[: audio.size - audio.size % _FRAME].reshape(-1, _FRAME)
    rms: npt.NDArray[np.float32] = np.sqrt((frames**2).mean(axis=1))
    return rms


def _percentile_90(ordered: list[float]) -> float:
    """``np.percentile(ordered, 90)`` of a sorted list, without numpy's per-call cost.

    It runs for every chunk of every client on the event loop: numpy's
    percentile of the whole history cost ~0.1 ms a chunk, 15-20 ms of event
    loop per 3 s utterance sent in 20 ms chunks, competing with the decodes
    when several clients send at once.
    """
    position = 0.9 * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _speech_floor(level: float) -> float:
    """Loudness above which a frame is speech, given the speech level (90th percentile)."""
    return min(_ABS_SILENCE, _REL_SILENCE * level)
