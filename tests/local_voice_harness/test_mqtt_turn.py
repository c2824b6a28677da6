"""A command's turn is its session: found in the satellite's MQTT traffic by session id."""

from __future__ import annotations

import json

from local_voice_harness.mqtt_turn import Heard, wake_session


def _msg(t: float, topic: str, payload: object) -> Heard:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return Heard(t, 1000.0 + t, f"local_voice/sat/{topic}", body)


def _start(t: float, sid: str, reason: str = "wake_word", **extra: object) -> Heard:
    return _msg(t, "event", {"type": "session_start", "session_id": sid, "reason": reason, **extra})


def _end(t: float, sid: str, reason: str = "vad") -> Heard:
    return _msg(
        t, "event", {"type": "session_end", "session_id": sid, "chunks": 9, "reason": reason}
    )


def test_the_turn_is_the_wake_word_session_and_ends_with_its_answer() -> None:
    messages = [
        _start(1.0, "s1", signal={"level_db": -20.0}),
        _msg(1.1, "state", {"state": "listening", "session_id": "s1"}),
        _end(2.0, "s1"),
        _msg(2.2, "state", {"state": "processing", "session_id": "s1", "text": "Lights on."}),
        _msg(2.5, "audio/out/s1/start", {"audio": {"rate": 16000, "width": 2, "channels": 1}}),
        _msg(2.6, "audio/out/s1", b"\x01\x00" * 160),
        _msg(2.7, "audio/out/s1", b"\x02\x00" * 160),
    ]
    turn = wake_session(messages)
    assert turn is not None
    assert not turn.over()
    turn = wake_session([*messages, _msg(2.8, "audio/out/s1/end", {"chunks": 2})])
    assert turn is not None
    assert turn.over()
    assert turn.answered
    assert turn.transcript == "Lights on."
    assert turn.signal == {"level_db": -20.0}
    assert len(turn.pcm) == 640
    assert turn.first_audio is not None
    assert turn.ended is not None
    assert abs(turn.first_audio.mono - turn.ended.mono - 0.6) < 1e-9


def test_other_sessions_never_shift_the_turn() -> None:
    """A follow-up session, and an earlier session's late answer and error, are not this turn."""
    messages = [
        _msg(0.5, "audio/out/old/end", {"chunks": 3}),
        _msg(0.6, "state", {"state": "idle", "session_id": "old", "error_code": "x"}),
        _start(1.0, "c1", "conversation"),
        _end(1.8, "c1", "cancel"),
        _start(1.8, "s2"),
        _msg(1.9, "audio/out/c1/start", {"audio": {"rate": 16000, "width": 2, "channels": 1}}),
        _msg(2.0, "state", {"state": "idle", "session_id": "c1", "error_code": "cancelled"}),
    ]
    turn = wake_session(messages)
    assert turn is not None
    assert turn.session_id == "s2"
    assert not turn.over()
    assert turn.error == ""
    messages += [_end(4.0, "s2"), _msg(4.4, "audio/out/s2", b"\x01\x00" * 160)]
    messages.append(_msg(4.5, "audio/out/s2/end", {"chunks": 1}))
    turn = wake_session(messages)
    assert turn is not None
    assert turn.over()
    assert turn.ended is not None
    assert turn.ended.wall == 1004.0


def test_an_error_a_dismissal_or_no_session_at_all() -> None:
    failed = wake_session(
        [
            _start(1.0, "s1"),
            _end(2.0, "s1"),
            _msg(2.2, "state", {"state": "idle", "session_id": "s1", "error_code": "stt-x"}),
        ]
    )
    assert failed is not None
    assert failed.over()
    assert failed.error.startswith("stt-x")
    dismissed = wake_session(
        [_start(1.0, "s1"), _msg(1.1, "command", {"command": "dismiss", "session_id": "s1"})]
    )
    assert dismissed is not None
    assert dismissed.over()
    assert dismissed.dismissed is not None
    assert not dismissed.answered
    assert wake_session([_start(1.0, "c1", "conversation"), _end(3.0, "c1", "cancel")]) is None
    # Cancelled (HA stopped it) and idle: over, with nothing answered.
    cancelled = wake_session(
        [
            _start(1.0, "s1"),
            _end(1.5, "s1", "cancel"),
            _msg(1.6, "state", {"state": "idle", "session_id": "s1"}),
        ]
    )
    assert cancelled is not None
    assert cancelled.over()
    assert not cancelled.answered


def test_with_end_of_speech_the_utterance_ends_when_ha_says_so() -> None:
    """HA's `end_of_speech` ends the utterance; the satellite's session_end comes later."""
    messages = [
        _start(1.0, "s1"),
        _msg(2.0, "command", {"command": "end_of_speech", "session_id": "other"}),
        _msg(2.1, "command", {"command": "end_of_speech", "session_id": "s1"}),
        _end(2.15, "s1", "end_of_speech"),
    ]
    turn = wake_session(messages)
    assert turn is not None
    assert turn.end_reason == "end_of_speech"
    assert turn.utterance_end is not None
    assert turn.utterance_end.mono == 2.1
    plain = wake_session([_start(1.0, "s1"), _end(2.3, "s1")])
    assert plain is not None
    assert plain.utterance_end is plain.ended
