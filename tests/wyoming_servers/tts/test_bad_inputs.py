"""Every bad input ends only its own connection, with an ``error`` event naming it."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from local_voice_harness.tts_wire import Client, describe_works, encode, stream, synthesize
from wyoming_servers.models import resolve_piper_voice

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("socket_enabled")]


def expect_error(reply, code: str) -> None:
    assert reply.error is not None, reply.types
    assert reply.error["code"] == code, reply.error


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ({}, "bad-event-data"),  # no text
        ({"text": 5}, "bad-event-data"),
        ({"text": ["a"]}, "bad-event-data"),
        ({"text": "x" * 2001}, "text-too-long"),
        ({"text": "Hi.", "voice": "en_US-joe-medium"}, "bad-event-data"),
        ({"text": "Hi.", "voice": {"name": "en_US-amy-low"}}, "unknown-voice"),
        ({"text": "Hi.", "voice": {"name": 7}}, "bad-event-data"),
        ({"text": "Hi.", "context": [1]}, "bad-event-data"),
        ({"text": "Hi.", "length_scale": "fast"}, "bad-event-data"),
        ({"text": "Hi.", "length_scale": 100}, "bad-event-data"),
        ({"text": "Hi.", "noise_scale": -1}, "bad-event-data"),
        ({"text": "Hi.", "context": {"noise_w_scale": True}}, "bad-event-data"),
    ],
)
def test_bad_synthesize_data(tts_server, data, code) -> None:
    with Client(tts_server.host, tts_server.port) as client:
        client.send("synthesize", data)
        expect_error(client.collect("audio-stop"), code)
    assert describe_works(tts_server.host, tts_server.port)


def test_no_paths_from_the_wire(tts_server) -> None:
    """A path to a real, loadable voice is still only an unknown name."""
    model = resolve_piper_voice("en_US-joe-medium").model
    for name in (str(model), str(model.with_suffix("")), "../en_US-joe-medium", "/etc/passwd"):
        reply = synthesize(tts_server.host, tts_server.port, "Hi.", voice={"name": name})
        expect_error(reply, "unknown-voice")


def test_streaming_out_of_order(tts_server) -> None:
    for first in ("synthesize-chunk", "synthesize-stop"):
        with Client(tts_server.host, tts_server.port) as client:
            client.send(first, {"text": "Hello."} if first == "synthesize-chunk" else None)
            expect_error(client.collect("synthesize-stopped"), "unexpected-event")
    with Client(tts_server.host, tts_server.port) as client:
        client.send("synthesize-start", {})
        client.send("synthesize-start", {})
        expect_error(client.collect("synthesize-stopped"), "unexpected-event")


def test_streaming_text_cap_counts_every_chunk(tts_server) -> None:
    # 300 + 1800 > 2000: the second chunk is refused before any synthesis runs.
    reply = stream(tts_server.host, tts_server.port, ["word " * 60, "x" * 1800])
    expect_error(reply, "text-too-long")
    assert describe_works(tts_server.host, tts_server.port)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"not json\n", "malformed-event"),
        (b"[1, 2]\n", "malformed-event"),
        (b'{"data": {}}\n', "malformed-event"),
        (b'{"type": "synthesize", "data_length": "12"}\n', "bad-length"),
        (b'{"type": "synthesize", "data_length": -1}\n', "bad-length"),
        (b'{"type": "synthesize", "payload_length": 999999999999}\n', "event-too-large"),
        (b'{"type": "synthesize", "data": [1]}\n', "malformed-event"),
    ],
)
def test_malformed_events(tts_server, raw, code) -> None:
    with Client(tts_server.host, tts_server.port) as client:
        client.send_raw(raw)
        expect_error(client.collect("audio-stop"), code)
    assert describe_works(tts_server.host, tts_server.port)


def test_unknown_events_are_ignored(tts_server) -> None:
    with Client(tts_server.host, tts_server.port) as client:
        client.send("transcribe", {"language": "en"})
        client.send("ping-of-our-own", {"x": 1})
        client.send("describe")
        assert client.collect("info").info is not None


def test_one_bad_client_does_not_disturb_another(tts_server) -> None:
    with Client(tts_server.host, tts_server.port) as idle:
        idle.send_raw(b'{"type": "synthe')  # half an event, never finished
        reply = synthesize(tts_server.host, tts_server.port, "Still here.")
        assert reply.error is None
        assert reply.pcm


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)
_data = st.fixed_dictionaries(
    {},
    optional={
        "text": st.text(max_size=20) | _json,
        "voice": st.fixed_dictionaries(
            {},
            optional={
                "name": st.sampled_from(["en_US-joe-medium", "x", ""]) | _json,
                "speaker": _json,
            },
        )
        | _json,
        "context": st.dictionaries(
            st.sampled_from(["length_scale", "noise_scale", "other"]), _json, max_size=2
        )
        | _json,
        "length_scale": _json,
        "noise_w_scale": st.floats(min_value=-1, max_value=3) | _json,
    },
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    event_type=st.sampled_from(["synthesize", "synthesize-start", "synthesize-chunk"]), data=_data
)
def test_fuzzed_requests_get_audio_or_an_error(
    tts_server, socket_enabled, event_type, data
) -> None:
    try:
        json.dumps(data, allow_nan=False)
    except ValueError:
        data = {k: v for k, v in data.items() if k == "text" and isinstance(v, str)}
    with Client(tts_server.host, tts_server.port, timeout=30) as client:
        client.send_raw(encode(event_type, data))
        if event_type != "synthesize":
            client.send("synthesize-stop")
        reply = client.collect("synthesize-stopped" if event_type != "synthesize" else "audio-stop")
    last = reply.types[-1] if reply.types else None
    assert last in {"error", "audio-stop", "synthesize-stopped"}, reply.types
    if reply.error is not None:
        assert reply.error["code"] in {
            "bad-event-data",
            "unknown-voice",
            "text-too-long",
            "unexpected-event",
        }


def test_server_alive_after_fuzzing(tts_server) -> None:
    assert describe_works(tts_server.host, tts_server.port)
