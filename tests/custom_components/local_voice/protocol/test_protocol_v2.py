"""Version 2 of the protocol: what it adds, checked at the boundary; version 1 still parses."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custom_components.local_voice import protocol as p

V1_ANNOUNCE = {
    "protocol": 1,
    "id": "hall",
    "name": "Hall ESP32",
    "area": "Hallway",
    "audio": {"rate": 16000, "width": 2, "channels": 1},
    "wake_words": {
        "available": [{"id": "okay_nabu", "name": "Okay Nabu"}],
        "active": ["okay_nabu"],
        "max_active": 1,
    },
    "capabilities": {"speaker": True, "wake_word": True, "vad": False},
    "software": "local-voice-esp32 0.1.0",
}


def test_version_1_satellites_still_announce() -> None:
    announce = p.parse_announce(json.dumps(V1_ANNOUNCE), "hall")
    assert announce.protocol == 1
    assert p.PROTOCOL_VERSION == 2
    assert p.SUPPORTED_VERSIONS == (1, 2)
    # What a version-1 satellite sends still parses: no signal, no new fields.
    start = p.parse_event(
        b'{"type":"session_start","session_id":"s1","wake_word_id":"okay_nabu",'
        b'"audio":{"rate":16000,"width":2,"channels":1}}'
    )
    assert isinstance(start, p.SessionStart)
    assert start.signal is None
    # And a version-1 satellite reading what HA sends ignores fields it does not know.
    state = json.loads(p.encode(p.State("processing", "s1", text="turn on the light")))
    assert state == {"state": "processing", "session_id": "s1", "text": "turn on the light"}


def test_wake_signal_round_trip_and_rank() -> None:
    signal = p.WakeSignal(score=0.97, level_db=-23.456, snr_db=31.0)
    start = p.SessionStart("s1", wake_word_id="okay_nabu", signal=signal)
    parsed = p.parse_event(p.encode(start))
    assert isinstance(parsed, p.SessionStart)
    assert parsed.signal == p.WakeSignal(0.97, -23.46, 31.0)
    near, far = p.WakeSignal(0.9, -20.0, 30.0), p.WakeSignal(1.0, -32.0, 30.0)
    assert near.rank() > far.rank()  # louder wins over a higher score
    # Within 1 dB, SNR decides; then the score; a missing field ranks lowest.
    assert p.WakeSignal(0.5, -20.2, 35.0).rank() > p.WakeSignal(0.9, -19.9, 30.0).rank()
    assert p.WakeSignal(0.9, -20.0, 30.0).rank() > p.WakeSignal(0.8, -20.0, 30.0).rank()
    assert p.WakeSignal(0.1, -60.0).rank() > p.WakeSignal(1.0).rank()
    assert p.parse_signal({"signal": {}}) == p.WakeSignal()


@pytest.mark.parametrize(
    "signal",
    [
        {"score": 1.5},
        {"score": True},
        {"level_db": 3},
        {"level_db": -500},
        {"snr_db": "loud"},
        {"snr_db": 1e9},
        {"score": 0.5, "extra": 1},
        [0.5],
        "loud",
    ],
)
def test_bad_signals_rejected(signal: Any) -> None:
    obj = {
        "type": "session_start",
        "session_id": "s1",
        "audio": {"rate": 16000, "width": 2, "channels": 1},
        "signal": signal,
    }
    with pytest.raises(p.ProtocolError, match="signal"):
        p.parse_event(json.dumps(obj))


def test_non_finite_numbers_rejected() -> None:
    with pytest.raises(p.ProtocolError):
        p.parse_signal({"signal": {"level_db": float("nan")}})
    with pytest.raises(p.ProtocolError):
        p.parse_command(b'{"command":"start_listening","window_s":NaN}')


COMMANDS: list[p.Command] = [
    p.StartListening(conversation=True, window_s=8.0),
    p.Dismiss("s1"),
    p.EndOfSpeech("s1"),
    p.TimerFinished("01jabcd", "pasta"),
    p.TimerFinished("01jabcd"),
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.NAME)
def test_new_commands_round_trip(command: p.Command) -> None:
    assert p.parse_command(p.encode(command)) == command


@pytest.mark.parametrize(
    "obj",
    [
        {"command": "start_listening", "window_s": 0.5},
        {"command": "start_listening", "window_s": 21},
        {"command": "start_listening", "window_s": "5"},
        {"command": "start_listening", "window_s": True},
        {"command": "dismiss"},
        {"command": "dismiss", "session_id": "S 1"},
        {"command": "end_of_speech"},
        {"command": "end_of_speech", "session_id": 7},
        {"command": "timer_finished", "timer_id": ""},
        {"command": "timer_finished", "timer_id": "t1", "name": "x" * 41},
    ],
)
def test_bad_new_commands_rejected(obj: dict[str, Any]) -> None:
    with pytest.raises(p.ProtocolError):
        p.parse_command(json.dumps(obj))


def test_session_end_dismissed_and_state_text() -> None:
    end = p.SessionEnd("s1", 3, "dismissed")
    assert p.parse_event(p.encode(end)) == end
    end = p.SessionEnd("s1", 3, "end_of_speech")
    assert p.parse_event(p.encode(end)) == end
    state = p.State("processing", "s1", text="turn on the light")
    assert p.parse_state(p.encode(state)) == state
    with pytest.raises(p.ProtocolError, match="text"):
        p.parse_state(json.dumps({"state": "idle", "text": "x" * (p.MAX_TEXT_CHARS + 1)}))


TIMERS = p.Timers(
    (
        p.TimerEntry("01jxa", 600, p.RUNNING, ends_at=1_800_000_000.25, name="pasta"),
        p.TimerEntry("01jxb", 300, p.PAUSED, left_s=120),
    ),
    at=1_799_999_700.0,
)


def test_timers_round_trip_and_time_left() -> None:
    assert p.parse_timers(p.encode(TIMERS)) == TIMERS
    running, paused = TIMERS.timers
    assert running.left_at(1_800_000_000.25 - 90.5) == 91
    assert running.left_at(1_900_000_000) == 0
    assert paused.left_at(0) == 120
    rang = p.Rang(("01jxa", "01jxc"))
    assert p.parse_rang(p.encode(rang)) == rang
    # The largest legal message fits the JSON limit.
    biggest = p.Timers(
        tuple(
            p.TimerEntry(f"01j{i:023d}", p.MAX_TIMER_SECONDS, p.RUNNING, 2.0**32, name="ü" * 40)
            for i in range(p.MAX_TIMERS)
        ),
        2.0**32,
    )
    assert len(p.encode(biggest)) <= p.MAX_JSON_BYTES
    assert p.parse_timers(p.encode(biggest)) == biggest


def _timers(*entries: dict[str, Any], at: Any = 1.0) -> bytes:
    return json.dumps({"timers": list(entries), "at": at}).encode()


GOOD = {"id": "t1", "seconds": 60, "state": "running", "ends_at": 100.0}


@pytest.mark.parametrize(
    "payload",
    [
        _timers({**GOOD, "state": "ringing"}),
        _timers({**GOOD, "seconds": -1}),
        _timers({**GOOD, "seconds": p.MAX_TIMER_SECONDS + 1}),
        _timers({**GOOD, "ends_at": "soon"}),
        _timers({**GOOD, "ends_at": -5}),
        _timers({"id": "t1", "seconds": 60, "state": "paused"}),
        _timers({**GOOD, "id": "T 1"}),
        _timers({**GOOD, "name": "n" * 41}),
        _timers(GOOD, GOOD),
        _timers(*[{**GOOD, "id": f"t{i}"} for i in range(p.MAX_TIMERS + 1)]),
        _timers(GOOD, at=None),
        b'{"timers": {}, "at": 1}',
        b"[]",
    ],
)
def test_bad_timers_rejected(payload: bytes) -> None:
    with pytest.raises(p.ProtocolError):
        p.parse_timers(payload)


@pytest.mark.parametrize(
    "payload",
    [b'{"rang": "t1"}', b'{"rang": ["T1"]}', json.dumps({"rang": ["t"] * 21}).encode(), b"{}"],
)
def test_bad_rang_rejected(payload: bytes) -> None:
    with pytest.raises(p.ProtocolError):
        p.parse_rang(payload)


def test_topics_of_version_2() -> None:
    assert p.timers_topic("kitchen") == "local_voice/kitchen/timers"
    assert p.rang_topic("kitchen") == "local_voice/kitchen/timers/rang"
    assert p.parse_topic("local_voice/k/timers") == p.Topic("k", "timers")
    assert p.parse_topic("local_voice/k/timers/rang") == p.Topic("k", "timers_rang")
    with pytest.raises(p.ProtocolError):
        p.parse_topic("local_voice/k/timers/other")


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["id", "seconds", "state", "ends_at", "left_s", "name"]),
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats()
        | st.text(max_size=50)
        | st.sampled_from(["running", "paused", "t1"]),
    )
)
def test_random_timer_shapes(entry: dict[str, Any]) -> None:
    with contextlib.suppress(p.ProtocolError):
        p.parse_timers(_timers(entry))
