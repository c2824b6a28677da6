"""Accept connections on tcp://, unix:// or stdio:// and run a handler for each.

The accept path is where connection-level policy lives: the ``--allow``
list (peer address must fall in one of the networks) and the client limits
(``admission.py``: past ``--max-clients`` a client waits its turn in a
bounded line, or gets an ``error`` event and is closed).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import os
import stat
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Final
from urllib.parse import urlparse

from .admission import Admission
from .connection import Connection, ConnectionContext, close_writer, linger, send_error
from .errors import ClientLeftError, ClientNotAllowedError, WyomingServerError
from .limits import ClientLimits

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

    IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
    ConnectionFactory = Callable[
        [asyncio.StreamReader, asyncio.StreamWriter, ConnectionContext], Connection
    ]

_LOGGER = logging.getLogger(__name__)

# Who may connect when no ``--allow`` is given: loopback and the private LAN
# ranges, never "anyone".
DEFAULT_ALLOW: Final = (
    "127.0.0.0/8",
    "::1/128",
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "fc00::/7",
    "fe80::/10",
)


def parse_uri(uri: str) -> tuple[str, str, int]:
    """Split a server URI into (scheme, host or path, port); validates it."""
    parsed = urlparse(uri)
    if parsed.scheme == "tcp":
        try:
            port = parsed.port
        except ValueError as err:
            raise ValueError(f"bad port in {uri!r}") from err
        if not parsed.hostname or port is None:
            raise ValueError(f"{uri!r}: a tcp:// URI needs a host and a port")
        return "tcp", parsed.hostname, port
    if parsed.scheme == "unix":
        if not parsed.path:
            raise ValueError(f"{uri!r}: a unix:// URI needs a path")
        return "unix", parsed.path, 0
    if parsed.scheme == "stdio":
        return "stdio", "", 0
    raise ValueError(f"{uri!r}: only tcp://, unix:// and stdio:// are supported")


def peer_allowed(peer: object, allow: Sequence[IPNetwork] | None) -> bool:
    """Whether a peer address (``peername``) falls inside the allow list."""
    if not allow:
        return True
    if not isinstance(peer, tuple) or not peer:
        return True  # unix socket or pipe: file permissions guard those
    try:
        address = ipaddress.ip_address(str(peer[0]).split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return any(address in network for network in allow)


def _remove_stale_socket(path: Path) -> None:
    """Remove a socket file left by a previous run (never a regular file)."""
    with contextlib.suppress(FileNotFoundError):
        if stat.S_ISSOCK(os.stat(path).st_mode):  # noqa: PTH116 - one syscall, no Path needed
            path.unlink()


class _WatchedProtocol(asyncio.StreamReaderProtocol):
    """asyncio's stream protocol, noting when the peer closes (or half-closes) its side."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        on_connect: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]],
    ) -> None:
        super().__init__(reader, on_connect)
        self.peer_closed = asyncio.Event()

    def eof_received(self) -> bool | None:
        """The peer will send nothing more."""
        self.peer_closed.set()
        return super().eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        """The connection is gone."""
        self.peer_closed.set()
        super().connection_lost(exc)


def _peer_closed(writer: asyncio.StreamWriter) -> asyncio.Event:
    """Set when the peer closes its side; never set where that cannot be seen."""
    protocol = writer.transport.get_protocol()
    return protocol.peer_closed if isinstance(protocol, _WatchedProtocol) else asyncio.Event()


class WyomingServer:
    """Run a ``factory`` handler per connection; ``start()`` binds, ``stop()`` ends all."""

    def __init__(
        self,
        uri: str,
        factory: ConnectionFactory,
        context: ConnectionContext,
        *,
        clients: ClientLimits | None = None,
        allow: Sequence[IPNetwork] | None = None,
    ) -> None:
        self.scheme, self.host, self.port = parse_uri(uri)
        self.uri = uri
        self.factory = factory
        self.context = context
        self.clients = clients or ClientLimits()
        self.admission = Admission(self.clients, context.metrics)
        self.allow = list(allow or [])
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()  # served and waiting
        self._stdio_done: asyncio.Event = asyncio.Event()

    async def start(self) -> None:
        """Bind and start accepting (``tcp://host:0`` picks a free port)."""
        limit = self.context.limits.max_line
        loop = asyncio.get_running_loop()

        def protocol() -> _WatchedProtocol:
            return _WatchedProtocol(asyncio.StreamReader(limit=limit), self._on_connect)

        if self.scheme == "tcp":
            self._server = await loop.create_server(protocol, self.host, self.port)
            self.port = self._server.sockets[0].getsockname()[1]
        elif self.scheme == "unix":
            path = Path(self.host)
            _remove_stale_socket(path)
            self._server = await loop.create_unix_server(protocol, path)
        else:
            await self._start_stdio(limit)
        _LOGGER.info(
            "serving on %s (max %d clients, %d more may wait up to %g s)",
            self.bound_uri,
            self.clients.max_clients,
            self.clients.max_queued,
            self.clients.queue_timeout,
        )

    @property
    def bound_uri(self) -> str:
        """The URI actually bound (the real port when 0 was asked)."""
        if self.scheme == "tcp":
            return f"tcp://{self.host}:{self.port}"
        return self.uri

    async def _start_stdio(self, limit: int) -> None:
        """One connection over stdin/stdout: nobody else can connect, so no admission."""
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader(limit=limit)
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        transport, protocol = await loop.connect_write_pipe(
            asyncio.streams.FlowControlMixin,
            os.fdopen(sys.stdout.fileno(), "wb"),
        )
        writer = asyncio.StreamWriter(transport, protocol, None, loop)
        task = asyncio.create_task(self._serve(reader, writer), name="wyoming stdio connection")
        self._connections.add(task)
        task.add_done_callback(self._connections.discard)
        task.add_done_callback(lambda _: self._stdio_done.set())

    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            await self._admit_and_serve(reader, writer)
        finally:
            self._connections.discard(task)

    async def _admit_and_serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        peer = writer.get_extra_info("peername")
        try:
            if not peer_allowed(peer, self.allow):
                raise ClientNotAllowedError(f"{peer!r} is not in the allowed networks")
            await self.admission.enter(str(peer), _peer_closed(writer))
        except ClientLeftError:
            _LOGGER.info("%s left before its turn", peer)
            await close_writer(writer)
            return
        except WyomingServerError as refusal:
            _LOGGER.warning("refused %s: %s", peer, refusal)
            self.context.metrics.error(refusal.code)
            await send_error(writer, refusal)
            await linger(reader, writer)
            await close_writer(writer)
            return
        try:
            await self._serve(reader, writer)
        finally:
            self.admission.leave()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connection = self.factory(reader, writer, self.context)
        await connection.run()

    async def serve_forever(self) -> None:
        """Block until stopped (stdio: until the one connection ends)."""
        if self._server is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._server.serve_forever()
        else:
            await self._stdio_done.wait()

    async def stop(self) -> None:
        """Stop accepting, end every connection, release the socket."""
        if self._server is not None:
            self._server.close()
        for task in list(self._connections):
            task.cancel()
        if self._connections:
            await asyncio.gather(*self._connections, return_exceptions=True)
        if self._server is not None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(5):
                    await self._server.wait_closed()
            if self.scheme == "unix":
                _remove_stale_socket(Path(self.host))
