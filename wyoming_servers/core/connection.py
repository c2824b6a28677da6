"""One client connection: read events, dispatch them, end on bad input.

Like ``wyoming.server.AsyncEventHandler``, but every read goes through the
hardened reader and every write is bounded in time. A bad event ends this
connection only: the client gets an ``error`` event naming the problem (when
the connection still allows it) and the server keeps serving everyone else.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from wyoming.event import async_write_event

from .errors import WriteTimeoutError, WyomingServerError
from .events import error_event, read_event
from .limits import ReadLimits

if TYPE_CHECKING:
    from wyoming.event import Event

    from .metrics import ServerMetrics

_LOGGER = logging.getLogger(__name__)
_ERROR_WRITE_TIMEOUT = 2.0
_LINGER_SECONDS = 1.0
_LINGER_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class ConnectionContext:
    """What the server hands every connection: its limits and its metrics."""

    metrics: ServerMetrics
    limits: ReadLimits = field(default_factory=ReadLimits)


class InternalServerError(WyomingServerError):
    """A bug on our side; the client is told only that, not the details."""


async def send_error(writer: asyncio.StreamWriter, error: BaseException) -> None:
    """Best effort: tell the client why we end its connection, then give up quietly."""
    with contextlib.suppress(OSError, TimeoutError, RuntimeError):
        async with asyncio.timeout(_ERROR_WRITE_TIMEOUT):
            await async_write_event(error_event(error), writer)


async def linger(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """After an error event: half-close and discard input briefly.

    Closing a socket with unread input makes the kernel send RST, and the
    client may then lose the error event we just sent. Bounded in time and bytes.
    """
    with contextlib.suppress(OSError, TimeoutError, RuntimeError):
        if writer.can_write_eof():
            writer.write_eof()
        async with asyncio.timeout(_LINGER_SECONDS):
            discarded = 0
            while discarded < _LINGER_BYTES and (block := await reader.read(65536)):
                discarded += len(block)


async def close_writer(writer: asyncio.StreamWriter) -> None:
    """Close a connection without letting a stuck peer hold us."""
    writer.close()
    with contextlib.suppress(OSError, TimeoutError, RuntimeError):
        async with asyncio.timeout(_ERROR_WRITE_TIMEOUT):
            await writer.wait_closed()


class Connection(ABC):
    """Base class of a server's per-connection handler.

    Subclasses implement :meth:`handle_event` (return ``False`` to end the
    connection) and may raise any :class:`WyomingServerError` from it: the base
    class turns it into an ``error`` event and counts it by its code.
    """

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        context: ConnectionContext,
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.context = context
        self.limits = context.limits
        self.metrics = context.metrics
        peer = writer.get_extra_info("peername")
        self.peer = str(peer) if peer else "local"

    @abstractmethod
    async def handle_event(self, event: Event) -> bool:
        """Handle one event; return ``False`` to end the connection."""

    async def disconnect(self) -> None:  # noqa: B027 - optional hook, not abstract
        """Hook: release per-connection resources (called once, always)."""

    async def write_event(self, event: Event) -> None:
        """Send an event; a client that stops reading ends its connection."""
        try:
            async with asyncio.timeout(self.limits.write_timeout):
                await async_write_event(event, self.writer)
        except TimeoutError as err:
            raise WriteTimeoutError(
                f"client did not read for {self.limits.write_timeout:g} s"
            ) from err

    async def run(self) -> None:
        """Serve this connection until it closes, asks to stop, or misbehaves."""
        self.metrics.connection_started()
        try:
            while True:
                event = await read_event(self.reader, self.limits)
                if event is None or not await self.handle_event(event):
                    break
        except WyomingServerError as err:
            _LOGGER.warning("connection %s ended: %s (%s)", self.peer, err, err.code)
            self.metrics.error(err.code)
            await send_error(self.writer, err)
            await linger(self.reader, self.writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            _LOGGER.debug("connection %s: lost", self.peer)
        except Exception:
            _LOGGER.exception("connection %s: internal error", self.peer)
            self.metrics.error(InternalServerError.code)
            await send_error(self.writer, InternalServerError("internal server error"))
        finally:
            try:
                await self.disconnect()
            finally:
                self.metrics.connection_ended()
                await close_writer(self.writer)
