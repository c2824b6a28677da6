"""A satellite's timers: HA's own timer support for its device, kept where they survive.

The satellite entity registers HA's timer handler for its device
(``intent.async_register_timer_handler``), so "set a 10 minute pasta timer"
spoken there starts one of HA's timers, and HA's timer intents (cancel,
pause, resume, status, add or remove time) work on it. Every change is
published to the satellite's retained ``timers`` topic with wall-clock end
times: a satellite that reboots restores them and rings on its own clock,
even while HA is down; after an HA restart ``timer_restore`` starts the
timers HA lost again from the same message. When a timer finishes, the
satellite rings (``timer_finished``, once per timer id, also counted in its
retained ``timers/rang``) and HA says which timer it was. Automations see
every change as a ``local_voice_timer`` event and in the next-timer sensor.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from homeassistant.components.intent import TimerEventType, TimerInfo
from homeassistant.core import callback
from homeassistant.helpers.dispatcher import async_dispatcher_send

from .. import protocol as p
from ..const import EVENT_TIMER, SIGNAL_TIMERS

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine

    from homeassistant.core import HomeAssistant

    from .link import SatelliteLink

_LOGGER: Final = logging.getLogger(__name__)


def wire_id(ha_timer_id: str) -> str:
    """HA's timer ids are upper-case ULIDs; the protocol's ids are lower case."""
    return ha_timer_id.lower()


def entry_of(info: TimerInfo, timer_id: str, now: float) -> p.TimerEntry:
    """The protocol's view of one of HA's timers."""
    left = max(0, min(info.seconds_left, p.MAX_TIMER_SECONDS))
    running = info.is_active
    return p.TimerEntry(
        timer_id=timer_id,
        seconds=max(0, min(info.created_seconds, p.MAX_TIMER_SECONDS)),
        state=p.RUNNING if running else p.PAUSED,
        ends_at=now + left if running else None,
        left_s=None if running else left,
        name=(info.name or "").strip()[: p.MAX_TIMER_NAME_CHARS] or None,
    )


def spoken_duration(seconds: int) -> str:
    """How a timer is named by its length: "10 minute", "1 hour 30 minute", "45 second"."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{n} {unit}" for n, unit in ((hours, "hour"), (minutes, "minute"), (secs, "second"))]
    return " ".join(part for part in parts if not part.startswith("0 ")) or "0 second"


def finished_sentence(entry: p.TimerEntry) -> str:
    """What HA says when a timer has finished."""
    if entry.name:
        name = entry.name.removesuffix(" timer")
        return f"The {name} timer is done."
    return f"Your {spoken_duration(entry.seconds)} timer is done."


@dataclass
class TimerState:
    """A satellite's timers as published, by HA's timer id, and what it has rung."""

    by_ha_id: dict[str, p.TimerEntry] = field(default_factory=dict)
    rang: tuple[str, ...] = ()
    restoring: p.TimerEntry | None = None  # the STARTED event that follows is this timer

    def entries(self) -> tuple[p.TimerEntry, ...]:
        """At most ``MAX_TIMERS``, the soonest first."""
        now = time.time()
        ordered = sorted(self.by_ha_id.values(), key=lambda e: e.left_at(now))
        return tuple(ordered[: p.MAX_TIMERS])


class SatelliteTimers:
    """HA's timer events for one satellite's device, published and announced."""

    def __init__(
        self,
        hass: HomeAssistant,
        link: SatelliteLink,
        satellite_id: str,
        *,
        rings: bool,
        say: Callable[[str], Coroutine[Any, Any, None]],
    ) -> None:
        self.hass, self.link, self.satellite_id = hass, link, satellite_id
        self.rings = rings  # a version-2 satellite rings itself (timer_finished)
        self._say = say
        self.state = TimerState()
        self.device_id: str | None = None
        # Until the retained message has been read back (``timer_restore``), nothing
        # is published: an early publish would replace the timers HA lost.
        self.ready = False

    # ---- HA's timer handler ----

    @callback
    def handle(self, event_type: TimerEventType, info: TimerInfo) -> None:
        """HA started, changed, cancelled or finished a timer of this device."""
        now = time.time()
        old = self.state.by_ha_id.get(info.id)
        if event_type is TimerEventType.STARTED and self.state.restoring is not None:
            restored, self.state.restoring = self.state.restoring, None
            entry = entry_of(info, restored.timer_id, now)
            kind = "restored"
        else:
            entry = entry_of(info, old.timer_id if old else wire_id(info.id), now)
            kind = str(event_type)
        if event_type in (TimerEventType.CANCELLED, TimerEventType.FINISHED):
            self.state.by_ha_id.pop(info.id, None)
        else:
            self.state.by_ha_id[info.id] = entry
        self.publish()
        self.fire(kind, entry)
        if event_type is TimerEventType.FINISHED:
            self.ring(entry)

    # ---- out ----

    def publish(self) -> None:
        """The retained ``timers`` message (once read back), and the sensor."""
        timers = p.Timers(self.state.entries(), time.time())
        if self.ready:
            self.link.send(p.timers_topic(self.satellite_id), p.encode(timers), retain=True)
        async_dispatcher_send(self.hass, SIGNAL_TIMERS.format(self.satellite_id), timers)

    def fire(self, kind: str, entry: p.TimerEntry, **extra: object) -> None:
        """A ``local_voice_timer`` event for automations."""
        now = time.time()
        ends = entry.ends_at if entry.state == p.RUNNING else None
        data: dict[str, object] = {
            "satellite_id": self.satellite_id,
            "device_id": self.device_id,
            "type": kind,
            "timer_id": entry.timer_id,
            "name": entry.name,
            "seconds": entry.seconds,
            "seconds_left": 0 if kind == "finished" else entry.left_at(now),
            "state": "finished" if kind == "finished" else entry.state,
            "ends_at": datetime.fromtimestamp(ends, UTC).isoformat() if ends else None,
            **extra,
        }
        _LOGGER.debug("Timer event on %s: %s", self.satellite_id, data)
        self.hass.bus.async_fire(EVENT_TIMER, data)

    def ring(self, entry: p.TimerEntry) -> None:
        """The satellite rings (once per id, it keeps count) and HA says which timer."""
        if self.rings:
            self.link.send_command(p.TimerFinished(entry.timer_id, entry.name))
        self.hass.async_create_background_task(
            self._say(finished_sentence(entry)), f"local_voice_{self.satellite_id}_timer_done"
        )

    # ---- in ----

    def on_rang(self, payload: bytes) -> None:
        """The satellite's retained list of the timers it has rung."""
        try:
            self.state.rang = p.parse_rang(payload).timer_ids
        except p.ProtocolError as err:
            _LOGGER.warning("Satellite %s sent an invalid timers/rang: %s", self.satellite_id, err)
