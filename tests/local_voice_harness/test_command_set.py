"""The generated command set is valid, reproducible and really spoken."""

from __future__ import annotations

import hashlib
import json
import wave
from typing import TYPE_CHECKING

import pytest

from local_voice_harness import command_set
from local_voice_harness.commands import load_commands

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture
def few_phrases(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(command_set, "PHRASES", command_set.PHRASES[:2])


def _digests(directory: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.iterdir())}


def test_build_is_valid_and_reproducible(tmp_path: Path, few_phrases: None) -> None:
    assert command_set.build(tmp_path / "a", seed=3) == 6
    commands = load_commands(tmp_path / "a")
    assert len(commands) == 6
    assert {c.text for c in commands} == {p[0] for p in command_set.PHRASES[:2]}
    for cmd in commands:
        with wave.open(str(cmd.audio)) as wav:
            assert (wav.getframerate(), wav.getsampwidth(), wav.getnchannels()) == (16000, 2, 1)
            seconds = wav.getnframes() / 16000
        assert 1.5 < seconds < 6.0, (cmd.audio.name, seconds)  # padding + a short sentence
    command_set.build(tmp_path / "b", seed=3)
    first, second = _digests(tmp_path / "a"), _digests(tmp_path / "b")
    espeak = [name for name in first if "_espeak_" in name]
    assert espeak
    assert all(first[name] == second[name] for name in espeak)  # piper samples its own noise
    assert first["commands.jsonl"] == second["commands.jsonl"]


def test_every_phrase_expectation_differs_from_initial_state() -> None:
    """A target equal to the initial state would pass without the assistant doing anything."""
    import yaml

    from local_voice_harness.paths import demo_home_file

    initial = {
        e["entity_id"]: e["state"] for e in yaml.safe_load(demo_home_file().read_text())["entities"]
    }
    for text, expect in command_set.PHRASES:
        for entity_id, state in expect.get("state", {}).items():
            if entity_id != "light.basement":  # unexposed: must stay as it is
                assert initial[entity_id] != state, text


@pytest.mark.parametrize(("variant", "seed"), [("heldout", 2026), ("fresh", 2027)])
def test_held_out_variants_use_other_renditions(
    tmp_path: Path, few_phrases: None, variant: str, seed: int
) -> None:
    """The held-out sets share the phrases but no voice/speed/noise rendition."""
    renditions = command_set.VARIANTS[variant]
    others = [r for name, rs in command_set.VARIANTS.items() if name != variant for r in rs]
    assert not set(renditions) & set(others)
    command_set.build(tmp_path / "h", seed=seed, variant=variant)
    lines = (tmp_path / "h" / "commands.jsonl").read_text().splitlines()
    voices = {json.loads(line)["voice"] for line in lines}
    assert len(lines) == 6
    allowed = {f"{r.engine}:{r.voice}@{r.speed}" for r in renditions}
    assert voices <= allowed
