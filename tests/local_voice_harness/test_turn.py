"""Offline pieces of a turn: last speech sound in a WAV, the satellite's MQTT traffic."""

from __future__ import annotations

import array
import json
import math
from typing import TYPE_CHECKING

from local_voice_harness.mqtt_satellite import _from_messages, _turn_over
from local_voice_harness.turn import pcm_chunks, read_pcm, trailing_silence_s

if TYPE_CHECKING:
    from local_voice_harness.commands import SpokenCommand

RATE = 16000


def _tone(seconds: float, amplitude: int = 8000) -> bytes:
    n = int(seconds * RATE)
    return array.array(
        "h", (int(amplitude * math.sin(2 * math.pi * 440 * i / RATE)) for i in range(n))
    ).tobytes()


def _silence(seconds: float) -> bytes:
    return bytes(int(seconds * RATE) * 2)


def test_trailing_silence_after_a_tone() -> None:
    pcm = _silence(0.2) + _tone(0.5) + _silence(0.7)
    assert abs(trailing_silence_s(pcm) - 0.7) <= 0.011
    assert trailing_silence_s(_tone(0.3)) == 0.0
    assert trailing_silence_s(b"") == 0.0


def test_quiet_noise_does_not_count_as_speech() -> None:
    pcm = _tone(0.5) + _tone(0.4, amplitude=50)  # -44 dB below the peak
    assert abs(trailing_silence_s(pcm) - 0.4) <= 0.011


def test_dev_commands_end_with_silence(dev_commands: list[SpokenCommand]) -> None:
    for command in dev_commands:
        pcm = read_pcm(command.audio)
        tail = trailing_silence_s(pcm)
        assert 0.0 <= tail < len(pcm) / (2 * RATE) / 2, command.audio.name


def test_chunks_are_20_ms() -> None:
    chunks = pcm_chunks(_silence(0.05))
    assert [len(c) for c in chunks] == [640, 640, 320]


def _msg(t: float, topic: str, payload: object) -> tuple[float, float, str, bytes]:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return (t, 1000.0 + t, f"local_voice/sat/{topic}", body)


def test_turn_from_mqtt_traffic() -> None:
    messages = [
        _msg(1.0, "event", {"type": "session_start", "session_id": "s1"}),
        _msg(2.0, "event", {"type": "session_end", "session_id": "s1", "chunks": 90}),
        _msg(2.5, "audio/out/s1/start", {"audio": {"rate": 16000, "width": 2, "channels": 1}}),
        _msg(2.6, "audio/out/s1", b"\x01\x00" * 160),
        _msg(2.7, "audio/out/s1", b"\x02\x00" * 160),
    ]
    assert not _turn_over(messages)
    messages.append(_msg(2.8, "audio/out/s1/end", {"chunks": 2}))
    assert _turn_over(messages)
    result = _from_messages(messages)
    assert result.error == ""
    assert result.answer_rate == 16000
    assert len(result.answer_audio) == 640
    assert result.first_audio_ms is not None
    assert abs(result.first_audio_ms - 600.0) < 1e-6
    assert result.events[0]["wall"] == 1002.0


def test_error_state_ends_the_turn_and_no_session_is_an_error() -> None:
    messages = [
        _msg(1.0, "event", {"type": "session_end", "session_id": "s1", "chunks": 3}),
        _msg(1.2, "state", {"state": "idle", "error_code": "stt-no-text-recognized"}),
    ]
    assert _turn_over(messages)
    assert "never ended a session" in _from_messages([]).error
    assert not _turn_over([_msg(1.0, "state", {"state": "idle", "error_code": "x"})])


def test_a_cancelled_answer_session_is_not_the_end_of_speech() -> None:
    """After "Are you sure ...?" HA opens an answer session; the wake word cancels it."""
    messages = [
        _msg(1.0, "event", {"type": "session_start", "session_id": "c1", "reason": "conversation"}),
        _msg(
            1.8,
            "event",
            {"type": "session_end", "session_id": "c1", "chunks": 27, "reason": "cancel"},
        ),
        _msg(1.8, "event", {"type": "session_start", "session_id": "s2", "reason": "wake_word"}),
        _msg(1.9, "audio/out/c1/start", {"audio": {"rate": 16000, "width": 2, "channels": 1}}),
        _msg(2.0, "state", {"state": "idle", "session_id": "c1", "error_code": "cancelled"}),
    ]
    assert not _turn_over(messages)
    messages += [
        _msg(
            4.0, "event", {"type": "session_end", "session_id": "s2", "chunks": 90, "reason": "vad"}
        ),
        _msg(4.4, "audio/out/s2", b"\x01\x00" * 160),
        _msg(4.5, "audio/out/s2/end", {"chunks": 1}),
    ]
    assert _turn_over(messages)
    result = _from_messages(messages)
    assert result.events[0]["wall"] == 1004.0
    assert result.first_audio_ms is not None
    assert abs(result.first_audio_ms - 400.0) < 1e-6
