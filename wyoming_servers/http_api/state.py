"""What every request handler shares: config, upstreams, catalogue, slots, metrics.

``Slots`` is the gateway's ``--max-clients``: at most ``max_active``
requests talk to the servers at once, at most ``max_queued`` more wait
(counted in ``local_voice_queue_depth{server="api"}``), and anyone past
that gets a 503 at once rather than a wait it cannot see.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Self

from aiohttp import web

from .errors import unavailable

if TYPE_CHECKING:
    from types import TracebackType

    from wyoming_servers.core.metrics import ServerMetrics

    from .catalogue import Catalogue
    from .config import ApiConfig
    from .upstream import Upstream


class Slots:
    """Bounded concurrency with a bounded queue."""

    def __init__(self, max_active: int, max_queued: int, metrics: ServerMetrics) -> None:
        self._semaphore = asyncio.Semaphore(max_active)
        self.max_queued = max_queued
        self.metrics = metrics
        self.waiting = 0

    async def __aenter__(self) -> Self:
        if self._semaphore.locked():
            if self.waiting >= self.max_queued:
                raise unavailable("the gateway is busy; try again", code="too-many-clients")
            self.waiting += 1
            self.metrics.queue_changed(1)
            try:
                await self._semaphore.acquire()
            finally:
                self.waiting -= 1
                self.metrics.queue_changed(-1)
        else:
            await self._semaphore.acquire()
        self.metrics.connection_started()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.metrics.connection_ended()
        self._semaphore.release()


@dataclass(frozen=True, slots=True)
class ApiState:
    """Everything a handler needs, stored once on the application."""

    config: ApiConfig
    asr: Upstream
    tts: Upstream
    catalogue: Catalogue
    slots: Slots
    metrics: ServerMetrics


STATE: Final = web.AppKey("local_voice_api", ApiState)
STREAMING: Final = "local_voice_streaming"  # request key: the response already started


def state_of(request: web.Request) -> ApiState:
    """The gateway state of the app serving ``request``."""
    return request.app[STATE]
