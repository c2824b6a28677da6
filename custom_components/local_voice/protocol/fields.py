"""JSON decoding, field checks and the PCM audio format.

Every ``parse_*`` function builds on these checks, which raise
``ProtocolError`` naming the field.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from .limits import (
    CHANNELS,
    MAX_CHUNK_MS,
    MAX_JSON_BYTES,
    MAX_NAME_CHARS,
    MAX_WAKE_WORDS,
    MIN_CHUNK_MS,
    OUT_RATES,
    RATE,
    WIDTH,
    ProtocolError,
    check_id,
)

# ---- field validation -------------------------------------------------------


def load_json(payload: bytes | str) -> dict[str, Any]:
    """Decode a JSON object no larger than ``MAX_JSON_BYTES``."""
    if len(payload) > MAX_JSON_BYTES:
        raise ProtocolError(f"JSON payload of {len(payload)} bytes exceeds {MAX_JSON_BYTES}")
    try:
        obj = json.loads(payload)
    except (ValueError, UnicodeDecodeError) as err:
        raise ProtocolError(f"malformed JSON: {err}") from err
    if not isinstance(obj, dict):
        raise ProtocolError(f"JSON payload must be an object, got {type(obj).__name__}")
    return obj


def string(obj: dict[str, Any], key: str, *, max_len: int = MAX_NAME_CHARS) -> str:
    """A non-empty string of at most ``max_len`` characters."""
    value = obj.get(key)
    if not isinstance(value, str) or not value or len(value) > max_len:
        raise ProtocolError(f"{key!r} must be a non-empty string of at most {max_len} chars")
    return value


def opt_string(obj: dict[str, Any], key: str, *, max_len: int = MAX_NAME_CHARS) -> str | None:
    """Like ``string``, or None when absent or null."""
    return None if obj.get(key) is None else string(obj, key, max_len=max_len)


def ident(obj: dict[str, Any], key: str) -> str:
    """An identifier (``ID_PATTERN``)."""
    return check_id(string(obj, key), key)


def opt_ident(obj: dict[str, Any], key: str) -> str | None:
    """Like ``ident``, or None when absent or null."""
    return None if obj.get(key) is None else ident(obj, key)


def integer(obj: dict[str, Any], key: str, lo: int, hi: int) -> int:
    """An integer (not a bool) in ``[lo, hi]``."""
    value = obj.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ProtocolError(f"{key!r} must be an integer in [{lo}, {hi}], got {value!r}")
    return value


def boolean(obj: dict[str, Any], key: str, default: bool | None = None) -> bool:
    """A JSON boolean (``default`` when absent)."""
    value = obj.get(key, default)
    if not isinstance(value, bool):
        raise ProtocolError(f"{key!r} must be true or false, got {value!r}")
    return value


def nested(obj: dict[str, Any], key: str) -> dict[str, Any]:
    """A nested JSON object."""
    value = obj.get(key)
    if not isinstance(value, dict):
        raise ProtocolError(f"{key!r} must be an object")
    return value


def id_list(obj: dict[str, Any], key: str) -> tuple[str, ...]:
    """A list of at most ``MAX_WAKE_WORDS`` identifiers."""
    value = obj.get(key)
    if not isinstance(value, list) or len(value) > MAX_WAKE_WORDS:
        raise ProtocolError(f"{key!r} must be a list of at most {MAX_WAKE_WORDS} ids")
    return tuple(check_id(v, key) if isinstance(v, str) else check_id("", key) for v in value)


def choice(obj: dict[str, Any], key: str, choices: tuple[str, ...], default: str) -> str:
    """One of ``choices`` (``default`` when absent)."""
    value = obj.get(key, default)
    if value not in choices:
        raise ProtocolError(f"{key!r} must be one of {choices}, got {value!r}")
    return str(value)


@dataclass(frozen=True, slots=True)
class AudioFormat:
    """PCM format: rate in Hz, width in bytes per sample, channels."""

    rate: int = RATE
    width: int = WIDTH
    channels: int = CHANNELS

    @classmethod
    def from_dict(cls, obj: dict[str, Any], *, microphone: bool) -> AudioFormat:
        """Validate; microphone audio must be exactly 16 kHz 16-bit mono."""
        fmt = cls(
            integer(obj, "rate", 8000, 48000),
            integer(obj, "width", 2, 2),
            integer(obj, "channels", 1, 2),
        )
        if microphone and fmt != cls():
            raise ProtocolError(f"microphone audio must be {RATE} Hz 16-bit mono, got {fmt}")
        if not microphone and fmt.rate not in OUT_RATES:
            raise ProtocolError(f"answer audio rate must be one of {OUT_RATES}, got {fmt.rate}")
        return fmt

    def bytes_per_ms(self) -> float:
        """Bytes of PCM per millisecond."""
        return self.rate * self.width * self.channels / 1000


def validate_audio_chunk(payload: bytes, fmt: AudioFormat = AudioFormat()) -> bytes:
    """Check one PCM chunk: whole frames, 10 to 100 ms long."""
    frame = fmt.width * fmt.channels
    lo = math.ceil(fmt.bytes_per_ms() * MIN_CHUNK_MS)
    hi = int(fmt.bytes_per_ms() * MAX_CHUNK_MS)
    if not lo <= len(payload) <= hi or len(payload) % frame:
        raise ProtocolError(f"audio chunk of {len(payload)} bytes: need {lo}..{hi}, whole frames")
    return payload
