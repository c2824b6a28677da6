"""Spoken-command sets (``commands.jsonl``) and transcribed speech (``transcripts.tsv``).

The format is defined in ``local_voice_harness/data/demo_home/README.md``; loading validates it
so that a malformed line fails loudly with its line number instead of
silently scoring as a failed command.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

_EXPECT_KEYS = frozenset({"state", "attributes", "unchanged", "response_contains"})


class CommandSetError(ValueError):
    """A command set file is malformed."""


@dataclass(frozen=True, slots=True)
class SpokenCommand:
    """One recorded command and what the house must do about it."""

    audio: Path
    text: str
    expect: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Transcribed:
    """A recording and its reference transcript."""

    audio: Path
    text: str


def load_commands(directory: Path) -> list[SpokenCommand]:
    """Load ``directory/commands.jsonl``; audio paths are resolved against it."""
    path = directory / "commands.jsonl"
    commands: list[SpokenCommand] = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as err:
            raise CommandSetError(f"{path}:{lineno}: not JSON: {err}") from err
        if not isinstance(raw, dict) or not isinstance(raw.get("audio"), str):
            raise CommandSetError(f"{path}:{lineno}: needs an 'audio' string")
        expect = raw.get("expect", {})
        if not isinstance(expect, dict) or not set(expect) <= _EXPECT_KEYS:
            raise CommandSetError(
                f"{path}:{lineno}: 'expect' keys must be in {sorted(_EXPECT_KEYS)}"
            )
        audio = directory / raw["audio"]
        if not audio.is_file():
            raise CommandSetError(f"{path}:{lineno}: audio file {audio} is missing")
        commands.append(SpokenCommand(audio=audio, text=str(raw.get("text", "")), expect=expect))
    return commands


def load_transcripts(directory: Path) -> list[Transcribed]:
    """Load ``directory/transcripts.tsv`` (file<TAB>reference)."""
    items = []
    for line in (directory / "transcripts.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip():
            name, text = line.split("\t", 1)
            items.append(Transcribed(audio=directory / name, text=text.strip()))
    return items
