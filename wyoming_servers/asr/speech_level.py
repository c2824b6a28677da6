"""Where the speech is in a stream of audio: loudness against the speech level.

One rule for "speech" serves two questions: whether a chunk that just
arrived is speech (``chunk_is_speech``, per chunk, on the event loop: where
the speech ends and a pause begins, ``utterance.py``), and where the speech
starts after a wake word's lead-in (``without_leading_silence``). A chunk or
20 ms frame is speech when it is louder than a fraction of the speech level
(the 90th percentile chunk or frame) and louder than an absolute floor.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import numpy as np

from wyoming_servers.core.audio import TARGET_RATE

if TYPE_CHECKING:
    import numpy.typing as npt

_FRAME: Final = 320  # 20 ms at 16 kHz
# Quiet: below this fraction of the speech level (90th percentile) and below _ABS_SILENCE.
_REL_SILENCE: Final = 0.12
_ABS_SILENCE: Final = 0.03
_DIGITAL_SILENCE: Final = 1e-4  # quieter than this is no signal at all
LEAD_KEEP_SECONDS: Final = 0.3  # quiet kept before the speech (the dev files have ~0.34 s)


def chunk_rms(samples: npt.NDArray[np.float32]) -> float:
    """Root mean square of one chunk (0 for an empty one)."""
    return float(np.sqrt(np.dot(samples, samples) / samples.size)) if samples.size else 0.0


def chunk_is_speech(rms: float, levels: list[float]) -> bool:
    """Whether a chunk of loudness ``rms`` is speech, given every chunk's RMS so far, sorted."""
    return rms > _speech_floor(percentile_90(levels)) and rms >= _DIGITAL_SILENCE


def without_leading_silence(
    audio: npt.NDArray[np.float32], keep: float = LEAD_KEEP_SECONDS
) -> npt.NDArray[np.float32]:
    """``audio`` from ``keep`` seconds before the first frame that sounds like speech.

    A satellite streams from its wake word, so the speech may start a second
    or more into the audio, and where it starts in Whisper's window changed
    what tiny.en heard: through the whole satellite pipeline "turn on the
    office fan" came back as "Turn on the Office" in 3 of 3 runs after 1.1 s
    of lead-in, and as "Turn on the Office Fan." in every trial with the
    lead-in cut to 0.1-0.5 s. Same rule for "speech" as ``chunk_is_speech``,
    per 20 ms frame; audio with no quiet start (noise) is left as it is.
    """
    if audio.size // _FRAME < 5:  # noqa: PLR2004 - too short to judge
        return audio
    rms = _frame_rms(audio)
    loud = np.flatnonzero(rms > _speech_floor(float(np.percentile(rms, 90))))
    if loud.size == 0:
        return audio
    start = int(loud[0]) * _FRAME - round(keep * TARGET_RATE)
    return audio[start:] if start > 0 else audio


def percentile_90(ordered: list[float]) -> float:
    """``np.percentile(ordered, 90)`` of a sorted, non-empty list, without numpy's per-call cost.

    It runs for every chunk of every client on the event loop: numpy's
    percentile of the whole history cost ~0.1 ms a chunk, 15-20 ms of event
    loop per 3 s utterance sent in 20 ms chunks, competing with the decodes
    when several clients send at once.
    """
    position = 0.9 * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _frame_rms(audio: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """RMS of each whole 20 ms frame (a partial last frame is left out)."""
    frames = audio[: audio.size - audio.size % _FRAME].reshape(-1, _FRAME)
    rms: npt.NDArray[np.float32] = np.sqrt((frames**2).mean(axis=1))
    return rms


def _speech_floor(level: float) -> float:
    """Loudness above which a frame is speech, given the speech level (90th percentile)."""
    return min(_ABS_SILENCE, _REL_SILENCE * level)
