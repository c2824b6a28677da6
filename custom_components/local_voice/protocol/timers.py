"""Timers (version 2): HA's timers of a satellite, kept on the broker so they outlive reboots.

HA owns the retained ``timers`` topic of a satellite: every timer it runs for
that satellite, with wall-clock end times, so a satellite that reboots
restores them and can ring one even while HA is down. The satellite owns the
retained ``timers/rang`` topic: the timers it has rung, so neither a
rebooted satellite nor a restarted HA rings one twice. ``timer_finished``
(a command) tells the satellite to ring now.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar, Final

from .fields import ident, integer, load_json, opt_string
from .limits import MAX_RANG, MAX_TIMER_NAME_CHARS, MAX_TIMER_SECONDS, MAX_TIMERS, ProtocolError
from .message import Message

RUNNING: Final = "running"
PAUSED: Final = "paused"
_MAX_WALL_CLOCK: Final = 2**33  # seconds since 1970: year 2242


@dataclass(frozen=True, slots=True)
class TimerEntry:
    """One timer: ``ends_at`` (Unix time) while running, ``left_s`` while paused."""

    timer_id: str
    seconds: int  # the timer's length as set (grows when time is added)
    state: str = RUNNING
    ends_at: float | None = None
    left_s: int | None = None
    name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Wire form."""
        body: dict[str, Any] = {"id": self.timer_id, "seconds": self.seconds, "state": self.state}
        if self.state == RUNNING:
            body["ends_at"] = round(self.ends_at or 0.0, 3)
        else:
            body["left_s"] = self.left_s
        if self.name:
            body["name"] = self.name
        return body

    def left_at(self, now: float) -> int:
        """Whole seconds left at Unix time ``now`` (0 once it has ended)."""
        if self.state == PAUSED:
            return self.left_s or 0
        return max(0, math.ceil((self.ends_at or 0.0) - now))


@dataclass(frozen=True, slots=True)
class Timers:
    """The retained list of a satellite's timers (HA -> satellite); ``at`` is when HA wrote it."""

    timers: tuple[TimerEntry, ...] = ()
    at: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """Wire form."""
        return {"timers": [t.to_dict() for t in self.timers], "at": round(self.at, 3)}


@dataclass(frozen=True, slots=True)
class Rang:
    """The timers a satellite has rung, newest last (satellite -> HA, retained)."""

    timer_ids: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Wire form."""
        return {"rang": list(self.timer_ids[-MAX_RANG:])}


@dataclass(frozen=True, slots=True)
class TimerFinished(Message):
    """A timer has finished: ring now (once per timer id), then HA says which one."""

    TAG: ClassVar[str] = "command"
    NAME: ClassVar[str] = "timer_finished"
    timer_id: str
    name: str | None = None


def _wall_clock(obj: dict[str, Any], key: str) -> float:
    value = obj.get(key)
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not 0 <= value <= _MAX_WALL_CLOCK
    ):
        raise ProtocolError(f"{key!r} must be a Unix time in seconds, got {value!r}")
    return float(value)


def _entry(item: Any) -> TimerEntry:
    if not isinstance(item, dict):
        raise ProtocolError("each timer must be an object")
    state = item.get("state")
    if state not in (RUNNING, PAUSED):
        raise ProtocolError(f"timer 'state' must be {RUNNING} or {PAUSED}, got {state!r}")
    seconds = integer(item, "seconds", 0, MAX_TIMER_SECONDS)
    return TimerEntry(
        timer_id=ident(item, "id"),
        seconds=seconds,
        state=state,
        ends_at=_wall_clock(item, "ends_at") if state == RUNNING else None,
        left_s=integer(item, "left_s", 0, MAX_TIMER_SECONDS) if state == PAUSED else None,
        name=opt_string(item, "name", max_len=MAX_TIMER_NAME_CHARS),
    )


def parse_timers(payload: bytes | str) -> Timers:
    """Validate the retained ``timers`` message (at most ``MAX_TIMERS``, unique ids)."""
    obj = load_json(payload)
    items = obj.get("timers")
    if not isinstance(items, list) or len(items) > MAX_TIMERS:
        raise ProtocolError(f"'timers' must be a list of at most {MAX_TIMERS} timers")
    entries = tuple(_entry(item) for item in items)
    if len({e.timer_id for e in entries}) != len(entries):
        raise ProtocolError("timer ids must be unique")
    return Timers(entries, _wall_clock(obj, "at"))


def parse_rang(payload: bytes | str) -> Rang:
    """Validate the retained ``timers/rang`` message."""
    obj = load_json(payload)
    ids = obj.get("rang")
    if not isinstance(ids, list) or len(ids) > MAX_RANG:
        raise ProtocolError(f"'rang' must be a list of at most {MAX_RANG} timer ids")
    return Rang(tuple(ident({"id": i}, "id") for i in ids))


def parse_timer_finished(obj: dict[str, Any]) -> TimerFinished:
    """The fields of a ``timer_finished`` command (``parse_command`` calls this)."""
    name = opt_string(obj, "name", max_len=MAX_TIMER_NAME_CHARS)
    return TimerFinished(ident(obj, "timer_id"), name)
