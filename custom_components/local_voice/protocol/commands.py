"""What HA says: state, commands and the frames of answer audio streams."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Final

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
from .limits import MAX_TEXT_CHARS, MAX_WINDOW_S, MIN_WINDOW_S, STATES, ProtocolError
from .message import Message
from .timers import TimerFinished, parse_timer_finished

if TYPE_CHECKING:
    from collections.abc import Callable


# HA -> satellite (topics ``state``, ``command``, ``audio/out/<stream_id>/start|end``).
@dataclass(frozen=True, slots=True)
class State:
    """The pipeline state for the satellite's lights and sounds.

    ``error_code`` and ``error_message`` carry HA's error event for the session.
    ``text`` (version 2) is what HA heard, with ``processing``, for a display.
    """

    state: str
    session_id: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    text: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Wire form."""
        return {k: v for k, v in asdict(self).items() if v is not None}


def parse_state(payload: bytes | str) -> State:
    """Validate a state message from HA."""
    obj = load_json(payload)
    return State(
        choice(obj, "state", STATES, ""),
        opt_ident(obj, "session_id"),
        opt_string(obj, "error_code"),
        opt_string(obj, "error_message", max_len=MAX_TEXT_CHARS),
        opt_string(obj, "text", max_len=MAX_TEXT_CHARS),
    )


@dataclass(frozen=True, slots=True)
class StartListening(Message):
    """Open a session without a wake word (``conversation``: after a question).

    ``window_s`` (version 2): how long the satellite waits for speech to begin
    before it ends the session (``cancel``); absent, its own default.
    """

    TAG: ClassVar[str] = "command"
    NAME: ClassVar[str] = "start_listening"
    conversation: bool = False
    window_s: float | None = None


@dataclass(frozen=True, slots=True)
class Dismiss(Message):
    """Another satellite heard the wake word better (version 2).

    The satellite stops streaming ``session_id`` at once and stays silent:
    no error, no sound. Its ``session_end`` follows with reason ``dismissed``.
    """

    TAG: ClassVar[str] = "command"
    NAME: ClassVar[str] = "dismiss"
    session_id: str


@dataclass(frozen=True, slots=True)
class Stop(Message):
    """End the current session and any playback now."""

    TAG: ClassVar[str] = "command"
    NAME: ClassVar[str] = "stop"


@dataclass(frozen=True, slots=True)
class SetVolume(Message):
    """Speaker volume, 0.0 to 1.0."""

    TAG: ClassVar[str] = "command"
    NAME: ClassVar[str] = "volume"
    volume: float


@dataclass(frozen=True, slots=True)
class AnnounceText(Message):
    """An announcement: its audio follows on ``audio/out/<stream_id>``."""

    TAG: ClassVar[str] = "command"
    NAME: ClassVar[str] = "announce"
    text: str
    stream_id: str
    start_conversation: bool = False


@dataclass(frozen=True, slots=True)
class SetWakeWords(Message):
    """Which of the available wake words are active."""

    TAG: ClassVar[str] = "command"
    NAME: ClassVar[str] = "set_wake_words"
    active: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SetEndpointing(Message):
    """How long the satellite's VAD waits after speech before it ends a session."""

    TAG: ClassVar[str] = "command"
    NAME: ClassVar[str] = "set_endpointing"
    silence_ms: int


@dataclass(frozen=True, slots=True)
class EndOfSpeech(Message):
    """HA heard a complete command in ``session_id``: stop streaming it now.

    Sent at the first pause after the words of a command HA understands
    (semantic endpointing), before the satellite's own silence runs out. The
    satellite ends the session with reason ``end_of_speech``. A satellite that
    does not know it ignores it; the ``processing`` state follows at once.
    """

    TAG: ClassVar[str] = "command"
    NAME: ClassVar[str] = "end_of_speech"
    session_id: str


type Command = (
    StartListening
    | Stop
    | SetVolume
    | AnnounceText
    | SetWakeWords
    | SetEndpointing
    | Dismiss
    | EndOfSpeech
    | TimerFinished
)

MIN_SILENCE_MS: Final = 100
MAX_SILENCE_MS: Final = 5000


def _volume(obj: dict[str, Any]) -> SetVolume:
    vol = obj.get("volume")
    if isinstance(vol, bool) or not isinstance(vol, int | float) or not 0 <= vol <= 1:
        raise ProtocolError(f"'volume' must be a number in [0, 1], got {vol!r}")
    return SetVolume(float(vol))


def _window(obj: dict[str, Any]) -> float | None:
    value = obj.get("window_s")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ProtocolError(f"'window_s' must be a number, got {value!r}")
    if not MIN_WINDOW_S <= value <= MAX_WINDOW_S:
        raise ProtocolError(f"'window_s' must be in [{MIN_WINDOW_S}, {MAX_WINDOW_S}]")
    return float(value)


_PARSERS: Final[dict[str, Callable[[dict[str, Any]], Command]]] = {
    "start_listening": lambda o: StartListening(
        boolean(o, "conversation", default=False), _window(o)
    ),
    "stop": lambda _o: Stop(),
    "volume": _volume,
    "announce": lambda o: AnnounceText(
        string(o, "text", max_len=MAX_TEXT_CHARS),
        ident(o, "stream_id"),
        boolean(o, "start_conversation", default=False),
    ),
    "set_wake_words": lambda o: SetWakeWords(id_list(o, "active")),
    "set_endpointing": lambda o: SetEndpointing(
        integer(o, "silence_ms", MIN_SILENCE_MS, MAX_SILENCE_MS)
    ),
    "dismiss": lambda o: Dismiss(ident(o, "session_id")),
    "end_of_speech": lambda o: EndOfSpeech(ident(o, "session_id")),
    "timer_finished": parse_timer_finished,
}


def parse_command(payload: bytes | str) -> Command:
    """Validate a command from HA."""
    obj = load_json(payload)
    kind = obj.get("command")
    if not isinstance(kind, str):
        raise ProtocolError("a command needs a string 'command'")
    parser = _PARSERS.get(kind)
    if parser is None:
        raise ProtocolError(f"unknown command {kind[:40]!r}")
    return parser(obj)


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
        AudioFormat.from_dict(nested(obj, "audio"), microphone=False),
        choice(obj, "kind", ("answer", "announcement"), "answer"),
        opt_string(obj, "text", max_len=MAX_TEXT_CHARS),
    )


def parse_audio_out_end(payload: bytes | str) -> AudioOutEnd:
    """Validate the JSON that closes an answer stream."""
    return AudioOutEnd(integer(load_json(payload), "chunks", 0, 10_000_000))
