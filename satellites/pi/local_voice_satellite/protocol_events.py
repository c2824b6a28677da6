"""Protocol part 3: what a satellite says (announce and events) and ``encode``.

Part of :mod:`.protocol`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Final

from .protocol_fields import (
    AudioFormat,
    _bool,
    _choice,
    _dict,
    _id,
    _id_list,
    _int,
    _opt_id,
    _opt_str,
    _str,
    load_json,
)
from .protocol_topics import (
    MAX_SESSION_BYTES,
    MAX_TEXT_CHARS,
    MAX_WAKE_WORDS,
    MIN_CHUNK_BYTES,
    PROTOCOL_VERSION,
    ProtocolError,
    _check_id,
)

if TYPE_CHECKING:
    from .protocol_commands import AudioOutEnd, AudioOutStart, State


@dataclass(frozen=True, slots=True)
class WakeWord:
    """A wake word the satellite can detect."""

    id: str
    name: str


@dataclass(frozen=True, slots=True)
class Announce:
    """What a satellite is and can do (retained on ``announce``)."""

    satellite_id: str
    name: str
    area: str | None = None
    audio: AudioFormat = field(default_factory=AudioFormat)
    wake_words: tuple[WakeWord, ...] = ()
    active_wake_words: tuple[str, ...] = ()
    max_active_wake_words: int = 1
    speaker: bool = True
    wake_word: bool = True  # detects wake words on the device
    vad: bool = True  # ends sessions itself when speech stops
    software: str = "unknown"
    protocol: int = PROTOCOL_VERSION

    def to_dict(self) -> dict[str, Any]:
        """Wire form."""
        return {
            "protocol": self.protocol,
            "id": self.satellite_id,
            "name": self.name,
            "area": self.area,
            "audio": asdict(self.audio),
            "wake_words": {
                "available": [asdict(w) for w in self.wake_words],
                "active": list(self.active_wake_words),
                "max_active": self.max_active_wake_words,
            },
            "capabilities": {"speaker": self.speaker, "wake_word": self.wake_word, "vad": self.vad},
            "software": self.software,
        }


def parse_announce(payload: bytes | str, satellite_id: str | None = None) -> Announce:
    """Validate an announce; ``satellite_id`` (from the topic) must match its ``id``."""
    obj = load_json(payload)
    version = _int(obj, "protocol", 1, 1000)
    if version != PROTOCOL_VERSION:
        raise ProtocolError(f"protocol version {version} is not supported ({PROTOCOL_VERSION})")
    sat = _id(obj, "id")
    if satellite_id is not None and sat != satellite_id:
        raise ProtocolError(f"announce id {sat!r} does not match topic id {satellite_id!r}")
    ww = _dict(obj, "wake_words")
    available = ww.get("available")
    if not isinstance(available, list) or len(available) > MAX_WAKE_WORDS:
        raise ProtocolError(f"'available' must be a list of at most {MAX_WAKE_WORDS} wake words")
    words = []
    for item in available:
        if not isinstance(item, dict):
            raise ProtocolError("each available wake word must be an object")
        words.append(WakeWord(_check_id(_str(item, "id"), "wake word id"), _str(item, "name")))
    active = _id_list(ww, "active")
    if unknown := set(active) - {w.id for w in words}:
        raise ProtocolError(f"active wake words {sorted(unknown)} are not available")
    caps = _dict(obj, "capabilities")
    return Announce(
        satellite_id=sat,
        name=_str(obj, "name"),
        area=_opt_str(obj, "area"),
        audio=AudioFormat.from_dict(_dict(obj, "audio"), microphone=True),
        wake_words=tuple(words),
        active_wake_words=active,
        max_active_wake_words=_int(ww, "max_active", 0, MAX_WAKE_WORDS),
        speaker=_bool(caps, "speaker"),
        wake_word=_bool(caps, "wake_word"),
        vad=_bool(caps, "vad"),
        software=_str(obj, "software"),
        protocol=version,
    )


class _Message:
    """A JSON message with a ``type`` (events) or ``command`` (commands) tag."""

    TAG: ClassVar[str]
    NAME: ClassVar[str]

    def to_dict(self) -> dict[str, Any]:
        """Wire form: the tag plus the dataclass fields that are set."""
        body = {k: v for k, v in asdict(self).items() if v is not None}  # type: ignore[call-overload]
        return {self.TAG: self.NAME, **body}


def encode(message: Announce | _Message | State | AudioOutStart | AudioOutEnd) -> bytes:
    """Serialise a message to compact UTF-8 JSON."""
    data = message.to_dict()
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()


# Satellite -> HA events (topic ``event``).
@dataclass(frozen=True, slots=True)
class SessionStart(_Message):
    """A session begins; its audio follows on ``audio/in/<session_id>``."""

    TAG: ClassVar[str] = "type"
    NAME: ClassVar[str] = "session_start"
    session_id: str
    audio: dict[str, int] = field(default_factory=lambda: asdict(AudioFormat()))
    wake_word_id: str | None = None
    reason: str = "wake_word"  # wake_word | button | command | conversation


@dataclass(frozen=True, slots=True)
class SessionEnd(_Message):
    """A session ends; ``chunks`` is how many audio messages were sent."""

    TAG: ClassVar[str] = "type"
    NAME: ClassVar[str] = "session_end"
    session_id: str
    chunks: int
    reason: str = "vad"  # vad | cap | button | cancel | error


@dataclass(frozen=True, slots=True)
class WakeWordDetected(_Message):
    """The satellite heard a wake word (informational; a session_start follows)."""

    TAG: ClassVar[str] = "type"
    NAME: ClassVar[str] = "wake_word"
    wake_word_id: str


@dataclass(frozen=True, slots=True)
class VoiceStarted(_Message):
    """The satellite's VAD heard speech begin."""

    TAG: ClassVar[str] = "type"
    NAME: ClassVar[str] = "voice_started"
    session_id: str


