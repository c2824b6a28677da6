"""The shared MQTT protocol module: one definition, validated at every boundary."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custom_components.local_voice import protocol as p
from local_voice_harness.paths import REPO_ROOT

ANNOUNCE = p.Announce(
    satellite_id="kitchen",
    name="Kitchen satellite",
    area="Kitchen",
    wake_words=(p.WakeWord("okay_nabu", "Okay Nabu"), p.WakeWord("hey_jarvis", "Hey Jarvis")),
    active_wake_words=("okay_nabu",),
    software="local-voice-satellite 0.1.0",
)


PROTOCOL = REPO_ROOT / "custom_components/local_voice/protocol"
SATELLITE_SIDE = REPO_ROOT / "satellites/pi/local_voice_protocol"
MODULES = sorted(path.name for path in PROTOCOL.glob("*.py"))


def test_one_source_for_the_integration_and_the_satellite() -> None:
    """The Pi satellite's package takes the protocol from the integration: a link, no copy."""
    assert SATELLITE_SIDE.is_symlink()
    assert SATELLITE_SIDE.resolve() == PROTOCOL.resolve()
    assert not list((REPO_ROOT / "satellites/pi/local_voice_satellite").glob("protocol*.py"))
    import pathlib

    import local_voice_protocol

    theirs = pathlib.Path(local_voice_protocol.encode.__code__.co_filename).resolve()
    assert theirs == pathlib.Path(p.encode.__code__.co_filename).resolve()


def test_protocol_modules_are_small_and_stdlib_only() -> None:
    """Standard library and the other protocol modules (relative imports) only."""
    assert {"__init__.py", "commands.py", "events.py", "fields.py", "limits.py"} <= set(MODULES)
    for name in MODULES:
        source = (PROTOCOL / name).read_text()
        assert len(source.splitlines()) <= 300, name
        imports = {
            line.split()[1]
            for line in source.splitlines()
            if line.lstrip().startswith(("import ", "from "))
        }
        external = {i.split(".")[0] for i in imports if not i.startswith(".")}
        stdlib = {"__future__", "collections", "json", "math", "re", "dataclasses", "typing"}
        assert external <= stdlib, name
        assert {i for i in imports if i.startswith(".")} <= {f".{m[:-3]}" for m in MODULES}, name


def test_topics() -> None:
    assert p.announce_topic("kitchen") == "local_voice/kitchen/announce"
    assert p.audio_in_topic("kitchen", "s1") == "local_voice/kitchen/audio/in/s1"
    assert p.audio_out_topic("kitchen", "o1", "end") == "local_voice/kitchen/audio/out/o1/end"
    assert p.parse_topic("local_voice/k-1/audio/in/abc") == p.Topic("k-1", "audio_in", "abc")
    assert p.parse_topic("local_voice/k/audio/out/x/start") == p.Topic("k", "audio_out_start", "x")
    assert p.parse_topic("local_voice/k/state") == p.Topic("k", "state")
    for bad in (
        "local_voice/Kitchen/announce",
        "local_voice/k/audio/in",
        "local_voice/k/audio/in/s/extra",
        "local_voice/k/audio/in/" + "a" * 65,
        "other/k/announce",
        "local_voice/k/nope",
        "local_voice//announce",
    ):
        with pytest.raises(p.ProtocolError):
            p.parse_topic(bad)
    with pytest.raises(p.ProtocolError, match="satellite id"):
        p.event_topic("a/b")


def test_limits_are_consistent() -> None:
    assert p.MIN_CHUNK_BYTES == 320
    assert p.MAX_CHUNK_BYTES == 3200
    assert p.MAX_SESSION_BYTES == 16000 * 2 * p.MAX_UTTERANCE_SECONDS
    assert p.MAX_SESSIONS_PER_SATELLITE == 1


@pytest.mark.parametrize("size", [320, 640, 1280, 3200])
def test_audio_chunk_sizes_accepted(size: int) -> None:
    assert p.validate_audio_chunk(b"\0" * size) == b"\0" * size


@pytest.mark.parametrize("size", [0, 2, 318, 321, 3202, 32000])
def test_audio_chunk_sizes_rejected(size: int) -> None:
    with pytest.raises(p.ProtocolError, match="audio chunk"):
        p.validate_audio_chunk(b"\0" * size)


def test_announce_round_trip() -> None:
    assert p.parse_announce(p.encode(ANNOUNCE), "kitchen") == ANNOUNCE


