"""The hardened event reader: every kind of bad input maps to its typed error.

No sockets: a StreamReader fed bytes is exactly what a connection delivers.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wyoming.event import Event

from wyoming_servers.core import errors
from wyoming_servers.core.events import error_event, read_event
from wyoming_servers.core.limits import ReadLimits

LIMITS = ReadLimits(
    max_line=1024, max_data=2048, max_payload=4096, read_timeout=0.5, idle_timeout=0.5
)


def _reader(data: bytes, *, eof: bool = True, limit: int = LIMITS.max_line) -> asyncio.StreamReader:
    reader = asyncio.StreamReader(limit=limit)
    reader.feed_data(data)
    if eof:
        reader.feed_eof()
    return reader


def _wire(event: Event) -> bytes:
    header = {"type": event.type}
    data = json.dumps(event.data).encode() if event.data else b""
    if data:
        header["data_length"] = len(data)
    if event.payload:
        header["payload_length"] = len(event.payload)
    return json.dumps(header).encode() + b"\n" + data + (event.payload or b"")


async def test_reads_data_and_payload_merging_inline_data() -> None:
    raw = b'{"type": "audio-chunk", "data": {"a": 1}, "data_length": 8, "payload_length": 3}\n{"b": 2}xyz'
    event = await read_event(_reader(raw), LIMITS)
    assert event == Event("audio-chunk", {"a": 1, "b": 2}, b"xyz")
    assert await read_event(_reader(b""), LIMITS) is None


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        (b"not json\n", errors.MalformedEventError),
        (b"[1, 2]\n", errors.MalformedEventError),
        (b'{"data": {}}\n', errors.MalformedEventError),
        (b'{"type": 5}\n', errors.MalformedEventError),
        (b'{"type": ""}\n', errors.MalformedEventError),
        (b'{"type": "x", "data": [1]}\n', errors.MalformedEventError),
        (b'{"type": "x", "data_length": 2}\n[]', errors.MalformedEventError),
        (b'{"type": "x", "data_length": "5"}\n', errors.BadLengthError),
        (b'{"type": "x", "data_length": 1.5}\n', errors.BadLengthError),
        (b'{"type": "x", "payload_length": -1}\n', errors.BadLengthError),
        (b'{"type": "x", "payload_length": true}\n', errors.BadLengthError),
        (b'{"type": "x", "payload_length": 99999999}\n', errors.EventTooLargeError),
        (b'{"type": "x", "data_length": 99999999}\n', errors.EventTooLargeError),
        (b'{"type": "' + b"a" * 2000 + b'"}\n', errors.EventTooLargeError),
        (b'{"type": "x", "payload_length": 10}\nabc', errors.TruncatedEventError),
        (b'{"type": "x"', errors.TruncatedEventError),
        (b"[" * 5000 + b"]" * 5000 + b"\n", errors.EventTooLargeError),
        (
            b'{"type": "x", "data_length": 1000}\n' + b"[" * 500 + b"]" * 500,
            errors.MalformedEventError,
        ),
        (b"\xff\xfe\n", errors.MalformedEventError),
    ],
)
async def test_bad_input_raises_its_typed_error(raw: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        await read_event(_reader(raw), LIMITS)


async def test_deep_nesting_inside_the_caps_is_malformed_not_a_crash() -> None:
    limits = ReadLimits(max_line=200_000, idle_timeout=1, read_timeout=1)
    raw = b"[" * 50_000 + b"]" * 50_000 + b"\n"
    with pytest.raises(errors.MalformedEventError):
        await read_event(_reader(raw, limit=200_000), limits)


async def test_idle_and_slow_drip_time_out() -> None:
    with pytest.raises(errors.IdleTimeoutError):
        await read_event(_reader(b"", eof=False), LIMITS)
    with pytest.raises(errors.ReadTimeoutError):
        await read_event(_reader(b'{"type": "de', eof=False), LIMITS)
    with pytest.raises(errors.ReadTimeoutError):
        await read_event(_reader(b'{"type": "x", "payload_length": 100}\nab', eof=False), LIMITS)


def test_error_event_carries_code_and_hides_internal_detail() -> None:
    event = error_event(errors.BadLengthError("data_length must be an integer"))
    assert event.type == "error"
    assert event.data == {"text": "data_length must be an integer", "code": "bad-length"}
    assert error_event(RuntimeError()).data["code"] == "server-error"


def test_every_error_code_is_unique() -> None:
    classes = [
        c
        for c in vars(errors).values()
        if isinstance(c, type) and issubclass(c, errors.WyomingServerError)
    ]
    codes = [c.code for c in classes]
    assert len(codes) == len(set(codes)) > 10


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.binary(max_size=3000))
def test_fuzz_arbitrary_bytes_never_escape_the_error_hierarchy(raw: bytes) -> None:
    async def read_all() -> None:
        reader = _reader(raw)
        while True:
            try:
                event = await read_event(reader, LIMITS)
            except errors.WyomingServerError:
                return
            if event is None:
                return
            assert isinstance(event.type, str)
            assert isinstance(event.data, dict)

    asyncio.run(read_all())


@settings(max_examples=150, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["type", "data", "data_length", "payload_length", "version"]), json_values
    ),
    st.binary(max_size=200),
)
def test_fuzz_header_fields_of_any_type(header: dict, tail: bytes) -> None:
    raw = json.dumps(header).encode() + b"\n" + tail

    async def read_one() -> None:
        try:
            event = await read_event(_reader(raw), LIMITS)
        except errors.WyomingServerError:
            return
        assert event is not None
        assert isinstance(event.type, str)
        assert event.type
        assert isinstance(event.data, dict)
        assert len(event.payload or b"") <= LIMITS.max_payload

    asyncio.run(read_one())


@settings(max_examples=100, deadline=None)
@given(
    st.text(min_size=1, max_size=30),
    st.dictionaries(st.text(max_size=10), json_values, max_size=5),
    st.binary(max_size=500),
)
def test_fuzz_valid_events_round_trip(event_type: str, data: dict, payload: bytes) -> None:
    event = Event(event_type, data, payload or None)

    roomy = ReadLimits(max_line=1 << 16, max_data=1 << 16, max_payload=1 << 16)

    async def read_back() -> Event | None:
        return await read_event(_reader(_wire(event) * 2, limit=1 << 16), roomy)

    assert asyncio.run(read_back()) == event
