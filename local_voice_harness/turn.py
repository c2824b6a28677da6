"""One spoken turn's outcome and timings, whichever satellite path carried it."""

from __future__ import annotations

import array
import math
import wave
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from . import speech_end

if TYPE_CHECKING:
    from pathlib import Path

SAMPLE_RATE: Final = 16000
SAMPLE_WIDTH: Final = 2
CHUNK_MS: Final = 20


@dataclass(slots=True)
class TurnResult:
    """What one utterance produced. Times are seconds after the end of speech."""

    transcript: str = ""
    answer: str = ""
    intent_ms: float | None = None  # end of speech -> intent handled
    stt_ms: float | None = None  # end of speech -> transcript
    first_audio_ms: float | None = None  # end of speech -> first answer audio byte
    # The user's view (real-time MQTT runs): last speech sound in the WAV -> ...
    endpoint_ms: float | None = None  # ... the satellite ending the session
    user_first_audio_ms: float | None = None  # ... the first answer audio byte
    user_answer_end_ms: float | None = None  # ... the answer's end (its last audio sent)
    answer_audio: bytes = b""  # a complete audio file (WAV/MP3) or PCM as received
    answer_audio_format: str = ""
    answer_rate: int = 0
    answer_text: str = ""  # the text HA sent with the answer audio (MQTT path)
    events: list[dict[str, Any]] = field(default_factory=list)
    error: str = ""
    # MQTT path: the session this command started, and what became of it.
    satellite: str = ""
    session_id: str = ""
    end_reason: str = ""  # the satellite's session_end reason (vad, end_of_speech, ...)
    lost: bool = False  # no session, or a session HA never finished: the command got nothing
    dismissed: bool = False  # another satellite heard the wake word better
    answered: bool = False  # HA answered this session
    signal: dict[str, Any] = field(default_factory=dict)  # the wake-up's level, SNR, score
    started_mono: float | None = None  # when the session_start was heard
    dismissed_mono: float | None = None  # when HA's dismiss was heard

    def timings(self) -> dict[str, float | None]:
        """Per-stage latency in ms (``None`` where the stage did not happen)."""
        return {
            "speech_end_to_transcript_ms": self.stt_ms,
            "speech_end_to_intent_ms": self.intent_ms,
            "speech_end_to_first_audio_ms": self.first_audio_ms,
            "last_speech_to_session_end_ms": self.endpoint_ms,
            "last_speech_to_first_audio_ms": self.user_first_audio_ms,
            "last_speech_to_answer_end_ms": self.user_answer_end_ms,
        }


def read_pcm(path: Path) -> bytes:
    """The command audio as 16 kHz mono s16 PCM (the shared set's format, validated)."""
    with wave.open(str(path), "rb") as wav:
        fmt = (wav.getframerate(), wav.getsampwidth(), wav.getnchannels())
        if fmt != (SAMPLE_RATE, SAMPLE_WIDTH, 1):
            raise ValueError(f"{path}: need 16 kHz 16-bit mono, got {fmt}")
        return wav.readframes(wav.getnframes())


def trailing_silence_s(pcm: bytes, threshold_db: float = -35.0) -> float:
    """Seconds after the last 10 ms frame louder than ``threshold_db`` below the peak.

    Finds the last speech sound of a recording offline (energy on the file),
    so latency can be measured from the user's last word. Over background
    noise louder than that level, a voice detector decides (``speech_end``).
    """
    frame = SAMPLE_RATE * SAMPLE_WIDTH // 100
    samples = array.array("h", pcm[: len(pcm) - len(pcm) % 2])
    if not samples:
        return 0.0
    peak = max((abs(v) for v in samples), default=1) or 1
    limit = peak * 10 ** (threshold_db / 20)
    per_frame = frame // SAMPLE_WIDTH
    frames = [samples[i : i + per_frame] for i in range(0, len(samples), per_frame)]
    levels = [math.sqrt(sum(v * v for v in chunk) / len(chunk)) for chunk in frames]
    loud = [index for index, level in enumerate(levels) if level >= limit]
    tail = (len(frames) - loud[-1] - 1) * 0.01 if loud else len(frames) * 0.01
    if tail < speech_end.NOISE_TAIL_S and speech_end.noisy(levels, limit):
        # "Sound" up to the end over a noise floor near the limit: ask a VAD.
        found = speech_end.vad_trailing_silence_s(pcm)
        if found is not None:
            return found
    return tail


def pcm_chunks(pcm: bytes, chunk_ms: int = CHUNK_MS) -> list[bytes]:
    """Split PCM into chunks of ``chunk_ms``."""
    size = SAMPLE_RATE * SAMPLE_WIDTH * chunk_ms // 1000
    return [pcm[i : i + size] for i in range(0, len(pcm), size)]


def write_wav(path: Path, pcm: bytes, rate: int) -> None:
    """Write mono s16 PCM as a WAV file."""
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(SAMPLE_WIDTH)
        wav.setframerate(rate)
        wav.writeframes(pcm)
