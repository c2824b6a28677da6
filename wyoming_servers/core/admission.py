"""Who is served now and who waits: ``--max-clients``, ``--max-queued``, ``--queue-timeout``.

At most ``max_clients`` connections are served at once. A client that
arrives with every slot taken waits its turn, first come first served; when
a served connection ends, its slot goes straight to the first in line. A
client is refused with a Wyoming ``error`` when ``max_queued`` others are
already waiting (``too-many-clients``) or when its wait passes
``queue_timeout`` (``queue-timeout``), and one that closes its connection
while it waits leaves the line. Waiting clients count in
``local_voice_queue_depth``, every arrival that found the slots taken in
``local_voice_connection_queue_total{outcome}``, and the wait of those
served in the ``queue_wait`` latency stage.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from typing import TYPE_CHECKING

from .errors import ClientLeftError, QueueTimeoutError, TooManyClientsError

if TYPE_CHECKING:
    from .limits import ClientLimits
    from .metrics import ServerMetrics

_LOGGER = logging.getLogger(__name__)


class Admission:
    """Slots for connections and a bounded line of clients waiting for one."""

    def __init__(self, limits: ClientLimits, metrics: ServerMetrics) -> None:
        self.limits = limits
        self.metrics = metrics
        self.serving = 0
        self._line: deque[asyncio.Future[None]] = deque()

    @property
    def waiting(self) -> int:
        """Clients waiting for a turn now."""
        return len(self._line)

    async def enter(self, peer: str, peer_closed: asyncio.Event) -> None:
        """Return once ``peer`` holds a slot; it must call :meth:`leave` when done.

        ``peer_closed`` is set when the client closes its connection. Raises
        :class:`TooManyClientsError` (line full), :class:`QueueTimeoutError`
        or :class:`ClientLeftError`, each without holding a slot.
        """
        if self.serving < self.limits.max_clients and not self._line:
            self.serving += 1
            return
        if len(self._line) >= self.limits.max_queued:
            self.metrics.connection_queue("full")
            raise TooManyClientsError(
                f"server is busy: it serves {self.limits.max_clients} clients at once"
                f" and {len(self._line)} more are waiting"
            )
        _LOGGER.info(
            "%s waits for a turn (%d served, %d waiting before it)",
            peer,
            self.serving,
            len(self._line),
        )
        started = time.monotonic()
        await self._wait_in_line(peer_closed)
        waited = time.monotonic() - started
        self.metrics.connection_queue("served")
        self.metrics.latency("queue_wait", waited)
        _LOGGER.info("%s served after waiting %.2f s", peer, waited)

    def leave(self) -> None:
        """A served connection ended: its slot goes to the first in line, else it is free."""
        while self._line:
            turn = self._line.popleft()
            if not turn.done():
                turn.set_result(None)  # the slot changes hands: ``serving`` stays
                return
        self.serving -= 1

    async def _wait_in_line(self, peer_closed: asyncio.Event) -> None:
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._line.append(turn)
        self.metrics.queue_changed(1)
        closed = asyncio.ensure_future(peer_closed.wait())
        try:
            async with asyncio.timeout(self.limits.queue_timeout):
                await asyncio.wait((turn, closed), return_when=asyncio.FIRST_COMPLETED)
        except TimeoutError:
            pass  # decided below: a turn given at the last moment is still taken
        except BaseException:  # cancelled: the server is stopping
            self._give_up(turn)
            raise
        finally:
            closed.cancel()
            self.metrics.queue_changed(-1)
        if peer_closed.is_set():
            self._give_up(turn)
            self.metrics.connection_queue("left")
            raise ClientLeftError("the client closed its connection while it waited")
        if not turn.done():
            self._give_up(turn)
            self.metrics.connection_queue("timeout")
            raise QueueTimeoutError(
                f"server is busy: no slot came free in {self.limits.queue_timeout:g} s"
            )

    def _give_up(self, turn: asyncio.Future[None]) -> None:
        """Leave the line; a slot already handed over goes on to the next in line."""
        if turn.done() and not turn.cancelled():
            self.leave()
        else:
            turn.cancel()
            self._line.remove(turn)
