"""Topic names of the protocol and the topic parser."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from .limits import TOPIC_ROOT, ProtocolError, check_id


def _topic(satellite_id: str, *parts: str) -> str:
    return "/".join((TOPIC_ROOT, check_id(satellite_id, "satellite id"), *parts))


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


def timers_topic(satellite_id: str) -> str:
    """Retained JSON ``Timers`` from HA (version 2)."""
    return _topic(satellite_id, "timers")


def rang_topic(satellite_id: str) -> str:
    """Retained JSON ``Rang`` from the satellite (version 2)."""
    return _topic(satellite_id, "timers", "rang")


def audio_in_topic(satellite_id: str, session_id: str) -> str:
    """Raw microphone PCM of one session."""
    return _topic(satellite_id, "audio", "in", check_id(session_id, "session id"))


def audio_out_topic(satellite_id: str, stream_id: str, suffix: str = "") -> str:
    """Answer PCM of one stream; ``suffix`` ``start``/``end`` for its JSON frame."""
    parts = ["audio", "out", check_id(stream_id, "stream id")]
    if suffix:
        parts.append(suffix)
    return _topic(satellite_id, *parts)


@dataclass(frozen=True, slots=True)
class Topic:
    """A parsed topic.

    ``kind`` is announce, availability, event, state, command, timers,
    timers_rang, audio_in, audio_out, audio_out_start or audio_out_end.
    """

    satellite_id: str
    kind: str
    stream_id: str | None = None


_SIMPLE_KINDS: Final = frozenset(
    {"announce", "availability", "event", "state", "command", "timers"}
)


def parse_topic(topic: str) -> Topic:
    """Split a protocol topic into satellite id, kind and session/stream id."""
    parts = topic.split("/")
    if len(parts) < 3 or parts[0] != TOPIC_ROOT:  # noqa: PLR2004
        raise ProtocolError(f"not a {TOPIC_ROOT} topic: {topic[:120]!r}")
    sat = check_id(parts[1], "satellite id")
    rest = parts[2:]
    if len(rest) == 1 and rest[0] in _SIMPLE_KINDS:
        return Topic(sat, rest[0])
    if rest == ["timers", "rang"]:
        return Topic(sat, "timers_rang")
    if len(rest) >= 3 and rest[0] == "audio" and rest[1] in {"in", "out"}:  # noqa: PLR2004
        sid = check_id(rest[2], "session id")
        if len(rest) == 3:  # noqa: PLR2004
            return Topic(sat, f"audio_{rest[1]}", sid)
        if len(rest) == 4 and rest[1] == "out" and rest[3] in {"start", "end"}:  # noqa: PLR2004
            return Topic(sat, f"audio_out_{rest[3]}", sid)
    raise ProtocolError(f"unknown topic {topic[:120]!r}")
