"""The add-on's options (``/data/options.json``), each value checked.

The Supervisor checks options against ``addon/config.yaml``'s schema, but only
as far as its small type language goes (no CIDRs, no model/language pairs) and
a user can also edit the options file by hand. So every value is checked again
here, and a bad one raises :class:`AddonOptionError` with one line that names
the option: that line is what the add-on log shows. What the options become,
the servers' command lines, is :mod:`wyoming_servers.addon_argv`'s business.
"""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Final

from wyoming_servers.addon_values import (
    AddonOptionError,
    bool_value,
    float_value,
    int_value,
    text_list_value,
    text_value,
)
from wyoming_servers.core.server import DEFAULT_ALLOW
from wyoming_servers.recordings import RecordingError, parse_key

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

__all__ = [
    "DEFAULT_ALLOW",
    "OPTION_NAMES",
    "AddonOptionError",
    "AddonOptions",
    "load_options",
    "parse_options",
]

STT_MODELS: Final = ("tiny.en", "base")
ENGLISH_ONLY_MODELS: Final = frozenset({"tiny.en"})
BEAM_SIZE_RANGE: Final = (1, 10)
MAX_CLIENTS_RANGE: Final = (1, 64)
MAX_QUEUED_RANGE: Final = (0, 256)
QUEUE_TIMEOUT_RANGE: Final = (1, 300)  # seconds
SPEAKER_RANGE: Final = (0, 1023)
LENGTH_SCALE_RANGE: Final = (0.25, 4.0)
MAX_VOCABULARY: Final = 500
MAX_NAME_CHARS: Final = 100
MAX_ALLOW: Final = 64
RECORDING_DAYS_RANGE: Final = (1, 365)
RECORDING_MAX_MB_RANGE: Final = (1, 10000)
_LANGUAGE_RE: Final = re.compile(r"^(auto|[a-z]{2,3})$")
_VOICE_RE: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True, slots=True)
class AddonOptions:
    """The add-on's options, checked."""

    stt_model: str = "tiny.en"
    language: str = "en"
    beam_size: int = 5
    faster_when_busy: bool = True
    vocabulary: tuple[str, ...] = ()
    voice: str = "en_US-joe-medium"
    speaker: int | None = None
    length_scale: float = 1.0
    max_clients: int = 8
    max_queued: int = 32
    queue_timeout: int = 10
    debug: bool = False
    allow: tuple[str, ...] = DEFAULT_ALLOW
    debug_recordings: bool = False
    # The key never appears in repr (logs, tracebacks): only in a 0600 file.
    recording_key: str | None = field(default=None, repr=False)
    recording_days: int = 7
    recording_max_mb: int = 200
    http_api: bool = False


OPTION_NAMES: Final = frozenset(field.name for field in fields(AddonOptions))


def _stt_model(value: object) -> str:
    model = text_value("stt_model", value)
    if model not in STT_MODELS:
        raise AddonOptionError("stt_model", f"must be one of {', '.join(STT_MODELS)}")
    return model


def _language(value: object) -> str:
    language = text_value("language", value)
    if not _LANGUAGE_RE.match(language):
        raise AddonOptionError(
            "language", f"must be 'auto' or a 2-3 letter code such as 'en', got {language!r}"
        )
    return language


def _vocabulary(value: object) -> tuple[str, ...]:
    names: list[str] = []
    for raw in text_list_value("vocabulary", value, MAX_VOCABULARY):
        name = raw.strip()
        if not name or len(name) > MAX_NAME_CHARS:
            raise AddonOptionError(
                "vocabulary", f"each name must hold 1 to {MAX_NAME_CHARS} characters"
            )
        if name not in names:
            names.append(name)
    return tuple(names)


def _voice(value: object) -> str:
    voice = text_value("voice", value)
    if not _VOICE_RE.match(voice):
        raise AddonOptionError(
            "voice", "must be a voice name such as 'en_US-joe-medium' (letters, digits, _ . -)"
        )
    return voice


def _speaker(value: object) -> int | None:
    return None if value is None else int_value("speaker", value, SPEAKER_RANGE)


def _recording_key(value: object) -> str | None:
    """Check the key's form without ever putting the key into the message."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise AddonOptionError("recording_key", "must be text (64 hex digits)")
    try:
        return parse_key(value).hex()
    except RecordingError as err:
        raise AddonOptionError(
            "recording_key",
            f"{err}; make one with 'python3 -m wyoming_servers.recordings new-key'",
        ) from None


def _allow(value: object) -> tuple[str, ...]:
    networks: list[str] = []
    for raw in text_list_value("allow", value, MAX_ALLOW):
        try:
            network = ipaddress.ip_network(raw.strip(), strict=True)
        except ValueError as err:
            raise AddonOptionError(
                "allow", f"{raw!r} is not a network in CIDR form: {err}"
            ) from err
        networks.append(str(network))
    if not networks:
        raise AddonOptionError("allow", "must name at least one network (else nobody may connect)")
    return tuple(networks)


_PARSERS: Final[dict[str, Callable[[object], object]]] = {
    "stt_model": _stt_model,
    "language": _language,
    "beam_size": lambda v: int_value("beam_size", v, BEAM_SIZE_RANGE),
    "faster_when_busy": lambda v: bool_value("faster_when_busy", v),
    "vocabulary": _vocabulary,
    "voice": _voice,
    "speaker": _speaker,
    "length_scale": lambda v: float_value("length_scale", v, LENGTH_SCALE_RANGE),
    "max_clients": lambda v: int_value("max_clients", v, MAX_CLIENTS_RANGE),
    "max_queued": lambda v: int_value("max_queued", v, MAX_QUEUED_RANGE),
    "queue_timeout": lambda v: int_value("queue_timeout", v, QUEUE_TIMEOUT_RANGE),
    "debug": lambda v: bool_value("debug", v),
    "allow": _allow,
    "debug_recordings": lambda v: bool_value("debug_recordings", v),
    "recording_key": _recording_key,
    "recording_days": lambda v: int_value("recording_days", v, RECORDING_DAYS_RANGE),
    "recording_max_mb": lambda v: int_value("recording_max_mb", v, RECORDING_MAX_MB_RANGE),
    "http_api": lambda v: bool_value("http_api", v),
}


def parse_options(raw: object) -> AddonOptions:
    """Check every option; missing ones take the defaults of ``config.yaml``."""
    if not isinstance(raw, dict):
        raise AddonOptionError("(options)", f"the options must be a JSON object, got {raw!r}")
    unknown = sorted(str(key) for key in raw if key not in OPTION_NAMES)
    if unknown:
        raise AddonOptionError(unknown[0], "is not an option of this add-on")
    values = {name: _PARSERS[name](value) for name, value in raw.items()}
    options = AddonOptions(**values)  # type: ignore[arg-type]  # each parser returns its field's type
    if options.stt_model in ENGLISH_ONLY_MODELS and options.language not in {"en", "auto"}:
        raise AddonOptionError(
            "language",
            f"model {options.stt_model!r} understands English only: use 'en' or choose 'base'",
        )
    if options.debug_recordings and options.recording_key is None:
        raise AddonOptionError(
            "recording_key",
            "debug recordings are on, so a key is needed (64 hex digits; make one with "
            "'python3 -m wyoming_servers.recordings new-key')",
        )
    return options


def load_options(path: Path) -> AddonOptions:
    """Read and check an options file."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise AddonOptionError("(options)", f"cannot read {path}: {err.strerror}") from err
    except json.JSONDecodeError as err:
        raise AddonOptionError("(options)", f"{path} is not valid JSON: {err}") from err
    return parse_options(raw)
