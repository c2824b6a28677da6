"""A voice under one onnxruntime setting, and one sentence made a piece at a time.

When the voice's graph was cut (``graph_split.py``) a sentence is made in
steps: the head turns the phoneme ids into the latent, then the vocoder turns
a piece of the latent into audio per step. The first piece is short (24
frames, 279 ms at 22.05 kHz) so the listener hears something early; the
next is four times longer, then 256 frames (3 s) at a time: few pieces, so
the vocoder's overlap (``CONTEXT_FRAMES`` each side) costs little, and each
piece is made far faster than the one before it plays. A sentence whose
listener still has audio to play (the second of an answer) skips the short
pieces: usually one vocoder run, as cheap as a whole sentence.
Each step is a separate job for the synthesizer, so another client's first
piece can run between two of ours.

Loudness: piper scales every sentence so its loudest sample is full scale,
which needs the whole sentence first. A streamed sentence is scaled by one
gain per voice instead, measured at load so that the median sentence peaks
at ``TARGET_PEAK``, and the rare louder peak is rounded off by a soft
limiter. Both act sample by sample, so pieces join without a seam and a
sentence sounds the same however it was cut. A voice that runs whole keeps
piper's own scaling.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import numpy as np
from piper import SynthesisConfig

if TYPE_CHECKING:
    import onnxruntime  # type: ignore[import-untyped]
    from numpy.typing import NDArray
    from piper import PiperVoice

FIRST_PIECE_FRAMES: Final = 24
LARGEST_PIECE_FRAMES: Final = 256
# The vocoder's reach either side: pieces matched the whole-sentence audio to
# 0.0016 (of a 0.46 peak) with 8 frames of context, 5e-7 with 10, 3e-7 with 16.
CONTEXT_FRAMES: Final = 12
TARGET_PEAK: Final = 0.9
KNEE: Final = 0.85
CALIBRATION_SENTENCES: Final = (
    "Turned on the kitchen light.",
    "The temperature in the living room is 21 degrees.",
    "Sorry, I couldn't understand that.",
    "The garage door is open.",
    "Okay, I set a timer for ten minutes.",
)


def piece_bounds(frames: int, *, hurry: bool = True) -> list[tuple[int, int]]:
    """Latent frame ranges of the pieces: short, then 4x, then the largest; no sliver at the end.

    Without ``hurry`` (the listener has audio to play meanwhile) no short
    pieces: most sentences are then one vocoder run, the cheapest way.
    """
    bounds: list[tuple[int, int]] = []
    start, size = 0, FIRST_PIECE_FRAMES if hurry else LARGEST_PIECE_FRAMES
    while start < frames:
        end = min(frames, start + size)
        if frames - end < size // 2:  # a short remainder joins this piece
            end = frames
        bounds.append((start, end))
        start, size = end, min(size * 4, LARGEST_PIECE_FRAMES)
    return bounds


def soft_limit(audio: NDArray[np.float32]) -> NDArray[np.float32]:
    """Identity below ``KNEE``, then a tanh curve that never reaches full scale."""
    out = audio.copy()
    over = np.abs(audio) > KNEE
    if over.any():
        excess = (np.abs(audio[over]) - KNEE) / (1.0 - KNEE)
        out[over] = np.sign(audio[over]) * (KNEE + (1.0 - KNEE) * np.tanh(excess))
    return out


def to_pcm(audio: NDArray[np.float32], gain: float) -> bytes:
    """16-bit little-endian PCM of ``audio`` scaled by ``gain`` and limited."""
    limited = soft_limit((audio * gain).astype(np.float32))
    return (np.clip(limited, -1.0, 1.0) * 32767).astype("<i2").tobytes()


@dataclass(frozen=True, slots=True)
class VoiceEngine:
    """The voice under one onnxruntime setting: head and vocoder when cut, else whole."""

    piper: PiperVoice  # phonemizes; runs whole sentences when the graph was not cut
    head: onnxruntime.InferenceSession | None = None
    vocoder: onnxruntime.InferenceSession | None = None
    latent: str = ""
    speaker_input: str | None = None

    @property
    def streams(self) -> bool:
        """Whether sentences come out in pieces."""
        return self.head is not None and self.vocoder is not None

    @property
    def inference_sessions(self) -> tuple[onnxruntime.InferenceSession, ...]:
        """The onnxruntime inference sessions this engine runs."""
        if self.head is not None and self.vocoder is not None:
            return (self.head, self.vocoder)
        return (self.piper.session,)

    def latent_of(self, phoneme_ids: list[int], config: SynthesisConfig) -> NDArray[np.float32]:
        """The head's latent (1, channels, frames) for one phoneme-id sequence."""
        assert self.head is not None
        piper = self.piper.config
        scales = [
            piper.noise_scale if config.noise_scale is None else config.noise_scale,
            piper.length_scale if config.length_scale is None else config.length_scale,
            piper.noise_w_scale if config.noise_w_scale is None else config.noise_w_scale,
        ]
        args: dict[str, Any] = {
            "input": np.array([phoneme_ids], dtype=np.int64),
            "input_lengths": np.array([len(phoneme_ids)], dtype=np.int64),
            "scales": np.array(scales, dtype=np.float32),
            **self._speaker_args(config),
        }
        latent: NDArray[np.float32] = self.head.run([self.latent], args)[0]
        return latent

    def vocode(
        self, latent: NDArray[np.float32], start: int, end: int, config: SynthesisConfig
    ) -> NDArray[np.float32]:
        """Audio for latent frames ``[start, end)``, run with context either side."""
        assert self.vocoder is not None
        frames = latent.shape[2]
        lo, hi = max(0, start - CONTEXT_FRAMES), min(frames, end + CONTEXT_FRAMES)
        args: dict[str, Any] = {
            self.latent: np.ascontiguousarray(latent[:, :, lo:hi]),
            **self._speaker_args(config),
        }
        audio = np.asarray(self.vocoder.run(None, args)[0], dtype=np.float32).reshape(-1)
        hop = self.piper.config.hop_length
        return audio[(start - lo) * hop : (end - lo) * hop]

    def _speaker_args(self, config: SynthesisConfig) -> dict[str, NDArray[np.int64]]:
        """The speaker-id input of a multi-speaker voice (none for one speaker), as piper's."""
        piper = self.piper.config
        if self.speaker_input is None or piper.num_speakers <= 1:
            return {}
        sid = config.speaker_id if config.speaker_id is not None else piper.default_speaker_id
        return {self.speaker_input: np.array([sid or 0], dtype=np.int64)}

    def whole_pcm(self, text: str, config: SynthesisConfig) -> bytes:
        """The whole of ``text`` through piper itself (normalized per sentence by piper)."""
        return b"".join(chunk.audio_int16_bytes for chunk in self.piper.synthesize(text, config))


