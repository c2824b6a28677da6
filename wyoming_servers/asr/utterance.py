"""One utterance being received: validated audio, its pauses, and what was decoded early.

Audio is kept as mono float32 at the client's rate (bounded by
``--max-seconds``) and resampled to 16 kHz when decoded. Each chunk is judged
speech or quiet as it arrives (``speech_level``; for endpointing sessions at
16 kHz also by the Silero voice detector, ``voice``); ``pause_seconds`` of quiet
after new speech is a pause, and the frame where it was reached is noted.

What the transcript decodes is the audio up to the pause after the last
speech (``decode_frames``), however the audio arrived. At real-time pace the
connection's handler decodes exactly that audio while the client still sends
the trailing silence a voice detector sends before it ends the stream, so
when ``audio-stop`` comes that early decode is the answer and the client
waits for no inference at all; sent all at once, the same audio is decoded
after ``audio-stop``. Both decode the same samples, so both give the same
text. (When the final decode took the whole stream instead, its longer
silent tail and the lead-in cut judged on it changed what tiny.en heard on
some utterances, in either direction: issue #25, docs/asr.md.)
"""

from __future__ import annotations

import bisect
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

import numpy as np

from wyoming_servers.core.audio import TARGET_RATE, AudioFormat, resample, to_float
from wyoming_servers.core.errors import AudioFormatError, UtteranceTooLongError

from .speech_level import chunk_is_speech, chunk_rms

if TYPE_CHECKING:
    import asyncio

    import numpy.typing as npt

    from .transcriber import TranscriptResult
    from .voice import VoiceTracker

# Quiet this long after speech is a pause. The satellite ends the stream after
# 300 ms of silence, so a decode started here has a head start of ~150 ms,
# usually enough to finish soon after audio-stop (docs/asr.md).
PAUSE_SECONDS: Final = 0.15
PAUSE_RANGE: Final = (0.05, 2.0)  # what --pause-seconds accepts
# For endpointing, the decode of a pause starts this far into the quiet, padded
# with silence to the pause's length: it runs while the pause completes, and
# answers for that pause if only quiet followed (``Utterance.stands_for``).
AHEAD_SECONDS: Final = 0.06
# Quiet before the words of a pause go out for endpointing (``words_may_go``): the
# pause a voice makes at a comma after a complete command ("switch off the living room
# lamp, and the bedroom light") was 0.22-0.24 s (espeak), 0.26-0.30 s elsewhere in the
# held-out set; words that end in a comma wait longer.
WORDS_QUIET_SECONDS: Final = 0.25
COMMA_PAUSE_SECONDS: Final = 0.4


