"""Wake words with the microWakeWord models bundled in pymicro-wakeword.

The positive sample is "okay nabu" spoken by espeak-ng (en-us, 160 wpm),
which the okay_nabu model detects; a dev command alone must not trigger it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from local_voice_satellite.audio_in import read_wav
from local_voice_satellite.wakeword import (
    WakeWordDetector,
    WakeWordError,
    available_wake_words,
)
from satellite_helpers import silence, synthesize_wake_word

if TYPE_CHECKING:
    from pathlib import Path

    from local_voice_harness.commands import SpokenCommand


def detections(detector: WakeWordDetector, pcm: bytes) -> list[tuple[str, float]]:
    found = []
    for index, offset in enumerate(range(0, len(pcm) - 319, 320)):
        wake = detector.process(pcm[offset : offset + 320])
        if wake:
            found.append((wake, index / 100))
    return found


def test_bundled_models_are_found_inside_the_package() -> None:
    words = available_wake_words()
    assert {"okay_nabu", "hey_jarvis", "hey_mycroft", "alexa"} <= set(words)
    assert words["okay_nabu"].name == "Okay Nabu"


def test_espeak_okay_nabu_is_detected_once(wake_word_pcm: bytes) -> None:
    detector = WakeWordDetector(["okay_nabu"])
    pcm = silence(0.5) + wake_word_pcm + silence(1.0)
    found = detections(detector, pcm)
    assert len(found) == 1, found
    wake, at = found[0]
    assert wake == "okay_nabu"
    assert 0.5 < at < 0.5 + len(wake_word_pcm) / 32000 + 0.6


def test_other_voices_and_speeds_are_detected_too() -> None:
    """Not one lucky recording: several espeak variants trigger the model."""
    hits = 0
    variants = [("en-us", 130), ("en", 160), ("en-gb", 160), ("en-us+m3", 160)]
    for voice, speed in variants:
        detector = WakeWordDetector(["okay_nabu"])
        pcm = silence(0.5) + synthesize_wake_word(voice, speed) + silence(1.0)
        hits += bool(detections(detector, pcm))
    assert hits == len(variants)


def test_commands_alone_do_not_trigger(dev_commands: list[SpokenCommand]) -> None:
    detector = WakeWordDetector(["okay_nabu", "hey_jarvis", "alexa"])
    for command in dev_commands[:6]:
        assert detections(detector, read_wav(command.audio) + silence(0.3)) == [], (
            command.audio.name
        )


def test_inactive_wake_word_does_not_fire(wake_word_pcm: bytes) -> None:
    detector = WakeWordDetector(["hey_jarvis"])
    assert detections(detector, silence(0.5) + wake_word_pcm + silence(1.0)) == []
    detector.set_active(["okay_nabu", "hey_jarvis"])
    assert [w for w, _ in detections(detector, silence(0.5) + wake_word_pcm + silence(1.0))] == [
        "okay_nabu"
    ]
    detector.set_active([])
    assert detector.active == ()
    assert detections(detector, wake_word_pcm) == []


def test_unknown_wake_word_is_rejected() -> None:
    detector = WakeWordDetector(["okay_nabu"])
    with pytest.raises(WakeWordError, match="unknown wake word"):
        detector.set_active(["okay_nabu", "hey_siri"])
    assert detector.active == ("okay_nabu",)


def test_extra_model_folder(tmp_path: Path) -> None:
    """A folder of extra manifests adds wake words; broken manifests are skipped."""
    from local_voice_satellite.wakeword import BUILTIN_MODELS_DIR

    (tmp_path / "my_word.json").write_text(
        (BUILTIN_MODELS_DIR / "alexa.json")
        .read_text()
        .replace('"alexa.tflite"', '"my_word.tflite"')
    )
    (tmp_path / "my_word.tflite").write_bytes((BUILTIN_MODELS_DIR / "alexa.tflite").read_bytes())
    (tmp_path / "broken.json").write_text("{not json")
    words = available_wake_words(tmp_path)
    assert "my_word" in words
    assert "broken" not in words
