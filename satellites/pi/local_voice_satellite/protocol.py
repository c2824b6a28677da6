"""The Local Voice MQTT satellite protocol: topics, limits and payload schemas.

Defined once, standard library only, so that the HA integration and every
satellite program share one definition; HACS installs only
``custom_components/local_voice/`` so the satellite keeps a byte-identical
copy (a test proves it). Every ``parse_*`` function validates types, ranges
and sizes and raises ``ProtocolError``; ``encode`` turns a message into bytes.
See ``docs/mqtt-protocol.md``.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar, Final

PROTOCOL_VERSION: Final = 1
TOPIC_ROOT: Final = "local_voice"
ANNOUNCE_SUBSCRIPTION: Final = f"{TOPIC_ROOT}/+/announce"
ID_PATTERN: Final = re.compile(r"^[a-z0-9_-]{1,64}$")

# Microphone audio: raw PCM, 16 kHz, 16-bit signed little-endian, mono.
RATE: Final = 16000
WIDTH: Final = 2
CHANNELS: Final = 1
MIN_CHUNK_MS: Final = 10
MAX_CHUNK_MS: Final = 100
MIN_CHUNK_BYTES: Final = RATE * WIDTH * CHANNELS * MIN_CHUNK_MS // 1000  # 320
MAX_CHUNK_BYTES: Final = RATE * WIDTH * CHANNELS * MAX_CHUNK_MS // 1000  # 3200
MAX_UTTERANCE_SECONDS: Final = 30
MAX_SESSION_BYTES: Final = RATE * WIDTH * CHANNELS * MAX_UTTERANCE_SECONDS
MAX_SESSIONS_PER_SATELLITE: Final = 1  # a new session_start supersedes the old one
SESSION_IDLE_TIMEOUT_SECONDS: Final = 3.0  # no chunk for this long ends a session
MAX_JSON_BYTES: Final = 4096
MAX_TEXT_CHARS: Final = 1000
MAX_NAME_CHARS: Final = 100
MAX_WAKE_WORDS: Final = 16
# Answer audio (HA -> satellite): PCM in the rate announced on .../start.
OUT_RATES: Final = (8000, 11025, 16000, 22050, 24000, 32000, 44100, 48000)
MAX_OUT_CHUNK_BYTES: Final = 48000 * 2 * 2 * MAX_CHUNK_MS // 1000  # 19200

ONLINE: Final = "online"
OFFLINE: Final = "offline"
STATES: Final = ("idle", "listening", "processing", "responding")


class ProtocolError(ValueError):
    """A message or topic that breaks the protocol; the text says how."""


def _check_id(value: str, what: str) -> str:
    if not ID_PATTERN.fullmatch(value):
        raise ProtocolError(f"{what} {value[:80]!r} does not match {ID_PATTERN.pattern}")
    return value


def _topic(satellite_id: str, *parts: str) -> str:
    return "/".join((TOPIC_ROOT, _check_id(satellite_id, "satellite id"), *parts))


def announce_topic(satellite_id: str) -> str:
    """Retained JSON ``Announce``."""
    return _topic(satellite_id, "announce")


def availability_topic(satellite_id: str) -> str:
    """Retained ``online``/``offline``; the satellite's last will."""
    return _topic(satellite_id, "availability")


def event_topic(satellite_id: str) -> str:
    """JSON events from the satellite."""
    return _topic(satellite_id, "event")


def state_topic(satellite_id: str) -> str:
    """JSON ``State`` from HA."""
    return _topic(satellite_id, "state")


def command_topic(satellite_id: str) -> str:
    """JSON commands from HA."""
    return _topic(satellite_id, "command")


def audio_in_topic(satellite_id: str, session_id: str) -> str:
    """Raw microphone PCM of one session."""
    return _topic(satellite_id, "audio", "in", _check_id(session_id, "session id"))


def audio_out_topic(satellite_id: str, stream_id: str, suffix: str = "") -> str:
    """Answer PCM of one stream; ``suffix`` ``start``/``end`` for its JSON frame."""
    parts = ["audio", "out", _check_id(stream_id, "stream id")]
    if suffix:
        parts.append(suffix)
    return _topic(satellite_id, *parts)