def calibrate_gain(engine: VoiceEngine) -> float:
    """The gain that brings the median calibration sentence's peak to ``TARGET_PEAK``."""
    config = SynthesisConfig()
    peaks = []
    for sentence in CALIBRATION_SENTENCES:
        for phonemes in engine.piper.phonemize(sentence):
            latent = engine.latent_of(engine.piper.phonemes_to_ids(phonemes), config)
            audio = engine.vocode(latent, 0, latent.shape[2], config)
            peaks.append(float(np.abs(audio).max()))
    return TARGET_PEAK / max(statistics.median(peaks), 1e-3)


class SentencePieces:
    """One sentence's audio, a piece per ``step``; any engine of the voice may run a step.

    Not thread-safe: the synthesizer runs one step of a sentence at a time.
    """

    def __init__(self, text: str, config: SynthesisConfig, gain: float) -> None:
        self.text = text
        self.config = config
        self.gain = gain
        self.done = False
        self._segments: list[list[int]] | None = None  # phoneme ids per espeak sentence
        self._latent: NDArray[np.float32] | None = None
        self._bounds: list[tuple[int, int]] = []

    def step(self, engine: VoiceEngine, *, hurry: bool = True) -> bytes:
        """The next piece of PCM (possibly empty); sets ``done`` after the last.

        ``hurry`` (someone is waiting for sound) cuts a new latent short first.
        """
        if not engine.streams:
            self.done = True
            return engine.whole_pcm(self.text, self.config)
        if self._segments is None:
            self._segments = [
                engine.piper.phonemes_to_ids(phonemes)
                for phonemes in engine.piper.phonemize(self.text)
                if phonemes
            ]
        if self._latent is None:
            if not self._segments:
                self.done = True
                return b""
            self._latent = engine.latent_of(self._segments.pop(0), self.config)
            self._bounds = piece_bounds(self._latent.shape[2], hurry=hurry)
            if not self._bounds:  # no frames at all
                self._latent = None
                self.done = not self._segments
                return b""
        start, end = self._bounds.pop(0)
        pcm = to_pcm(engine.vocode(self._latent, start, end, self.config), self.gain)
        if not self._bounds:
            self._latent = None
            self.done = not self._segments
        return pcm
