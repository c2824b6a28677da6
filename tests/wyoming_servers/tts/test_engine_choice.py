"""Which engine (onnxruntime settings) a step of a sentence runs on (wyoming_servers/tts/engine_choice.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pytest

from wyoming_servers.tts import engine_choice
from wyoming_servers.tts.engine_choice import VoiceEngines, other_threads_runnable

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
    voice = VoiceEngines(spinning, polite, single)  # type: ignore[arg-type]
    monkeypatch.setattr(engine_choice, "other_threads_runnable", lambda: False)
    assert voice.pick(0) is spinning
    assert voice.pick(1) is single
    monkeypatch.setattr(engine_choice, "other_threads_runnable", lambda: True)
    assert voice.pick(0) is polite
    assert voice.pick(2) is single
    # A sentence that waited behind another: the load is our own burst.
    assert voice.pick(0, queued=True) is spinning
    assert voice.pick(1, queued=True) is single
    assert voice.all() == (spinning, polite, single)
    assert VoiceEngines(polite, polite, polite).all() == (polite,)  # type: ignore[arg-type]


@pytest.mark.slow
def test_the_engines_are_the_same_voice_with_other_settings() -> None:
    from piper import SynthesisConfig

    from wyoming_servers.models import resolve_piper_voice
    from wyoming_servers.tts.engine import SentencePieces
    from wyoming_servers.tts.voices import load_voice

    voice = load_voice(resolve_piper_voice("en_US-joe-medium"), concurrent=True)
    engines = voice.engines.all()
    assert len(engines) == 3
    for engine in engines:  # head and vocoder of one engine share its settings
        assert len(engine.inference_sessions) == 2
        head, vocoder = (s.get_session_options() for s in engine.inference_sessions)
        assert head.intra_op_num_threads == vocoder.intra_op_num_threads
    options = [engine.inference_sessions[0].get_session_options() for engine in engines]
    assert [o.intra_op_num_threads for o in options] == [0, 0, 1]
    spins = [o.get_session_config_entry("session.intra_op.allow_spinning") for o in options[1:]]
    assert spins == ["0", "0"]
    # Noise off: every engine makes the same audio, up to float rounding between thread counts.
    config = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)
    audios = []
    for engine in engines:
        pieces = SentencePieces("Turned on the light.", config, voice.engines.gain)
        pcm = b""
        while not pieces.done:
            pcm += pieces.step(engine)
        audios.append(np.frombuffer(pcm, np.int16).astype(np.int32))
    assert len({len(a) for a in audios}) == 1
    assert max(int(np.abs(a - audios[0]).max()) for a in audios) < 64


@pytest.mark.slow
def test_one_worker_loads_no_one_thread_copy() -> None:
    from wyoming_servers.models import resolve_piper_voice
    from wyoming_servers.tts.voices import load_voice

    engines = load_voice(resolve_piper_voice("en_US-joe-medium")).engines
    assert len(engines.all()) == 2
    assert engines.single is engines.polite
