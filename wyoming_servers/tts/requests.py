"""Validate what a synthesis request carries, before any model runs.

``wyoming.tts.Synthesize.from_event`` trusts its input (``data["text"]``
raises ``KeyError``; a number where a string belongs passes through). Every
field is checked here and a bad one raises :class:`BadEventDataError`, which
the connection turns into an ``error`` event. Voice names are looked up in the
catalogue of installed voices only: a path on the wire is just an unknown name.

Per-request prosody (``length_scale``, ``noise_scale``, ``noise_w_scale``)
is read from the event data or from its ``context`` object (where clients
built on the wyoming library can put it); missing values fall back to the
server's defaults.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from wyoming_servers.core.errors import BadEventDataError

from .synthesizer import VoiceRequest
from .voices import Prosody

if TYPE_CHECKING:
    from .voices import VoiceCatalogue

PROSODY_FIELDS: Final = ("length_scale", "noise_scale", "noise_w_scale")
MAX_NAME_CHARS: Final = 256


class TextTooLongError(BadEventDataError):
    """More text than ``--max-chars`` in one request."""

    code = "text-too-long"


@dataclass(frozen=True, slots=True)
class ServerDefaults:
    """What a request gets when it does not say: from the command line."""

    speaker: str | None
    length_scale: float | None
    noise_scale: float | None
    noise_w_scale: float | None
    max_chars: int


def _optional_str(container: dict[str, Any], key: str) -> str | None:
    value = container.get(key)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and key == "speaker":
        value = str(value)
    if not isinstance(value, str) or len(value) > MAX_NAME_CHARS:
        raise BadEventDataError(f"'{key}' must be a string of at most {MAX_NAME_CHARS} chars")
    return value


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadEventDataError(f"'{name}' must be a number, got {type(value).__name__}")
    number = float(value)
    if not math.isfinite(number):
        raise BadEventDataError(f"'{name}' must be finite")
    return number


def checked_text(data: dict[str, Any], limit: int, *, required: bool = True) -> str:
    """The request's ``text`` field, a string within the length cap."""
    text = data.get("text")
    if text is None and not required:
        return ""
    if not isinstance(text, str):
        raise BadEventDataError(f"'text' must be a string, got {type(text).__name__}")
    if len(text) > limit:
        raise TextTooLongError(f"text of {len(text)} characters is over the cap of {limit}")
    return text


def resolve_request(
    data: dict[str, Any], catalogue: VoiceCatalogue, defaults: ServerDefaults
) -> VoiceRequest:
    """Voice, speaker and prosody for a ``synthesize`` / ``synthesize-start`` event."""
    voice_data = data.get("voice")
    if voice_data is None:
        voice_data = {}
    if not isinstance(voice_data, dict):
        raise BadEventDataError("'voice' must be an object")
    context = data.get("context")
    if context is None:
        context = {}
    if not isinstance(context, dict):
        raise BadEventDataError("'context' must be an object")

    name = _optional_str(voice_data, "name")
    voice = catalogue.get(name, _optional_str(voice_data, "language"))
    speaker = _optional_str(voice_data, "speaker")
    if speaker is None and voice is catalogue.default:
        speaker = defaults.speaker

    values: dict[str, float] = {}
    for field in PROSODY_FIELDS:
        raw = data.get(field, context.get(field))
        if raw is not None:
            values[field] = _number(raw, field)
        else:
            default = getattr(defaults, field)
            values[field] = default if default is not None else getattr(voice.defaults, field)
    return VoiceRequest(voice, voice.speaker_id(speaker), Prosody(**values))
