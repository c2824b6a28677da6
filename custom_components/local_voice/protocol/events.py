"""What a satellite says: its announce and its events (topic ``event``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar, Final

from .fields import (
    AudioFormat,
    boolean,
    choice,
    id_list,
    ident,
    integer,
    load_json,
    nested,
    opt_ident,
    opt_string,
    string,
)
from .limits import (
    MAX_SESSION_BYTES,
    MAX_TEXT_CHARS,
    MAX_WAKE_WORDS,
    MIN_CHUNK_BYTES,
    PROTOCOL_VERSION,
    SUPPORTED_VERSIONS,
    ProtocolError,
    check_id,
)
from .message import Message
from .signal import WakeSignal, parse_signal


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
    version = integer(obj, "protocol", 1, 1000)
    if version not in SUPPORTED_VERSIONS:
        raise ProtocolError(
            f"protocol version {version} is not supported (versions {SUPPORTED_VERSIONS})"
        )
    sat = ident(obj, "id")
    if satellite_id is not None and sat != satellite_id:
        raise ProtocolError(f"announce id {sat!r} does not match topic id {satellite_id!r}")
    ww = nested(obj, "wake_words")
    available = ww.get("available")
    if not isinstance(available, list) or len(available) > MAX_WAKE_WORDS:
        raise ProtocolError(f"'available' must be a list of at most {MAX_WAKE_WORDS} wake words")
    words = []
    for item in available:
        if not isinstance(item, dict):
            raise ProtocolError("each available wake word must be an object")
        words.append(WakeWord(check_id(string(item, "id"), "wake word id"), string(item, "name")))
    active = id_list(ww, "active")
    if unknown := set(active) - {w.id for w in words}:
        raise ProtocolError(f"active wake words {sorted(unknown)} are not available")
    caps = nested(obj, "capabilities")
    return Announce(
        satellite_id=sat,
        name=string(obj, "name"),
        area=opt_string(obj, "area"),
        audio=AudioFormat.from_dict(nested(obj, "audio"), microphone=True),
        wake_words=tuple(words),
        active_wake_words=active,
        max_active_wake_words=integer(ww, "max_active", 0, MAX_WAKE_WORDS),
        speaker=boolean(caps, "speaker"),
        wake_word=boolean(caps, "wake_word"),
        vad=boolean(caps, "vad"),
        software=string(obj, "software"),
        protocol=version,
    )


# Satellite -> HA events (topic ``event``).
@dataclass(frozen=True, slots=True)
class SessionStart(Message):
    """A session begins; its audio follows on ``audio/in/<session_id>``.

    ``signal`` (version 2, wake-word sessions) says how well the wake word was heard.
    """

    TAG: ClassVar[str] = "type"
    NAME: ClassVar[str] = "session_start"
    session_id: str
    audio: dict[str, int] = field(default_factory=lambda: asdict(AudioFormat()))
    wake_word_id: str | None = None
    reason: str = "wake_word"  # wake_word | button | command | conversation
    signal: WakeSignal | None = None

    def to_dict(self) -> dict[str, Any]:
        """Wire form (the signal's unset fields left out)."""
        body: dict[str, Any] = {
            "type": self.NAME,
            "session_id": self.session_id,
            "audio": self.audio,
            "reason": self.reason,
        }
        if self.wake_word_id is not None:
            body["wake_word_id"] = self.wake_word_id
        if self.signal is not None:
            body["signal"] = self.signal.to_dict()
        return body


@dataclass(frozen=True, slots=True)
class SessionEnd(Message):
    """A session ends; ``chunks`` is how many audio messages were sent."""

    TAG: ClassVar[str] = "type"
    NAME: ClassVar[str] = "session_end"
    session_id: str
    chunks: int
    reason: str = "vad"  # vad | cap | button | cancel | error | dismissed | end_of_speech


@dataclass(frozen=True, slots=True)
class WakeWordDetected(Message):
    """The satellite heard a wake word (informational; a session_start follows)."""

    TAG: ClassVar[str] = "type"
    NAME: ClassVar[str] = "wake_word"
    wake_word_id: str


@dataclass(frozen=True, slots=True)
class VoiceStarted(Message):
    """The satellite's VAD heard speech begin."""

    TAG: ClassVar[str] = "type"
    NAME: ClassVar[str] = "voice_started"
    session_id: str


@dataclass(frozen=True, slots=True)
class VoiceStopped(Message):
    """The satellite's VAD heard speech stop."""

    TAG: ClassVar[str] = "type"
    NAME: ClassVar[str] = "voice_stopped"
    session_id: str


@dataclass(frozen=True, slots=True)
class Played(Message):
    """The satellite finished playing an ``audio/out`` stream."""

    TAG: ClassVar[str] = "type"
    NAME: ClassVar[str] = "played"
    stream_id: str


@dataclass(frozen=True, slots=True)
class ErrorEvent(Message):
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
END_REASONS: Final = (
    "vad",
    "cap",
    "button",
    "cancel",
    "error",
    "dismissed",
    "end_of_speech",
)


def parse_event(payload: bytes | str) -> Event:
    """Validate an event from a satellite."""
    obj = load_json(payload)
    kind = obj.get("type")
    if not isinstance(kind, str):
        raise ProtocolError("an event needs a string 'type'")
    if kind == "session_start":
        return SessionStart(
            ident(obj, "session_id"),
            asdict(AudioFormat.from_dict(nested(obj, "audio"), microphone=True)),
            opt_ident(obj, "wake_word_id"),
            choice(obj, "reason", SESSION_REASONS, "wake_word"),
            parse_signal(obj),
        )
    if kind == "session_end":
        return SessionEnd(
            ident(obj, "session_id"),
            integer(obj, "chunks", 0, MAX_SESSION_BYTES // MIN_CHUNK_BYTES),
            choice(obj, "reason", END_REASONS, "vad"),
        )
    if kind == "wake_word":
        return WakeWordDetected(ident(obj, "wake_word_id"))
    if kind in {"voice_started", "voice_stopped"}:
        sid = ident(obj, "session_id")
        return VoiceStarted(sid) if kind == "voice_started" else VoiceStopped(sid)
    if kind == "played":
        return Played(ident(obj, "stream_id"))
    if kind == "error":
        return ErrorEvent(
            string(obj, "code"),
            string(obj, "message", max_len=MAX_TEXT_CHARS),
            opt_ident(obj, "session_id"),
        )
    raise ProtocolError(f"unknown event type {kind[:40]!r}")
