"""Spoken-command sets (``commands.jsonl``) and transcribed speech (``transcripts.tsv``).

The format is defined in ``local_voice_harness/data/demo_home/README.md``;
loading validates it so that a malformed line fails loudly with its line
number instead of silently scoring as a failed command. Text-only sets (the
same lines without ``audio``, with a ``kind``) are what spoken sets are made
from (``command_set.py``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

_EXPECT_KEYS = frozenset({"state", "attributes", "unchanged", "response_contains", "timer"})
_MAX_TIMER_WAIT_S = 600
_RANGE_KEYS = frozenset({"min", "max"})
# What a request in a text-only set tests (local_voice_harness/data/README.md).
TEXT_KINDS = frozenset(
    {"indirect", "relative", "question", "risky", "unexposed", "impossible", "compound"}
)


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


@dataclass(frozen=True, slots=True)
class CommandText:
    """A command before it is spoken: the words, what it tests, what the house must do."""

    text: str
    kind: str
    expect: dict[str, Any]


def _is_range(value: Any) -> bool:
    bounds = value.values()
    return (
        bool(value)
        and set(value) <= _RANGE_KEYS
        and all(isinstance(b, (int, float)) and not isinstance(b, bool) for b in bounds)
    )


def _expect_problem(expect: Any) -> str | None:
    """Why an ``expect`` block is malformed, or None."""
    if not isinstance(expect, dict) or not set(expect) <= _EXPECT_KEYS:
        return f"'expect' keys must be in {sorted(_EXPECT_KEYS)}"
    if "timer" in expect and (problem := _timer_problem(expect["timer"])):
        return problem
    allowed = list((expect.get("state") or {}).values())
    for attributes in (expect.get("attributes") or {}).values():
        allowed += attributes.values() if isinstance(attributes, dict) else []
    for value in allowed:
        for one in value if isinstance(value, list) else [value]:
            if isinstance(one, dict) and not _is_range(one):
                return f"a range must be {{'min': number, 'max': number}}, not {one!r}"
    return None


def _timer_problem(timer: Any) -> str | None:
    """A timer expectation is ``{"finishes_within_s": S}`` with 0 < S <= 600."""
    within = timer.get("finishes_within_s") if isinstance(timer, dict) else None
    if (
        not isinstance(timer, dict)
        or set(timer) != {"finishes_within_s"}
        or isinstance(within, bool)
        or not isinstance(within, int | float)
        or not 0 < within <= _MAX_TIMER_WAIT_S
    ):
        return f"'timer' must be {{'finishes_within_s': seconds in (0, {_MAX_TIMER_WAIT_S}]}}"
    return None


def _lines(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """The JSON objects of a ``.jsonl`` file with their line numbers; ``expect`` validated."""
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as err:
            raise CommandSetError(f"{path}:{lineno}: not JSON: {err}") from err
        if not isinstance(raw, dict):
            raise CommandSetError(f"{path}:{lineno}: not a JSON object")
        if problem := _expect_problem(raw.get("expect", {})):
            raise CommandSetError(f"{path}:{lineno}: {problem}")
        yield lineno, raw


def load_commands(directory: Path) -> list[SpokenCommand]:
    """Load ``directory/commands.jsonl``; audio paths are resolved against it."""
    path = directory / "commands.jsonl"
    commands: list[SpokenCommand] = []
    for lineno, raw in _lines(path):
        if not isinstance(raw.get("audio"), str):
            raise CommandSetError(f"{path}:{lineno}: needs an 'audio' string")
        expect = raw.get("expect", {})
        audio = directory / raw["audio"]
        if not audio.is_file():
            raise CommandSetError(f"{path}:{lineno}: audio file {audio} is missing")
        commands.append(SpokenCommand(audio=audio, text=str(raw.get("text", "")), expect=expect))
    return commands


def load_texts(path: Path) -> list[CommandText]:
    """Load a text-only set: lines with ``text``, ``kind`` and ``expect``, no audio yet."""
    texts: list[CommandText] = []
    for lineno, raw in _lines(path):
        text, kind, expect = raw.get("text"), raw.get("kind"), raw.get("expect")
        if not isinstance(text, str) or not text.strip() or not expect:
            raise CommandSetError(f"{path}:{lineno}: needs a 'text' and an 'expect'")
        if kind not in TEXT_KINDS:
            raise CommandSetError(f"{path}:{lineno}: 'kind' must be in {sorted(TEXT_KINDS)}")
        texts.append(CommandText(text=text, kind=kind, expect=expect))
    return texts


def load_transcripts(directory: Path) -> list[Transcribed]:
    """Load ``directory/transcripts.tsv`` (file<TAB>reference)."""
    items = []
    for line in (directory / "transcripts.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip():
            name, text = line.split("\t", 1)
            items.append(Transcribed(audio=directory / name, text=text.strip()))
    return items
