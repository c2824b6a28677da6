"""A small Wyoming client: one connection per request, every read bounded.

Replies are read with the servers' own hardened reader
(:func:`wyoming_servers.core.events.read_event`), so a broken or hostile
upstream cannot make the gateway buffer without limit or wait forever.
Connection failures become 503, an ``error`` event from the server keeps
its code (see :func:`errors.from_server_error`).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.error import Error
from wyoming.event import Event, async_write_event
from wyoming.info import Describe, Info

from wyoming_servers.core.errors import WyomingServerError
from wyoming_servers.core.events import read_event
from wyoming_servers.core.limits import ReadLimits
from wyoming_servers.core.server import parse_uri

from .errors import ApiError, from_server_error, unavailable

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

# Replies can carry a whole sentence of audio per chunk and a long info.
_REPLY_LIMITS = ReadLimits(max_payload=8 * 1024 * 1024, read_timeout=30.0, idle_timeout=60.0)
_SEND_CHUNK_SECONDS = 0.5


@dataclass(frozen=True, slots=True)
class Upstream:
    """Where one Wyoming server listens, and how long to wait for it."""

    name: str
    uri: str
    connect_timeout: float
    timeout: float

    def __post_init__(self) -> None:
        """Validate the URI at start-up (tcp:// or unix:// only)."""
        scheme, _, _ = parse_uri(self.uri)
        if scheme == "stdio":
            raise ValueError(f"{self.name}: a gateway cannot reach a stdio:// server")

    @contextlib.asynccontextmanager
    async def connect(self) -> AsyncIterator[_Connection]:
        """One connection, closed on exit; a refused or slow connect is a 503."""
        scheme, host, port = parse_uri(self.uri)
        try:
            async with asyncio.timeout(self.connect_timeout):
                if scheme == "unix":
                    reader, writer = await asyncio.open_unix_connection(host)
                else:
                    reader, writer = await asyncio.open_connection(host, port)
        except (OSError, TimeoutError) as err:
            raise unavailable(f"{self.name} server at {self.uri} does not answer") from err
        try:
            yield _Connection(self, reader, writer)
        finally:
            writer.close()
            with contextlib.suppress(OSError, TimeoutError):
                async with asyncio.timeout(2):
                    await writer.wait_closed()

    async def describe(self) -> Info:
        """The server's ``info``."""
        async with asyncio.timeout(self.connect_timeout * 2), self.connect() as conn:
            await conn.send(Describe().event())
            while True:
                event = await conn.receive()
                if Info.is_type(event.type):
                    return Info.from_event(event)


class _Connection:
    """Send events, receive events; ``error`` events raise :class:`ApiError`."""

    def __init__(
        self, upstream: Upstream, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.upstream = upstream
        self.reader = reader
        self.writer = writer

    async def send(self, event: Event) -> None:
        try:
            async with asyncio.timeout(self.upstream.timeout):
                await async_write_event(event, self.writer)
        except (OSError, TimeoutError) as err:
            raise unavailable(f"{self.upstream.name} server closed the connection") from err

    async def receive(self) -> Event:
        try:
            event = await read_event(self.reader, _REPLY_LIMITS)
        except (WyomingServerError, OSError) as err:
            raise ApiError(
                502, f"{self.upstream.name} server sent a bad reply", code="bad-upstream-reply"
            ) from err
        if event is None:
            raise ApiError(
                502, f"{self.upstream.name} server closed the connection", code="upstream-closed"
            )
        if Error.is_type(event.type):
            error = event.data
            raise from_server_error(
                self.upstream.name, str(error.get("code") or "server-error"), str(error.get("text"))
            )
        return event

    async def send_audio(self, pcm: bytes, rate: int, width: int, channels: int) -> None:
        """``audio-start``, the audio in half-second chunks, ``audio-stop``."""
        await self.send(AudioStart(rate=rate, width=width, channels=channels).event())
        step = max(int(rate * _SEND_CHUNK_SECONDS) * width * channels, width * channels)
        for offset in range(0, len(pcm), step):
            chunk = AudioChunk(
                rate=rate, width=width, channels=channels, audio=pcm[offset : offset + step]
            )
            await self.send(chunk.event())
        await self.send(AudioStop().event())


def event_text(event: Event, key: str = "text") -> str:
    """A string field of an event, or "" when absent or not a string."""
    value: Any = event.data.get(key)
    return value if isinstance(value, str) else ""