def _announce(**changes: Any) -> dict[str, Any]:
    obj = ANNOUNCE.to_dict()
    for key, value in changes.items():
        if "." in key:
            outer, inner = key.split(".")
            obj[outer] = {**obj[outer], inner: value}
        else:
            obj[key] = value
    return obj


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"protocol": 3}, "version 3"),
        ({"protocol": 0}, "protocol"),
        ({"protocol": "1"}, "protocol"),
        ({"id": "Kitchen"}, "Kitchen.* does not match"),
        ({"id": "hall"}, "does not match topic"),
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"audio": {"rate": 48000, "width": 2, "channels": 1}}, "16000 Hz"),
        ({"audio": {"rate": 16000, "width": 2, "channels": True}}, "channels"),
        ({"wake_words.active": ["alexa"]}, "not available"),
        ({"wake_words.available": "okay_nabu"}, "available"),
        ({"capabilities.vad": "yes"}, "vad"),
        ({"software": 3}, "software"),
    ],
)
def test_announce_rejected(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(p.ProtocolError, match=message):
        p.parse_announce(json.dumps(_announce(**changes)), "kitchen")


@pytest.mark.parametrize(
    "payload",
    [b"", b"{", b"[]", b'"x"', b"\xff\xfe", b"{" + b" " * p.MAX_JSON_BYTES + b"}"],
)
def test_malformed_json_rejected(payload: bytes) -> None:
    with pytest.raises(p.ProtocolError):
        p.parse_event(payload)


EVENTS: list[p.Event] = [
    p.SessionStart("s1", wake_word_id="okay_nabu"),
    p.SessionStart("s2", reason="button"),
    p.SessionEnd("s1", 42, "cap"),
    p.WakeWordDetected("hey_jarvis"),
    p.VoiceStarted("s1"),
    p.VoiceStopped("s1"),
    p.Played("o1"),
    p.ErrorEvent("mic", "microphone unplugged", "s1"),
]
COMMANDS: list[p.Command] = [
    p.StartListening(conversation=True),
    p.Stop(),
    p.SetVolume(0.25),
    p.AnnounceText("Dinner is ready", "a1", start_conversation=True),
    p.SetWakeWords(("okay_nabu", "alexa")),
    p.SetEndpointing(400),
]


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: e.NAME)
def test_event_round_trip(event: p.Event) -> None:
    assert p.parse_event(p.encode(event)) == event


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.NAME)
def test_command_round_trip(command: p.Command) -> None:
    assert p.parse_command(p.encode(command)) == command


@pytest.mark.parametrize(
    "obj",
    [
        {
            "type": "session_start",
            "session_id": "S1",
            "audio": {"rate": 16000, "width": 2, "channels": 1},
        },
        {"type": "session_start", "session_id": "s1"},
        {
            "type": "session_start",
            "session_id": "s1",
            "audio": {"rate": 16000, "width": 2, "channels": 1},
            "reason": "x",
        },
        {"type": "session_end", "session_id": "s1", "chunks": -1},
        {"type": "session_end", "session_id": "s1", "chunks": 1.5},
        {"type": "session_end", "session_id": "s1"},
        {"type": "voice_started"},
        {"type": "error", "code": "x", "message": "m" * 1001},
        {"type": "nope"},
        {},
    ],
)
def test_bad_events_rejected(obj: dict[str, Any]) -> None:
    with pytest.raises(p.ProtocolError):
        p.parse_event(json.dumps(obj))


@pytest.mark.parametrize(
    "obj",
    [
        {"command": "volume", "volume": 1.5},
        {"command": "volume", "volume": True},
        {"command": "announce", "text": "", "stream_id": "a"},
        {"command": "announce", "text": "hi", "stream_id": "A B"},
        {"command": "set_wake_words", "active": "okay_nabu"},
        {"command": "set_wake_words", "active": [1]},
        {"command": "set_endpointing", "silence_ms": 50},
        {"command": "reboot"},
    ],
)
def test_bad_commands_rejected(obj: dict[str, Any]) -> None:
    with pytest.raises(p.ProtocolError):
        p.parse_command(json.dumps(obj))


def test_state_and_audio_out_frames() -> None:
    state = p.State("idle", "s1", "stt-no-text-recognized", "No text recognized")
    assert p.parse_state(p.encode(state)) == state
    with pytest.raises(p.ProtocolError, match="state"):
        p.parse_state(b'{"state": "dancing"}')
    start = p.AudioOutStart(p.AudioFormat(22050), "announcement", "Dinner is ready")
    assert p.parse_audio_out_start(p.encode(start)) == start
    assert p.parse_audio_out_end(p.encode(p.AudioOutEnd(12))) == p.AudioOutEnd(12)
    with pytest.raises(p.ProtocolError, match="rate"):
        p.parse_audio_out_start(b'{"audio": {"rate": 12345, "width": 2, "channels": 1}}')
    out = p.AudioFormat(22050)
    assert p.validate_audio_chunk(b"\0" * 4410, out)
    with pytest.raises(p.ProtocolError):
        p.validate_audio_chunk(b"\0" * 4412, out)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600) | st.text(max_size=300).map(str.encode))
def test_arbitrary_bytes_never_escape_as_other_errors(payload: bytes) -> None:
    """Any input either parses or raises ProtocolError: nothing else escapes."""
    parsers = (
        p.parse_event,
        p.parse_command,
        p.parse_state,
        p.parse_audio_out_start,
        p.parse_timers,
        p.parse_rang,
    )
    for parse in parsers:
        with contextlib.suppress(p.ProtocolError):
            parse(payload)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["type", "session_id", "audio", "chunks", "reason", "code", "message"]),
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats()
        | st.text(max_size=70)
        | st.sampled_from(["session_start", "session_end", "error", "s1"])
        | st.lists(st.integers(), max_size=3)
        | st.fixed_dictionaries({"rate": st.integers()}),
    )
)
def test_random_event_shapes(obj: dict[str, Any]) -> None:
    with contextlib.suppress(p.ProtocolError):
        p.parse_event(json.dumps(obj))
