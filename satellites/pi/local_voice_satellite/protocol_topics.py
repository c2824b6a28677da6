"""Protocol part 1: version, limits, topic names and the topic parser.

One of the ``protocol_*`` modules behind :mod:`.protocol` (which re-exports
them all); standard library only, copied byte for byte to the satellite.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

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
