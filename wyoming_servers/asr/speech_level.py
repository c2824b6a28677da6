"""Where the speech is in a stream of audio: loudness against the speech level and the noise.

Two questions: whether a chunk that just arrived is speech
(``chunk_is_speech``, per chunk, on the event loop: where the speech ends
and a pause begins, ``utterance.py``), and where the speech starts after a
wake word's lead-in (``without_leading_silence``, the first test below
alone).

A chunk is speech when it passes two tests. Against the speech: its RMS is
above 12 % of the speech level (the 90th percentile chunk so far) or above
an absolute floor, whichever is lower. Against the noise: once a steady
noise floor has been heard, its level (``level``: above 100 Hz, where steady
background noise has much of its energy and speech little, over the latest
64 ms, so that the noise's own ups and downs average out) is 3 dB above the
top of that floor. The floor is the quietest 0.25 s of levels when they lie
within 3 dB of each other: noise is steady, quiet speech is not. Without a
steady floor (clean audio, digital silence, noise that comes and goes) only
the speech level counts. The first 0.25 s of a stream is never speech: too
little to tell the noise from the speech. In clean audio the first test
ends the speech, chunk by chunk; in noise, where the noise passes it, the
second does, up to 64 ms later.
"""

from __future__ import annotations

import bisect
import math
from typing import TYPE_CHECKING, Final

import numpy as np

from wyoming_servers.core.audio import TARGET_RATE

if TYPE_CHECKING:
    import numpy.typing as npt

_FRAME: Final = 320  # 20 ms at 16 kHz
LEVEL_SECONDS: Final = 0.064  # a level is measured over at least this much of the latest audio
_LOW_CUT_HZ: Final = 100.0  # energy below this is left out of a level
# Quiet: below this fraction of the speech level (90th percentile) and below _ABS_SILENCE.
_REL_SILENCE: Final = 0.12
_ABS_SILENCE: Final = 0.03
_DIGITAL_SILENCE: Final = 1e-4  # quieter than this is no signal at all
# A steady noise floor: the quietest STEADY_SECONDS of levels within 3 dB of each other;
# a chunk must then be 3 dB louder than the top of them to be speech.
STEADY_SECONDS: Final = 0.25
_STEADY_RATIO: Final = 10 ** (3.0 / 20)
_OVER_NOISE_RATIO: Final = 10 ** (3.0 / 20)
LEAD_KEEP_SECONDS: Final = 0.3  # quiet kept before the speech (the dev files have ~0.34 s)


def chunk_rms(samples: npt.NDArray[np.float32]) -> float:
    """Root mean square of one chunk (0 for an empty one)."""
    return float(np.sqrt(np.dot(samples, samples) / samples.size)) if samples.size else 0.0


def level(samples: npt.NDArray[np.float32], rate: int) -> float:
    """RMS of ``samples`` above 100 Hz (0 for none): the loudness compared with the noise."""
    if samples.size == 0:
        return 0.0
    spectrum = np.fft.rfft(samples)[math.ceil(_LOW_CUT_HZ * samples.size / rate) :]
    return math.sqrt(2.0 * float(np.vdot(spectrum, spectrum).real)) / samples.size


def steady_count(chunks: int, frames: int, rate: int) -> int:
    """How many of ``chunks`` levels (``frames`` frames of audio in all) make 0.25 s."""
    return math.ceil(STEADY_SECONDS * rate * chunks / frames) if frames else 1


def chunk_is_speech(
    rms: float, levels: list[float], loudness: float, noise_levels: list[float], steady: int
) -> bool:
    """Whether a chunk is speech: loud against the speech level and against the noise.

    ``rms``: the chunk's RMS, ``levels``: every chunk's so far, sorted;
    ``loudness``: the ``level`` of the latest 64 ms, ``noise_levels``: every
    chunk's so far, sorted; ``steady``: how many of those make 0.25 s
    (``steady_count``). A few list reads: it runs on the event loop for
    every chunk.
    """
    return (
        rms > _speech_floor(percentile_90(levels))
        and rms >= _DIGITAL_SILENCE
        and loudness > noise_threshold(noise_levels, steady)
    )


def noise_threshold(ordered: list[float], steady: int) -> float:
    """The ``level`` a chunk must pass to be louder than the noise (0: no steady noise heard).

    ``ordered``: the levels so far, sorted; ``steady``: how many make 0.25 s.
    """
    if len(ordered) <= steady:
        return math.inf  # 0.25 s or less: noise cannot be told from speech yet
    bottom = bisect.bisect_left(ordered, _DIGITAL_SILENCE)  # no signal is no noise floor
    if bottom + steady < len(ordered):
        top = ordered[bottom + steady]
        if top <= ordered[bottom] * _STEADY_RATIO:  # the quietest 0.25 s is steady: noise
            return top * _OVER_NOISE_RATIO
    return 0.0


def without_leading_silence(
    audio: npt.NDArray[np.float32], keep: float = LEAD_KEEP_SECONDS
) -> npt.NDArray[np.float32]:
    """``audio`` from ``keep`` seconds before the first frame that sounds like speech.

    A satellite streams from its wake word, so the speech may start a second
    or more into the audio, and where it starts in Whisper's window changed
    what tiny.en heard: through the whole satellite pipeline "turn on the
    office fan" came back as "Turn on the Office" in 3 of 3 runs after 1.1 s
    of lead-in, and as "Turn on the Office Fan." in every trial with the
    lead-in cut to 0.1-0.5 s. Speech here is the first test of
    ``chunk_is_speech`` alone (against the speech level), per 20 ms frame;
    audio with no quiet start (steady noise included) is left as it is:
    cutting a noisy lead-in to 0.3 s measured worse (docs/asr.md).
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


def _speech_floor(speech_level: float) -> float:
    """Loudness above which a frame is speech, given the speech level (90th percentile)."""
    return min(_ABS_SILENCE, _REL_SILENCE * speech_level)
