"""How loud the wake word was: the signal a satellite reports when it wakes up (protocol v2).

When several satellites hear one wake word, HA gives the session to the one
that heard it best. Each 10 ms frame's level (RMS, dBFS) goes into a short
history; at the wake-up the speech level is the mean of the loudest frames
of the last second (the wake word itself) and the noise floor is a low
percentile of the last two seconds (the room before it), so the
signal-to-noise ratio is their difference. Digital silence is -120 dBFS.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Final

import local_voice_protocol as protocol
import numpy as np

HISTORY_FRAMES: Final = 200  # 2 s of 10 ms frames
SPEECH_FRAMES: Final = 100  # the last second holds the wake word
LOUDEST_SHARE: Final = 0.3  # the wake word's voiced part
NOISE_PERCENTILE: Final = 10


def frame_level_db(frame: bytes) -> float:
    """RMS level of 16-bit PCM in dBFS (-120 for silence)."""
    samples = np.frombuffer(frame, dtype="<i2").astype(np.float64)
    if samples.size == 0:
        return protocol.MIN_LEVEL_DB
    rms = math.sqrt(float(np.mean(samples * samples))) / 32768.0
    return max(protocol.MIN_LEVEL_DB, 20 * math.log10(rms)) if rms > 0 else protocol.MIN_LEVEL_DB


class LevelMeter:
    """The last two seconds of frame levels."""

    def __init__(self) -> None:
        self._levels: deque[float] = deque(maxlen=HISTORY_FRAMES)

    def add(self, frame: bytes) -> None:
        """One 10 ms frame."""
        self._levels.append(frame_level_db(frame))

    def reset(self) -> None:
        """Forget (the microphone's history is not the next wake word's)."""
        self._levels.clear()

    def signal(self, score: float | None) -> protocol.WakeSignal:
        """Speech level, noise floor difference and the wake word model's score."""
        if not self._levels:
            return protocol.WakeSignal(score=score)
        recent = sorted(list(self._levels)[-SPEECH_FRAMES:], reverse=True)
        loudest = recent[: max(1, int(len(recent) * LOUDEST_SHARE))]
        level = sum(loudest) / len(loudest)
        noise = float(np.percentile(np.array(self._levels), NOISE_PERCENTILE))
        snr = max(-protocol.MAX_SNR_DB, min(protocol.MAX_SNR_DB, level - noise))
        clipped = None if score is None else max(0.0, min(1.0, score))
        return protocol.WakeSignal(score=clipped, level_db=min(0.0, level), snr_db=snr)
