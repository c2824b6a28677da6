"""A shorter encoder window for short commands, with a guard against its one failure.

Whisper's encoder always sees 30 s of audio; faster-whisper pads a 3 s
command with 27 s of nothing and the encoder spends most of its time on
that padding (tiny.en int8, 2 cores: 275 ms for the 30 s window, ~100 ms
for 15 s). CTranslate2 accepts a shorter input, so when the audio fits, the
padded features are cut to ``window_frames`` before encoding.

Measured on the dev commands, the dev real speech and our 84-command set
(docs/asr.md): with the 15 s window and the home's names as prompt the word
errors went from 2+5+36 (30 s window) to 1+4+28, and the whole decode took
about half the time. A 10 s window made as many word errors as 15 s on the
dev commands and three 84-command sets (155 against 154) and took 125
against 205 ms a decode in-process, but through the satellite pipeline it
heard "What is a living room temperature?" for a dev command that the 15 s
window hears as HA's sentence, and such a turn waits for the long silence
(docs/asr.md), so 15 s stays the default. With a window under 15 s, audio
that does not fit in it gets 15 s before the full window
(``LONG_WINDOW_FRAMES``).

Without a prompt, a short window sometimes makes the decoder say the
command twice ("turn on the kitchen light turn on the kitchen light");
``looks_repetitive`` catches that and the transcriber decodes again in a
wider window (``decode_settings.wider_windows``; 5 of 184 decodes in that
measurement). Each decode thread may set its own window
(``thread_window``): decodes beside another one use a shorter one.
"""

from __future__ import annotations

import argparse
import re
import threading
from typing import TYPE_CHECKING, Any, Final

from faster_whisper import WhisperModel

if TYPE_CHECKING:
    import ctranslate2
    import numpy as np
    import numpy.typing as npt

FULL_WINDOW_FRAMES: Final = 3000  # 30 s at 100 mel frames per second
# Audio longer than the window but shorter than this is encoded in this many frames, not 30 s.
LONG_WINDOW_FRAMES: Final = 1500
FRAMES_PER_SECOND: Final = 100
SAMPLES_PER_FRAME: Final = 160  # one mel frame per 10 ms at 16 kHz
# A command spoken faster than this many words per second (plus a few) is not speech.
_MAX_WORDS_PER_SECOND: Final = 5
_BASE_TOKENS: Final = 16
_TOKENS_PER_SECOND: Final = 8
_MAX_TOKENS: Final = 220  # 448 decoder positions, up to ~228 of them taken by the prompt
_WORD = re.compile(r"[a-z0-9']+")
# Whisper's log-mel normalisation of digital silence: (max(log10(1e-10), peak - 8) + 4) / 4.
_SILENCE_FLOOR: Final = -1.5
_SILENCE_BELOW_PEAK: Final = 2.0


def encoder_window_argument(text: str) -> float:
    """``--encoder-window``: seconds, checked by ``window_frames`` (1 to 30)."""
    try:
        seconds = float(text)
        window_frames(seconds)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from err
    return seconds


def window_frames(seconds: float) -> int:
    """Mel frames of an encoder window of ``seconds`` (1 to 30 s)."""
    if not 1.0 <= seconds <= FULL_WINDOW_FRAMES / FRAMES_PER_SECOND:
        raise ValueError(f"encoder window must be between 1 and 30 s, got {seconds:g}")
    return round(seconds * FRAMES_PER_SECOND)


def feature_frames(samples: int) -> int:
    """Mel frames faster-whisper computes for ``samples`` of 16 kHz audio (its padding included)."""
    return samples // SAMPLES_PER_FRAME + 1


def max_new_tokens(audio_seconds: float) -> int:
    """A token budget no real utterance of this length needs (~3 tokens per spoken word).

    A decoder caught in a loop otherwise runs to Whisper's 448-token limit
    (3.5 s measured for "5, 5, 5, ..." on a 2-s clip) before the repetition
    check can send it to the full window.
    """
    return min(_MAX_TOKENS, round(_BASE_TOKENS + _TOKENS_PER_SECOND * audio_seconds))


def looks_repetitive(text: str, audio_seconds: float) -> bool:
    """Whether ``text`` repeats a run of two or more words back to back, or is too long.

    Real commands do not say a phrase twice in a row; a decoder caught in a
    loop does. The length check catches loops the first test misses.
    """
    words = _WORD.findall(text.lower())
    if len(words) > _MAX_WORDS_PER_SECOND * audio_seconds + 4:
        return True
    for size in range(2, len(words) // 2 + 1):
        for start in range(len(words) - 2 * size + 1):
            if words[start : start + size] == words[start + size : start + 2 * size]:
                return True
    return False


def encoded_frames(window: int, content: int, total: int) -> int:
    """Mel frames the encoder sees: the window, else 15 s, else all ``total`` frames.

    ``content`` frames of audio (the rest of ``total`` is padding) are
    encoded in ``window`` frames when they fit, else in ``LONG_WINDOW_FRAMES``
    when those are wider and they fit there, else whole.
    """
    for frames in (window, max(window, LONG_WINDOW_FRAMES)):
        if content <= frames < total:
            return frames
    return total


def _content_frames(features: npt.NDArray[np.float32]) -> int:
    """Frames before the zero padding faster-whisper appends (exact zeros)."""
    import numpy as np  # noqa: PLC0415 - numpy is imported by faster-whisper anyway

    columns = np.flatnonzero(np.any(features != 0, axis=-2).reshape(-1, features.shape[-1])[0])
    return int(columns[-1]) + 1 if columns.size else 0


class WindowedWhisperModel(WhisperModel):  # type: ignore[misc]  # faster-whisper ships no types
    """faster-whisper's model with the encoder input cut to a shorter window when it fits."""

    def __init__(self, *args: Any, window: int = FULL_WINDOW_FRAMES, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.window = window
        self._local = threading.local()

    def _thread_window(self) -> int:
        """The window of decodes on this thread: its own, else the model's."""
        own: int | None = getattr(self._local, "window", None)
        return own or self.window

    def thread_window(self, frames: int | None) -> None:
        """Use ``frames`` for decodes on this thread (None: the model's own window).

        Per thread, because decodes of other connections run on the other workers
        at the same time with their own settings (and retries).
        """
        self._local.window = frames

    def encode(self, features: npt.NDArray[np.float32]) -> ctranslate2.StorageView:
        """Encode, cutting the padding beyond the window (or a 15 s one) the content fits in."""
        content = _content_frames(features)
        frames = encoded_frames(self._thread_window(), content, features.shape[-1])
        return super().encode(padded_as_silence(features[..., :frames], content))


def padded_as_silence(features: npt.NDArray[np.float32], content: int) -> npt.NDArray[np.float32]:
    """The padding frames set to what Whisper's own front end gives for silence.

    faster-whisper 1.2 pads the log-mel *features* with zeros, but Whisper
    was trained on the features of audio padded with zeros: after the
    normalisation (log10 clipped at max - 8, then (x + 4) / 4) silence is
    ``max(-1.5, peak - 2)``, well below 0. The decoder reads zero padding as
    sound: measured with the 15 s window (tiny.en, beam 5), zero padding made
    it say 2 of the 12 dev commands twice (each then decoded again with the
    full window: ~600 against ~190 ms), and the home's names as prompt left
    113 word errors on dev, dev real speech, our set and the held-out set
    together against 101 with silence.
    """
    if content <= 0 or content >= features.shape[-1]:
        return features
    padded = features.copy()
    peak = float(features[..., :content].max())
    padded[..., content:] = max(_SILENCE_FLOOR, peak - _SILENCE_BELOW_PEAK)
    return padded