@dataclass(frozen=True, slots=True)
class VoiceStopped(_Message):
    """The satellite's VAD heard speech stop."""

    TAG: ClassVar[str] = "type"
    NAME: ClassVar[str] = "voice_stopped"
    session_id: str


@dataclass(frozen=True, slots=True)
class Played(_Message):
    """The satellite finished playing an ``audio/out`` stream."""

    TAG: ClassVar[str] = "type"
    NAME: ClassVar[str] = "played"
    stream_id: str


@dataclass(frozen=True, slots=True)
class ErrorEvent(_Message):
    """Something went wrong on the satellite."""

    TAG: ClassVar[str] = "type"
    NAME: ClassVar[str] = "error"
    code: str
    message: str
    session_id: str | None = None


type Event = (
    SessionStart | SessionEnd | WakeWordDetected | VoiceStarted | VoiceStopped | Played | ErrorEvent
)

SESSION_REASONS: Final = ("wake_word", "button", "command", "conversation")
END_REASONS: Final = ("vad", "cap", "button", "cancel", "error")


def parse_event(payload: bytes | str) -> Event:
    """Validate an event from a satellite."""
    obj = load_json(payload)
    kind = obj.get("type")
    if not isinstance(kind, str):
        raise ProtocolError("an event needs a string 'type'")
    if kind == "session_start":
        return SessionStart(
            _id(obj, "session_id"),
            asdict(AudioFormat.from_dict(_dict(obj, "audio"), microphone=True)),
            _opt_id(obj, "wake_word_id"),
            _choice(obj, "reason", SESSION_REASONS, "wake_word"),
        )
    if kind == "session_end":
        return SessionEnd(
            _id(obj, "session_id"),
            _int(obj, "chunks", 0, MAX_SESSION_BYTES // MIN_CHUNK_BYTES),
            _choice(obj, "reason", END_REASONS, "vad"),
        )
    if kind == "wake_word":
        return WakeWordDetected(_id(obj, "wake_word_id"))
    if kind in {"voice_started", "voice_stopped"}:
        sid = _id(obj, "session_id")
        return VoiceStarted(sid) if kind == "voice_started" else VoiceStopped(sid)
    if kind == "played":
        return Played(_id(obj, "stream_id"))
    if kind == "error":
        return ErrorEvent(
            _str(obj, "code"),
            _str(obj, "message", max_len=MAX_TEXT_CHARS),
            _opt_id(obj, "session_id"),
        )
    raise ProtocolError(f"unknown event type {kind[:40]!r}")
