"""Which onnxruntime session a sentence runs on (see wyoming_servers/tts/sessions.py)."""

from __future__ import annotations

import pytest

from wyoming_servers.tts.sessions import VoiceSessions


def test_a_sentence_beside_another_gets_one_thread() -> None:
    wide, single = object(), object()
    voice = VoiceSessions(wide, single)  # type: ignore[arg-type]
    assert voice.pick(0) is wide
    assert voice.pick(1) is single
    assert voice.pick(3) is single
    assert voice.all() == (wide, single)
    assert VoiceSessions(wide, wide).all() == (wide,)  # type: ignore[arg-type]


@pytest.mark.slow
def test_the_sessions_are_the_same_voice_with_other_threads() -> None:
    from wyoming_servers.models import resolve_piper_voice
    from wyoming_servers.tts.voices import load_voice

    sessions = load_voice(resolve_piper_voice("en_US-joe-medium")).sessions
    options = [s.session.get_session_options() for s in sessions.all()]
    assert [o.intra_op_num_threads for o in options] == [0, 1]
    for o in options:
        assert o.get_session_config_entry("session.intra_op.allow_spinning") == "0"
    lengths = [
        len(b"".join(c.audio_int16_bytes for c in s.synthesize("Turned on the light.")))
        for s in sessions.all()
    ]
    assert abs(lengths[0] - lengths[1]) <= 0.15 * max(lengths), lengths  # noise_w varies


@pytest.mark.slow
def test_one_worker_loads_the_voice_once() -> None:
    from wyoming_servers.models import resolve_piper_voice
    from wyoming_servers.tts.voices import load_voice

    sessions = load_voice(resolve_piper_voice("en_US-joe-medium"), concurrent=False).sessions
    assert len(sessions.all()) == 1
    assert sessions.pick(0) is sessions.pick(1)
