"""The generated command set is valid, reproducible and really spoken."""

from __future__ import annotations

import hashlib
import json
import wave
from typing import TYPE_CHECKING

import pytest

from local_voice_harness import command_set, paths
from local_voice_harness.commands import load_commands, load_texts

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
    renditions = command_set.VARIANTS[variant].renditions
    others = [
        r
        for name in ("main", "heldout", "fresh")
        if name != variant
        for r in command_set.VARIANTS[name].renditions
    ]
    assert not set(renditions) & set(others)
    command_set.build(tmp_path / "h", seed=seed, variant=variant)
    lines = (tmp_path / "h" / "commands.jsonl").read_text().splitlines()
    voices = {json.loads(line)["voice"] for line in lines}
    assert len(lines) == 6
    allowed = {f"{r.engine}:{r.voice}@{r.speed}" for r in renditions}
    assert voices <= allowed


@pytest.mark.parametrize(("variant", "texts"), [("llm", "tuning"), ("llm-heldout", "heldout")])
def test_llm_variants_speak_the_bundled_texts(variant: str, texts: str) -> None:
    bundled = load_texts(paths.llm_commands_file(texts))
    assert command_set.phrases(variant) == [(c.text, c.expect, {"kind": c.kind}) for c in bundled]
    assert command_set.VARIANTS[variant].renditions == command_set.RENDITIONS


def test_llm_build_keeps_kind_and_ranges(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A text-only set becomes a loadable spoken set; its lines carry over unchanged."""
    texts = tmp_path / "tiny.jsonl"
    lines = [
        {"text": "the office feels like an oven", "kind": "indirect",
         "expect": {"state": {"fan.office_fan": "on"}}},
        {"text": "dim the lamp a touch", "kind": "relative",
         "expect": {"attributes": {"light.living_room_lamp": {"brightness": {"min": 1, "max": 254}}}}},
    ]  # fmt: skip
    texts.write_text("".join(json.dumps(line) + "\n" for line in lines))
    monkeypatch.setattr(paths, "llm_commands_file", lambda _name: texts)
    monkeypatch.setattr(command_set, "RENDITIONS", command_set.RENDITIONS[:4])  # espeak only
    monkeypatch.setitem(command_set.VARIANTS, "llm", command_set.Variant(
        command_set.RENDITIONS, texts="tuning", prefix="llm"))  # fmt: skip
    assert command_set.build(tmp_path / "out", seed=5, variant="llm") == 6
    spoken = [json.loads(line) for line in (tmp_path / "out" / "commands.jsonl").open()]
    for line in spoken:
        original = lines[0] if line["text"] == lines[0]["text"] else lines[1]
        assert (line["kind"], line["expect"]) == (original["kind"], original["expect"])
        assert line["audio"].startswith(("llm00_espeak_", "llm01_espeak_"))
    assert len(load_commands(tmp_path / "out")) == 6
