"""How well a satellite heard its wake word (version 2): what arbitration compares.

A satellite that wakes up reports, with its ``session_start``, the wake word
model's score and the speech level of the wake word (dBFS) with its
signal-to-noise ratio. When several satellites hear one wake word, HA gives
the session to the best of them (see ``rank``); the rest are dismissed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .limits import MAX_SNR_DB, MIN_LEVEL_DB, ProtocolError


@dataclass(frozen=True, slots=True)
class WakeSignal:
    """Wake word score (0-1), speech level (dBFS, -120-0) and SNR (dB), each optional."""

    score: float | None = None
    level_db: float | None = None
    snr_db: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """Wire form: the fields that are set, rounded to 0.01."""
        fields = {"score": self.score, "level_db": self.level_db, "snr_db": self.snr_db}
        return {k: round(v, 2) for k, v in fields.items() if v is not None}

    def rank(self) -> tuple[float, float, float]:
        """Larger is nearer: speech level first, then SNR, then the score.

        The level falls with the distance to the speaker; SNR breaks ties
        between satellites that hear it about as loud (within 1 dB), and the
        score ties beyond that. A field a satellite did not report ranks lowest.
        """
        level = -math.inf if self.level_db is None else round(self.level_db)
        snr = -math.inf if self.snr_db is None else self.snr_db
        score = -math.inf if self.score is None else self.score
        return (level, snr, score)


def _number(obj: dict[str, Any], key: str, lo: float, hi: float) -> float | None:
    value = obj.get(key)
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not lo <= value <= hi
    ):
        raise ProtocolError(f"signal {key!r} must be a number in [{lo}, {hi}], got {value!r}")
    return float(value)


def parse_signal(obj: dict[str, Any], key: str = "signal") -> WakeSignal | None:
    """The optional ``signal`` object of a ``session_start``; None when absent."""
    raw = obj.get(key)
    if raw is None:
        return None
    if not isinstance(raw, dict) or set(raw) - {"score", "level_db", "snr_db"}:
        raise ProtocolError("'signal' must be an object with score, level_db, snr_db")
    return WakeSignal(
        _number(raw, "score", 0.0, 1.0),
        _number(raw, "level_db", MIN_LEVEL_DB, 0.0),
        _number(raw, "snr_db", -MAX_SNR_DB, MAX_SNR_DB),
    )
