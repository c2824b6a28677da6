"""The satellite's timers: HA's timers kept on the broker, rung here even while HA is down.

HA publishes the satellite's timers, retained, with wall-clock end times
(``local_voice/<id>/timers``): a satellite that boots gets them at once. A
timer rings when HA says it finished (``timer_finished``) or, should HA not
say so, ``GRACE_S`` after its end time by the satellite's own clock. Each
timer rings once: the rung ids are kept in the satellite's own retained
``timers/rang`` message, which a rebooted satellite reads back before it
rings anything (and HA reads after it restarts).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Final

import local_voice_protocol as protocol

if TYPE_CHECKING:
    from collections.abc import Callable

_LOGGER = logging.getLogger(__name__)
GRACE_S: Final = 2.0  # HA's own `timer_finished` normally comes first
MAX_LATE_S: Final = 600.0  # a timer found overdue by more than this is not rung (stale)
READ_BACK_S: Final = 2.0  # wait this long for our own retained rang message after connecting


class TimerKeeper:
    """Schedules rings on a thread of its own; thread-safe."""

    def __init__(
        self,
        ring: Callable[[str, str | None], None],
        publish_rang: Callable[[protocol.Rang], None],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._ring_cb, self._publish_rang, self._clock = ring, publish_rang, clock
        self._cond = threading.Condition()
        self._timers: dict[str, protocol.TimerEntry] = {}
        self._rang: list[str] = []
        self._ready_at = float("inf")  # not before the first connection's read-back
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="timers", daemon=True)
        self._thread.start()

    @property
    def rang(self) -> tuple[str, ...]:
        """Ids of the timers rung, oldest first."""
        with self._cond:
            return tuple(self._rang)

    def connected(self) -> None:
        """A (re)connection: our retained rang comes back shortly; republish what we know."""
        with self._cond:
            self._ready_at = time.monotonic() + READ_BACK_S
            rang = protocol.Rang(tuple(self._rang))
            self._cond.notify_all()
        if rang.timer_ids:
            self._publish_rang(rang)

    def set_timers(self, timers: protocol.Timers) -> None:
        """HA's retained list: the timers to keep (others were cancelled or finished)."""
        with self._cond:
            self._timers = {t.timer_id: t for t in timers.timers}
            self._cond.notify_all()
        _LOGGER.info("timers: %s", ", ".join(_describe(t) for t in timers.timers) or "none")

    def set_rang(self, rang: protocol.Rang) -> None:
        """Our own retained rang message, read back: nothing in it rings again."""
        with self._cond:
            self._rang = list(dict.fromkeys([*rang.timer_ids, *self._rang]))[-protocol.MAX_RANG :]
            self._ready_at = min(self._ready_at, time.monotonic())
            self._cond.notify_all()

    def finished(self, timer_id: str, name: str | None) -> None:
        """HA says a timer finished: ring now (unless it already rang)."""
        with self._cond:
            entry = self._timers.pop(timer_id, None)
        self._ring(timer_id, name if name is not None else (entry.name if entry else None))

    def close(self) -> None:
        """Stop the thread."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join(timeout=2)

    def _ring(self, timer_id: str, name: str | None) -> None:
        with self._cond:
            if timer_id in self._rang:
                return
            self._rang = [*self._rang, timer_id][-protocol.MAX_RANG :]
            rang = protocol.Rang(tuple(self._rang))
        _LOGGER.info("timer %s (%s) rings", timer_id, name or "no name")
        self._publish_rang(rang)
        self._ring_cb(timer_id, name)

    def _due(self, now: float) -> tuple[list[protocol.TimerEntry], float]:
        """Timers to ring now, and how long until the next one (under the lock)."""
        due, wait = [], 3600.0
        for entry in self._timers.values():
            if entry.state != protocol.RUNNING or entry.ends_at is None:
                continue
            at = entry.ends_at + GRACE_S
            if at <= now:
                due.append(entry)
            else:
                wait = min(wait, at - now)
        return due, wait

    def _run(self) -> None:
        while True:
            with self._cond:
                if self._closed:
                    return
                not_ready = self._ready_at - time.monotonic()
                if not_ready > 0:
                    self._cond.wait(min(not_ready, 3600.0))
                    continue
                now = self._clock()
                due, wait = self._due(now)
                for entry in due:
                    del self._timers[entry.timer_id]
                if not due:
                    self._cond.wait(wait)
                    continue
            for entry in due:
                if now - (entry.ends_at or now) > MAX_LATE_S:
                    _LOGGER.info("timer %s ended long ago: not rung", entry.timer_id)
                    continue
                self._ring(entry.timer_id, entry.name)


def _describe(entry: protocol.TimerEntry) -> str:
    return f"{entry.name or entry.timer_id} ({entry.state}, {entry.left_at(time.time())} s left)"
