"""Hardened reading of Wyoming events, and the ``error`` reply.

``wyoming.event.async_read_event`` trusts its input: no size caps, no
timeouts, and it raises plain ``ValueError``/``KeyError``/``TypeError`` on
bad JSON or returns ``None`` (indistinguishable from a clean close). This
reader checks every field at the boundary and raises one of
:mod:`wyoming_servers.core.errors`, so a connection can answer with an
``error`` event that names what was wrong.
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

from wyoming.error import Error
from wyoming.event import Event

from .errors import (
    BadLengthError,
    EventTooLargeError,
    IdleTimeoutError,
    MalformedEventError,
    ReadTimeoutError,
    TruncatedEventError,
    WyomingServerError,
)
from .limits import MAX_TYPE_LENGTH, ReadLimits

if TYPE_CHECKING:
    from collections.abc import Mapping

_NEWLINE = b"\n"


def _length(header: Mapping[str, Any], key: str, cap: int) -> int:
    value = header.get(key)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadLengthError(f"{key} must be an integer, got {type(value).__name__}")
    if value < 0:
        raise BadLengthError(f"{key} must not be negative, got {value}")
    if value > cap:
        raise EventTooLargeError(f"{key} {value} is over the cap of {cap} bytes")
    return value


def _json_object(raw: bytes, what: str) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except (UnicodeDecodeError, ValueError, RecursionError) as err:
        raise MalformedEventError(f"{what} is not valid JSON") from err
    if not isinstance(value, dict):
        raise MalformedEventError(f"{what} must be a JSON object, got {type(value).__name__}")
    return value


def parse_header(line: bytes, limits: ReadLimits) -> tuple[str, dict[str, Any], int, int]:
    """Validate a header line: (type, inline data, data length, payload length)."""
    if len(line) > limits.max_line:
        raise EventTooLargeError(f"header line is over the cap of {limits.max_line} bytes")
    header = _json_object(line, "event header")
    event_type = header.get("type")
    if not isinstance(event_type, str) or not event_type:
        raise MalformedEventError("event header needs a non-empty string 'type'")
    if len(event_type) > MAX_TYPE_LENGTH:
        raise MalformedEventError(f"event type is longer than {MAX_TYPE_LENGTH} characters")
    data = header.get("data")
    if data is None:
        data = {}
    elif not isinstance(data, dict):
        raise MalformedEventError(f"event 'data' must be an object, got {type(data).__name__}")
    data_length = _length(header, "data_length", limits.max_data)
    payload_length = _length(header, "payload_length", limits.max_payload)
    return event_type, data, data_length, payload_length


async def _read_line(reader: asyncio.StreamReader, limits: ReadLimits, first: bytes) -> bytes:
    if first == _NEWLINE:
        return first
    try:
        rest = await reader.readuntil(_NEWLINE)
    except asyncio.LimitOverrunError as err:
        raise EventTooLargeError(f"header line is over the cap of {limits.max_line} bytes") from err
    return first + rest


async def _read_rest(reader: asyncio.StreamReader, limits: ReadLimits, first: bytes) -> Event:
    line = await _read_line(reader, limits, first)
    event_type, data, data_length, payload_length = parse_header(line, limits)
    if data_length:
        extra = _json_object(await reader.readexactly(data_length), "event data")
        data = {**data, **extra}
    payload = await reader.readexactly(payload_length) if payload_length else None
    return Event(type=event_type, data=data, payload=payload)


async def read_event(reader: asyncio.StreamReader, limits: ReadLimits) -> Event | None:
    """Read one event; ``None`` on a clean close between events.

    Raises a :class:`WyomingServerError` subclass for anything else: an idle
    connection, a slow drip, a cap overrun, bad JSON, a bad length field, or
    a close in the middle of an event.
    """
    try:
        async with asyncio.timeout(limits.idle_timeout):
            first = await reader.read(1)
    except TimeoutError as err:
        raise IdleTimeoutError(f"no event for {limits.idle_timeout:g} s") from err
    if not first:
        return None
    try:
        async with asyncio.timeout(limits.read_timeout):
            return await _read_rest(reader, limits, first)
    except TimeoutError as err:
        raise ReadTimeoutError(
            f"event did not arrive within {limits.read_timeout:g} s of its first byte"
        ) from err
    except asyncio.IncompleteReadError as err:
        raise TruncatedEventError("connection closed in the middle of an event") from err


def error_event(error: BaseException) -> Event:
    """The ``error`` event that tells a client why its connection ends."""
    code = error.code if isinstance(error, WyomingServerError) else "server-error"
    text = str(error) or type(error).__name__
    return Error(text=text[:500], code=code).event()