@dataclass(frozen=True, slots=True)
class Topic:
    """A parsed topic.

    ``kind`` is announce, availability, event, state, command, audio_in,
    audio_out, audio_out_start or audio_out_end.
    """

    satellite_id: str
    kind: str
    stream_id: str | None = None


_SIMPLE_KINDS: Final = frozenset({"announce", "availability", "event", "state", "command"})


def parse_topic(topic: str) -> Topic:
    """Split a protocol topic into satellite id, kind and session/stream id."""
    parts = topic.split("/")
    if len(parts) < 3 or parts[0] != TOPIC_ROOT:  # noqa: PLR2004
        raise ProtocolError(f"not a {TOPIC_ROOT} topic: {topic[:120]!r}")
    sat = _check_id(parts[1], "satellite id")
    rest = parts[2:]
    if len(rest) == 1 and rest[0] in _SIMPLE_KINDS:
        return Topic(sat, rest[0])
    if len(rest) >= 3 and rest[0] == "audio" and rest[1] in {"in", "out"}:  # noqa: PLR2004
        sid = _check_id(rest[2], "session id")
        if len(rest) == 3:  # noqa: PLR2004
            return Topic(sat, f"audio_{rest[1]}", sid)
        if len(rest) == 4 and rest[1] == "out" and rest[3] in {"start", "end"}:  # noqa: PLR2004
            return Topic(sat, f"audio_out_{rest[3]}", sid)
    raise ProtocolError(f"unknown topic {topic[:120]!r}")


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


def _str(obj: dict[str, Any], key: str, *, max_len: int = MAX_NAME_CHARS) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value or len(value) > max_len:
        raise ProtocolError(f"{key!r} must be a non-empty string of at most {max_len} chars")
    return value


def _opt_str(obj: dict[str, Any], key: str, *, max_len: int = MAX_NAME_CHARS) -> str | None:
    return None if obj.get(key) is None else _str(obj, key, max_len=max_len)


def _id(obj: dict[str, Any], key: str) -> str:
    return _check_id(_str(obj, key), key)


def _opt_id(obj: dict[str, Any], key: str) -> str | None:
    return None if obj.get(key) is None else _id(obj, key)


def _int(obj: dict[str, Any], key: str, lo: int, hi: int) -> int:
    value = obj.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ProtocolError(f"{key!r} must be an integer in [{lo}, {hi}], got {value!r}")
    return value


def _bool(obj: dict[str, Any], key: str, default: bool | None = None) -> bool:
    value = obj.get(key, default)
    if not isinstance(value, bool):
        raise ProtocolError(f"{key!r} must be true or false, got {value!r}")
    return value


def _dict(obj: dict[str, Any], key: str) -> dict[str, Any]:
    value = obj.get(key)
    if not isinstance(value, dict):
        raise ProtocolError(f"{key!r} must be an object")
    return value


def _id_list(obj: dict[str, Any], key: str) -> tuple[str, ...]:
    value = obj.get(key)
    if not isinstance(value, list) or len(value) > MAX_WAKE_WORDS:
        raise ProtocolError(f"{key!r} must be a list of at most {MAX_WAKE_WORDS} ids")
    return tuple(_check_id(v, key) if isinstance(v, str) else _check_id("", key) for v in value)


# ---- messages ----------------------------------------------------------------


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
            _int(obj, "rate", 8000, 48000), _int(obj, "width", 2, 2), _int(obj, "channels", 1, 2)
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


def _choice(obj: dict[str, Any], key: str, choices: tuple[str, ...], default: str) -> str:
    value = obj.get(key, default)
    if value not in choices:
        raise ProtocolError(f"{key!r} must be one of {choices}, got {value!r}")
    return str(value)


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


