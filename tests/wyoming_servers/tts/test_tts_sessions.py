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
    loadavg.write_text("0.50 0.40 0.30 2/250 12345\n")  # ourselves and our event loop
    assert other_threads_runnable(loadavg) is False
    loadavg.write_text("3.10 2.00 1.00 3/250 12345\n")
    assert other_threads_runnable(loadavg) is True
    loadavg.write_text("garbage\n")
    assert other_threads_runnable(loadavg) is True  # unknown: do not spin
    assert other_threads_runnable(tmp_path / "missing") is True
    assert isinstance(other_threads_runnable(), bool)  # the real file parses


def test_spinning_only_on_an_idle_machine_and_one_thread_beside_another(
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
    # A sentence that waited behind another: the load is our own burst.
    assert voice.pick(0, queued=True) is spinning
    assert voice.pick(1, queued=True) is single
    assert voice.all() == (spinning, polite, single)
    assert VoiceSessions(polite, polite, polite).all() == (polite,)  # type: ignore[arg-type]


@pytest.mark.slow
def test_the_sessions_are_the_same_voice_with_other_settings() -> None:
    from wyoming_servers.models import resolve_piper_voice
    from wyoming_servers.tts.voices import load_voice

    voice = load_voice(resolve_piper_voice("en_US-joe-medium"), concurrent=True)
    sessions = voice.sessions.all()
    assert len(sessions) == 3
    options = [s.session.get_session_options() for s in sessions]
    assert [o.intra_op_num_threads for o in options] == [0, 0, 1]
    spins = [o.get_session_config_entry("session.intra_op.allow_spinning") for o in options[1:]]
    assert spins == ["0", "0"]
    lengths = [
        len(b"".join(c.audio_int16_bytes for c in s.synthesize("Turned on the light.")))
        for s in sessions
    ]
    assert max(lengths) - min(lengths) <= 0.15 * max(lengths), lengths  # noise_w varies


@pytest.mark.slow
def test_one_worker_loads_no_one_thread_copy() -> None:
    from wyoming_servers.models import resolve_piper_voice
    from wyoming_servers.tts.voices import load_voice

    sessions = load_voice(resolve_piper_voice("en_US-joe-medium")).sessions
    assert len(sessions.all()) == 2
    assert sessions.single is sessions.polite


async def test_sentences_of_a_burst_are_marked_as_queued(monkeypatch: pytest.MonkeyPatch) -> None:
    """The first of four requests at once starts alone; the three behind it queued."""
    import asyncio
    import threading

    from wyoming_servers.tts import synthesizer as synthesizer_module
    from wyoming_servers.tts.cache import AudioCache

    seen: list[tuple[str, bool]] = []
    release = threading.Event()

    def fake_piper(_request: object, sentence: str, _running: int, *, queued: bool) -> bytes:
        seen.append((sentence, queued))
        release.wait(5)  # the first one holds the worker until all four are queued
        return b"\0\0"

    monkeypatch.setattr(synthesizer_module, "_run_piper", fake_piper)
    synthesizer = synthesizer_module.Synthesizer(AudioCache(0), workers=1)
    request = synthesizer_module.VoiceRequest(None, None, None)  # type: ignore[arg-type]
    monkeypatch.setattr(synthesizer_module.VoiceRequest, "key", lambda _self, sentence: sentence)
    try:
        first = asyncio.create_task(
            synthesizer.sentence(request, "one", ticket=synthesizer.ticket(), first=True)
        )
        await asyncio.sleep(0.05)
        rest = [
            asyncio.create_task(
                synthesizer.sentence(request, text, ticket=synthesizer.ticket(), first=True)
            )
            for text in ("two", "three", "four")
        ]
        await asyncio.sleep(0.05)
        release.set()
        await asyncio.gather(first, *rest)
    finally:
        await synthesizer.close()
    assert seen == [("one", False), ("two", True), ("three", True), ("four", True)]
