"""Caps and timeouts that bound what clients can make the server do.

Defined once and shared by both servers; the CLI can tighten or relax them.
``ReadLimits`` bound one connection. The defaults fit Wyoming traffic:
headers are a few hundred bytes, data blocks a few KiB (a vocabulary list),
audio chunks a few KiB, a TTS request a few KiB of text. ``ClientLimits``
bound how many connections are served at once and how many wait for a turn.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

DEFAULT_MAX_LINE: Final = 16 * 1024
DEFAULT_MAX_DATA: Final = 256 * 1024
DEFAULT_MAX_PAYLOAD: Final = 4 * 1024 * 1024
DEFAULT_READ_TIMEOUT: Final = 10.0
DEFAULT_IDLE_TIMEOUT: Final = 60.0
DEFAULT_WRITE_TIMEOUT: Final = 10.0
MAX_TYPE_LENGTH: Final = 128
DEFAULT_MAX_CLIENTS: Final = 8
DEFAULT_MAX_QUEUED: Final = 32
DEFAULT_QUEUE_TIMEOUT: Final = 10.0
MAX_QUEUED: Final = 4096  # each waiting client holds a socket and a read buffer
MAX_QUEUE_TIMEOUT: Final = 3600.0


@dataclass(frozen=True, slots=True)
class ReadLimits:
    """Per-event caps (bytes) and per-connection timeouts (seconds).

    ``read_timeout`` bounds how long one event may take to arrive once its
    first byte is here (a slow drip); ``idle_timeout`` bounds the wait for
    the first byte of the next event; ``write_timeout`` bounds how long a
    client that does not read can hold a reply.
    """

    max_line: int = DEFAULT_MAX_LINE
    max_data: int = DEFAULT_MAX_DATA
    max_payload: int = DEFAULT_MAX_PAYLOAD
    read_timeout: float = DEFAULT_READ_TIMEOUT
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT
    write_timeout: float = DEFAULT_WRITE_TIMEOUT

    def __post_init__(self) -> None:
        """Refuse caps that would make every event fail or nothing bounded."""
        for name in ("max_line", "max_data", "max_payload"):
            if getattr(self, name) < 64:  # noqa: PLR2004 - smaller than any real header
                raise ValueError(f"{name} must be at least 64 bytes")
        for name in ("read_timeout", "idle_timeout", "write_timeout"):
            value = getattr(self, name)
            if not 0 < value <= 86400:  # noqa: PLR2004 - one day
                raise ValueError(f"{name} must be in (0, 86400] seconds")


@dataclass(frozen=True, slots=True)
class ClientLimits:
    """Connections served at once, and how many more wait for a turn and how long.

    A client that arrives with every slot taken waits in arrival order; past
    ``max_queued`` waiting (0: no queue) it is refused at once, and after
    ``queue_timeout`` seconds of waiting it is refused too.
    """

    max_clients: int = DEFAULT_MAX_CLIENTS
    max_queued: int = DEFAULT_MAX_QUEUED
    queue_timeout: float = DEFAULT_QUEUE_TIMEOUT

    def __post_init__(self) -> None:
        """Refuse limits that would serve nobody or let the queue grow without bound."""
        if self.max_clients < 1:
            raise ValueError("max_clients must be at least 1")
        if not 0 <= self.max_queued <= MAX_QUEUED:
            raise ValueError(f"max_queued must be in [0, {MAX_QUEUED}]")
        if not 0 < self.queue_timeout <= MAX_QUEUE_TIMEOUT:
            raise ValueError(f"queue_timeout must be in (0, {MAX_QUEUE_TIMEOUT:g}] seconds")
