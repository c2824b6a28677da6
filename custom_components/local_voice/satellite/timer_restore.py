"""After HA restarts: start again, through HA's own timer intents, the timers HA lost.

HA keeps its timers in memory only. The satellite's retained ``timers``
message still lists them with wall-clock end times. Once it has been read
back (and the satellite's ``timers/rang``), each timer is:
- still running in HA (only this integration was reloaded): adopted as is;
- running or paused and not yet due: started again with the time left
  (``HassStartTimer`` with its name, then ``HassPauseTimer`` if it was
  paused), keeping its protocol id so the satellite does not ring it twice;
- due while HA was down: finished now (an event, and the ring and sentence
  unless the satellite's ``timers/rang`` says it has rung it already).
A cancelled timer is not in the message, so it stays cancelled.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING, Any, Final

from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import intent

from .. import protocol as p
from ..const import DOMAIN

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .timers import SatelliteTimers

_LOGGER: Final = logging.getLogger(__name__)
READ_BACK_S: Final = 3.0  # HA batches SUBSCRIBEs (0.5 s): retained messages come after that
RANG_READ_BACK_S: Final = 1.0


def _hms(seconds: int) -> dict[str, dict[str, int]]:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = {"hours": hours, "minutes": minutes, "seconds": secs}
    slots = {k: {"value": v} for k, v in parts.items() if v}
    return slots or {"seconds": {"value": 1}}


async def _intent(hass: HomeAssistant, kind: str, slots: dict[str, Any], device_id: str) -> Any:
    return await intent.async_handle(
        hass, DOMAIN, kind, slots, device_id=device_id, language=hass.config.language
    )


async def alive_in_ha(hass: HomeAssistant, device_id: str) -> dict[str, dict[str, Any]]:
    """HA's running and paused timers of this device, by protocol id (HassTimerStatus)."""
    response = await _intent(hass, intent.INTENT_TIMER_STATUS, {}, device_id)
    found = (response.speech_slots or {}).get("timers") or []
    return {
        str(t["id"]).lower(): t
        for t in found
        if isinstance(t, dict) and t.get("device_id") == device_id
    }


async def restore(timers: SatelliteTimers, retained: p.Timers) -> None:
    """Bring HA's timers of this device back in line with the retained message."""
    hass, device_id = timers.hass, timers.device_id
    if device_id is None:
        timers.ready = True
        return
    alive = await alive_in_ha(hass, device_id)
    now = time.time()
    kept: set[str] = set()
    for status in alive.values():
        kept.add(_adopt(timers, status, now, retained, kept))
    for entry in retained.timers:
        if entry.timer_id in kept:
            continue
        if entry.state == p.RUNNING and entry.left_at(now) <= 0:
            _finished_while_down(timers, entry)
            continue
        try:
            await _start_again(timers, entry, entry.left_at(now), device_id)
        except HomeAssistantError as err:  # incl. intent errors
            _LOGGER.warning("Could not restore timer %s: %s", entry.timer_id, err)
        finally:
            timers.state.restoring = None
    timers.ready = True
    timers.publish()


def _adopt(
    timers: SatelliteTimers,
    status: dict[str, Any],
    now: float,
    retained: p.Timers,
    taken: set[str],
) -> str:
    """A timer HA still runs (this entry was reloaded, HA was not restarted); its protocol id.

    A timer restored after an earlier HA restart runs under a new HA id but
    keeps its protocol id: the retained entry with the same name, state and
    time left (within 3 s) is that timer.
    """
    left = int(status.get("total_seconds_left") or 0)
    total = (
        int(status.get("start_hours") or 0) * 3600
        + int(status.get("start_minutes") or 0) * 60
        + int(status.get("start_seconds") or 0)
    )
    running = bool(status.get("is_active"))
    name = str(status.get("name") or "")[: p.MAX_TIMER_NAME_CHARS] or None
    timer_id = str(status["id"]).lower()
    if timer_id not in {e.timer_id for e in retained.timers}:
        state = p.RUNNING if running else p.PAUSED
        for old in retained.timers:
            same = old.name == name and old.state == state and abs(old.left_at(now) - left) <= 3  # noqa: PLR2004
            if same and old.timer_id not in taken:
                timer_id = old.timer_id
                break
    entry = p.TimerEntry(
        timer_id=timer_id,
        seconds=min(max(total, left), p.MAX_TIMER_SECONDS),
        state=p.RUNNING if running else p.PAUSED,
        ends_at=now + left if running else None,
        left_s=None if running else min(left, p.MAX_TIMER_SECONDS),
        name=name,
    )
    timers.state.by_ha_id[str(status["id"])] = entry
    return timer_id


def _finished_while_down(timers: SatelliteTimers, entry: p.TimerEntry) -> None:
    rang = entry.timer_id in timers.state.rang
    _LOGGER.info(
        "Timer %s of %s finished while HA was down (%s)",
        entry.timer_id,
        timers.satellite_id,
        "the satellite rang it" if rang else "ringing it now",
    )
    timers.fire("finished", entry, late=True)
    if not rang:
        timers.ring(entry)


async def _start_again(
    timers: SatelliteTimers, entry: p.TimerEntry, left: int, device_id: str
) -> None:
    slots: dict[str, Any] = _hms(left)
    if entry.name:
        slots["name"] = {"value": entry.name}
    timers.state.restoring = entry
    await _intent(timers.hass, intent.INTENT_START_TIMER, slots, device_id)
    if entry.state == p.PAUSED:
        find: dict[str, Any] = {f"start_{k}": v for k, v in _hms(left).items()}
        if entry.name:
            find["name"] = {"value": entry.name}
        await _intent(timers.hass, intent.INTENT_PAUSE_TIMER, find, device_id)
    _LOGGER.info("Timer %s of %s restored (%d s left)", entry.timer_id, timers.satellite_id, left)


async def read_back(
    timers: SatelliteTimers, retained: asyncio.Future[p.Timers], rang: asyncio.Event
) -> None:
    """Wait for the retained messages (they come right after subscribing), then restore.

    No retained ``timers`` within ``READ_BACK_S`` means there were none (a new
    satellite, or every timer was done): only HA's live timers are adopted.
    """
    try:
        message = await asyncio.wait_for(asyncio.shield(retained), READ_BACK_S)
    except TimeoutError:
        message = p.Timers()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(rang.wait(), RANG_READ_BACK_S)
    await restore(timers, message)