# HA -> satellite (topics ``state``, ``command``, ``audio/out/<stream_id>/start|end``).
@dataclass(frozen=True, slots=True)
class State:
    """The pipeline state for the satellite's lights and sounds.

    ``error_code`` and ``error_message`` carry HA's error event for the session.
    """

    state: str
    session_id: str | None = None
    error_code: str | None = None
    error_message: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Wire form."""
        return {k: v for k, v in asdict(self).items() if v is not None}


def parse_state(payload: bytes | str) -> State:
    """Validate a state message from HA."""
    obj = load_json(payload)
    return State(
        _choice(obj, "state", STATES, ""),
        _opt_id(obj, "session_id"),
        _opt_str(obj, "error_code"),
        _opt_str(obj, "error_message", max_len=MAX_TEXT_CHARS),
    )


@dataclass(frozen=True, slots=True)
class StartListening(_Message):
    """Open a session without a wake word (``conversation``: after an announcement)."""

    TAG: ClassVar[str] = "command"
    NAME: ClassVar[str] = "start_listening"
    conversation: bool = False


@dataclass(frozen=True, slots=True)
class Stop(_Message):
    """End the current session and any playback now."""

    TAG: ClassVar[str] = "command"
    NAME: ClassVar[str] = "stop"


@dataclass(frozen=True, slots=True)
class SetVolume(_Message):
    """Speaker volume, 0.0 to 1.0."""

    TAG: ClassVar[str] = "command"
    NAME: ClassVar[str] = "volume"
    volume: float


@dataclass(frozen=True, slots=True)
class AnnounceText(_Message):
    """An announcement: its audio follows on ``audio/out/<stream_id>``."""

    TAG: ClassVar[str] = "command"
    NAME: ClassVar[str] = "announce"
    text: str
    stream_id: str
    start_conversation: bool = False


@dataclass(frozen=True, slots=True)
class SetWakeWords(_Message):
    """Which of the available wake words are active."""

    TAG: ClassVar[str] = "command"
    NAME: ClassVar[str] = "set_wake_words"
    active: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SetEndpointing(_Message):
    """How long the satellite's VAD waits after speech before it ends a session."""

    TAG: ClassVar[str] = "command"
    NAME: ClassVar[str] = "set_endpointing"
    silence_ms: int


type Command = StartListening | Stop | SetVolume | AnnounceText | SetWakeWords | SetEndpointing

MIN_SILENCE_MS: Final = 100
MAX_SILENCE_MS: Final = 5000


def parse_command(payload: bytes | str) -> Command:
    """Validate a command from HA."""
    obj = load_json(payload)
    kind = obj.get("command")
    if not isinstance(kind, str):
        raise ProtocolError("a command needs a string 'command'")
    if kind == "start_listening":
        return StartListening(_bool(obj, "conversation", default=False))
    if kind == "stop":
        return Stop()
    if kind == "volume":
        vol = obj.get("volume")
        if isinstance(vol, bool) or not isinstance(vol, int | float) or not 0 <= vol <= 1:
            raise ProtocolError(f"'volume' must be a number in [0, 1], got {vol!r}")
        return SetVolume(float(vol))
    if kind == "announce":
        return AnnounceText(
            _str(obj, "text", max_len=MAX_TEXT_CHARS),
            _id(obj, "stream_id"),
            _bool(obj, "start_conversation", default=False),
        )
    if kind == "set_wake_words":
        return SetWakeWords(_id_list(obj, "active"))
    if kind == "set_endpointing":
        return SetEndpointing(_int(obj, "silence_ms", MIN_SILENCE_MS, MAX_SILENCE_MS))
    raise ProtocolError(f"unknown command {kind[:40]!r}")


@dataclass(frozen=True, slots=True)
class AudioOutStart:
    """Answer audio begins: PCM in ``audio`` format follows (``kind`` answer/announcement)."""

    audio: AudioFormat
    kind: str = "answer"
    text: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Wire form."""
        return {"audio": asdict(self.audio), "kind": self.kind, "text": self.text}


@dataclass(frozen=True, slots=True)
class AudioOutEnd:
    """Answer audio ends; ``chunks`` PCM messages were sent."""

    chunks: int

    def to_dict(self) -> dict[str, Any]:
        """Wire form."""
        return {"chunks": self.chunks}


def parse_audio_out_start(payload: bytes | str) -> AudioOutStart:
    """Validate the JSON that opens an answer stream."""
    obj = load_json(payload)
    return AudioOutStart(
        AudioFormat.from_dict(_dict(obj, "audio"), microphone=False),
        _choice(obj, "kind", ("answer", "announcement"), "answer"),
        _opt_str(obj, "text", max_len=MAX_TEXT_CHARS),
    )


def parse_audio_out_end(payload: bytes | str) -> AudioOutEnd:
    """Validate the JSON that closes an answer stream."""
    return AudioOutEnd(_int(load_json(payload), "chunks", 0, 10_000_000))
