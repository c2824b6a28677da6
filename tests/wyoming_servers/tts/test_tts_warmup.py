"""Loading a voice synthesizes once, so the first answer does not pay the cold run."""

from __future__ import annotations

import time
from typing import Any

import pytest
from piper import PiperVoice

from wyoming_servers.models import resolve_piper_voice
from wyoming_servers.tts.voices import load_voice

pytestmark = pytest.mark.slow


def test_loaded_voice_has_synthesized_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[int, str]] = []
    real = PiperVoice.synthesize

    def counting(self: PiperVoice, text: str, *args: Any, **kwargs: Any) -> Any:
        calls.append((id(self), text))
        return real(self, text, *args, **kwargs)

    monkeypatch.setattr(PiperVoice, "synthesize", counting)
    voice = load_voice(resolve_piper_voice("en_US-joe-medium"))
    # Each of the voice's sessions (sessions.py) ran once, so none pays the cold run.
    assert sorted(calls) == sorted((id(s), "Ready.") for s in voice.sessions.all())
    assert len(calls) == 2
    # Warm: the next sentence is not a first run.
    began = time.perf_counter()
    audio = b"".join(
        c.audio_int16_bytes for c in voice.sessions.polite.synthesize("Turned on the light.")
    )
    print(f"first sentence after load: {(time.perf_counter() - began) * 1000:.0f} ms")
    assert len(audio) > voice.sample_rate  # more than half a second of speech
