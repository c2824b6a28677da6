"""Which onnxruntime session a sentence runs on (see wyoming_servers/tts/sessions.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from wyoming_servers.tts import sessions as sessions_module
from wyoming_servers.tts.sessions import VoiceSessions, other_threads_runnable

if TYPE_CHECKING:
    from pathlib import Path


def test_the_running_count_is_read_from_proc_loadavg(tmp_path: Path) -> None:
    loadavg = tmp_path / "loadavg"
    loadavg.write_text("0.50 0.40 0.30 1/250 12345\n")
    assert other_threads_runnable(loadavg) is False
    loadavg.write_text("3.10 2.00 1.00 4/250 12345\n")
    assert other_threads_runnable(loadavg) is True
    loadavg.write_text("garbage\n")
    assert other_threads_runnable(loadavg) is True  # unknown: do not spin
    assert other_threads_runnable(tmp_path / "missing") is True
    assert isinstance(other_threads_runnable(), bool)  # the real file parses


def test_a_sentence_beside_another_gets_one_thread_and_spins_only_on_an_idle_cpu(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spinning, polite, single = object(), object(), object()
    voice = VoiceSessions(spinning, polite, single)  # type: ignore[arg-type]
    monkeypatch.setattr(sessions_module, "other_threads_runnable", lambda: False)
    assert voice.pick(0) is spinning
    assert voice.pick(1) is single
    monkeypatch.setattr(sessions_module, "other_threads_runnable", lambda: True)
    assert voice.pick(0) is polite
    assert voice.pick(2) is single
    assert len(voice.all()) == 3
    assert len(VoiceSessions(polite, polite, polite).all()) == 1  # type: ignore[arg-type]


def test_the_three_sessions_speak_alike(tts_voice_sessions: VoiceSessions) -> None:
    """Same model, same text: the thread settings must not change the audio's length."""
    lengths = {
        len(b"".join(c.audio_int16_bytes for c in v.synthesize("Turned on the light.")))
        for v in tts_voice_sessions.all()
    }
    low, high = min(lengths), max(lengths)
    assert high - low <= 0.15 * high, lengths  # noise_w varies durations a little


@pytest.fixture(scope="module")
def tts_voice_sessions() -> VoiceSessions:
    from wyoming_servers.models import resolve_piper_voice
    from wyoming_servers.tts.voices import load_voice

    return load_voice(resolve_piper_voice("en_US-joe-medium")).sessions
