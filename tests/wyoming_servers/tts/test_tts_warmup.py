"""Loading a voice synthesizes once per engine, so the first answer does not pay the cold run."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pytest
from piper import SynthesisConfig

from wyoming_servers.models import resolve_piper_voice
from wyoming_servers.tts.engine import SentencePieces
from wyoming_servers.tts.voices import load_voice

if TYPE_CHECKING:
    from wyoming_servers.tts import engine as engine_module

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("stream", [True, False], ids=["streaming", "whole"])
def test_loaded_voice_has_synthesized_once(monkeypatch: pytest.MonkeyPatch, stream: bool) -> None:
    calls: list[tuple[int, str]] = []
    real = SentencePieces.step

    def counting(self: SentencePieces, engine: engine_module.VoiceEngine) -> bytes:
        if self.text == "Ready.":
            calls.append((id(engine), self.text))
        return real(self, engine)

    monkeypatch.setattr(SentencePieces, "step", counting)
    voice = load_voice(resolve_piper_voice("en_US-joe-medium"), stream=stream)
    engines = voice.engines.all()
    assert len(engines) == 2
    assert all(engine.streams is stream for engine in engines)
    # Each of the voice's engines (engine_choice.py) ran at least once, so none pays the cold run.
    assert {id(engine) for engine in engines} == {engine for engine, _ in calls}
    # Warm: the next sentence is not a first run.
    pieces = SentencePieces("Turned on the light.", SynthesisConfig(), voice.engines.gain)
    began = time.perf_counter()
    audio = b""
    while not pieces.done:
        audio += pieces.step(voice.engines.polite)
    print(f"first sentence after load: {(time.perf_counter() - began) * 1000:.0f} ms")
    assert len(audio) > voice.sample_rate  # more than half a second of speech