def pause_seconds_argument(text: str) -> float:
    """Argparse type of ``--pause-seconds``: seconds within ``PAUSE_RANGE``."""
    import argparse  # noqa: PLC0415 - only for the command line

    try:
        value = float(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from err
    low, high = PAUSE_RANGE
    if not low <= value <= high:
        raise argparse.ArgumentTypeError(f"must be {low}-{high} s, got {value}")
    return value


def _key(words: list[str]) -> list[str]:
    """Words compared without their punctuation and case."""
    return [w.strip(".,!?;:").casefold() for w in words]


@dataclass(slots=True)
class EarlyDecode:
    """A decode of the first ``frames`` frames (client rate) of the utterance."""

    frames: int
    result: TranscriptResult


@dataclass(slots=True)
class Utterance:
    """Audio of one ``audio-start`` .. ``audio-stop`` stream and its request."""

    fmt: AudioFormat
    max_seconds: float
    language: str | None = None
    vocabulary: tuple[str, ...] = ()
    streaming: bool = False
    pause_transcripts: bool = False  # send the words heard up to each pause (endpointing)
    pause_seconds: float = PAUSE_SECONDS
    ahead_seconds: float = AHEAD_SECONDS
    chunks: list[npt.NDArray[np.float32]] = field(default_factory=list)
    frames: int = 0
    early: EarlyDecode | None = None  # the decode of the latest pause, once done
    early_task: asyncio.Task[EarlyDecode | None] | None = None
    early_frames: int = 0  # where the latest early decode (at a pause or periodic) ends
    sent_words: list[str] = field(default_factory=list)
    started_stream: bool = False
    counted: bool = False
    started_at: float = field(default_factory=time.monotonic)
    levels: list[float] = field(default_factory=list)  # RMS of every chunk so far, sorted
    speech_end: int = 0  # frame after the last chunk that is speech (loud, and voiced)
    loud_end: int = 0  # frame after the last loud chunk
    voiced_end: int = 0  # frame after the last voiced chunk (every chunk without ``voice``)
    pause_at: int = 0  # frame where the latest pause after speech was reached (0: none yet)
    ahead_at: int = 0  # frame where the latest quiet after speech reached ``ahead_seconds``
    sent_pause: int = 0  # ``frames`` of the last early decode whose words were sent
    voice: VoiceTracker | None = None  # Silero: no voice is a pause too (noise, voice.py)

    def trailing_silence(self) -> float:
        """Seconds since the last chunk that sounded like speech."""
        return (self.frames - self.speech_end) / self.fmt.rate

    def _track_level(self, samples: npt.NDArray[np.float32]) -> None:
        """Note where the speech ends so far, and where a pause after it was reached.

        Without a voice detector a chunk is speech when it is loud, and a
        pause is ``pause_seconds`` of quiet. With one (``voice``), a chunk is
        speech when it is loud and voiced, and a pause is ``pause_seconds``
        of quiet *or* of no voice: each rule must hold for the whole pause on
        its own, so the quiet between words and an unvoiced consonant after
        it do not add up to a pause that neither rule found.
        """
        rms = chunk_rms(samples)
        bisect.insort(self.levels, rms)
        loud = chunk_is_speech(rms, self.levels)
        voiced = self.voice is None or self.voice.chunk_voiced(samples)
        if loud:
            self.loud_end = self.frames
        if voiced:
            self.voiced_end = self.frames
        if loud and voiced:
            self.speech_end = self.frames
        elif self.speech_end > self.pause_at:
            quiet = self.frames - max(self.loud_end, self.speech_end)
            unvoiced = self.frames - max(self.voiced_end, self.speech_end)
            silent = max(quiet, unvoiced) / self.fmt.rate
            if silent >= self.pause_seconds:
                self.pause_at = self.frames
            elif silent >= self.ahead_seconds and self.ahead_at <= self.speech_end:
                self.ahead_at = self.frames

    def decode_frames(self) -> int:
        """Frames the transcript decodes: up to the pause after the last speech, else all.

        The speech so far when no pause followed it (speech to the end, or
        less than ``pause_seconds`` of quiet after it).
        """
        return self.pause_at if self.pause_at > self.speech_end else self.frames

    def ahead_audio(self) -> npt.NDArray[np.float32]:
        """The audio up to ``ahead_at``, and silence to the length of a pause (16 kHz).

        Digital silence: the room's own quiet repeated changed more words.
        """
        quiet = (self.ahead_at - self.speech_end) / self.fmt.rate
        padding = np.zeros(max(0, round((self.pause_seconds - quiet) * TARGET_RATE)), np.float32)
        return np.concatenate([self.audio_16k(self.ahead_at), padding])

    def stands_for(self, frames: int) -> int:
        """The frames an early decode of ``frames`` frames answers for.

        A decode ahead of a pause (``ahead_audio``) answers for the pause its
        quiet went on to reach, while no speech came since; any other decode
        for exactly its own frames.
        """
        if frames == self.ahead_at and self.pause_at > self.ahead_at > self.speech_end:
            return self.pause_at
        return frames

    def words_may_go(self, text: str) -> bool:
        """Whether the words of a pause may be sent for endpointing now.

        After ``WORDS_QUIET_SECONDS`` of quiet, whatever the speed of the
        decode: decoded ahead of the pause, "switch off the living room lamp"
        went out 0.18 s after "lamp", before the voice went on ", and the
        bedroom light", and HA ended the turn (a decode after the pause had
        taken long enough on 2 cores; on a GPU it would not). Words that end
        in a comma wait for ``COMMA_PAUSE_SECONDS``: Whisper heard more coming.
        """
        quiet = COMMA_PAUSE_SECONDS if text.rstrip().endswith(",") else WORDS_QUIET_SECONDS
        return self.trailing_silence() >= quiet

    def next_chunk(self, text: str, *, final: bool) -> str | None:
        """The ``transcript-chunk`` text that extends the words sent so far, if any.

        A partial hypothesis's last word may still change, so it is held back
        unless ``final``; a hypothesis that revises a word already sent adds
        nothing (the final ``transcript`` is the one to trust).
        """
        words = text.split()
        stable = words if final else words[:-1]
        sent = self.sent_words
        if len(stable) <= len(sent) or _key(stable[: len(sent)]) != _key(sent):
            return None
        self.sent_words = stable
        new = " ".join(stable[len(sent) :])
        return f" {new}" if sent else new

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

    def audio_16k(self, frames: int | None = None) -> npt.NDArray[np.float32]:
        """The first ``frames`` frames (default: everything so far), 16 kHz mono float32.

        Cut at the client's rate before resampling, so the same ``frames``
        give the same samples whether more audio came after them or not.
        """
        if not self.chunks:
            return np.zeros(0, dtype=np.float32)
        if len(self.chunks) > 1:
            self.chunks = [np.concatenate(self.chunks)]
        return resample(self.chunks[0][:frames], self.fmt.rate, TARGET_RATE)
