"""Vocabulary biasing: the home's device and area names steer recognition.

tiny.en hears "best lamp" for "desk lamp" and "office and" for "office fan";
given the names it hears them right. The names go into the decoder's
initial prompt, as written, comma separated ("Kitchen Light, Desk Lamp.").
Measured with the 15 s encoder window (``window.py``), beam 5, tiny.en:
word errors on the dev commands / our 84-command set were 1/65 and 28/495
with the names as prompt, 2/65 and 35/495 with lower-case names as
faster-whisper hotwords, and with hotwords the short window sometimes looped
("turn on the kitchen light turn on the kitchen light"). Names come from
``transcribe.context["vocabulary"]``, wyoming's ``transcript_names`` /
``transcript_terms``, and ``--vocabulary FILE`` (one name per line). They
are validated (strings, bounded length and count) and deduplicated.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from wyoming_servers.core.errors import BadEventDataError
from wyoming_servers.core.line_lists import read_line_list

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

MAX_NAME_CHARS: Final = 64
MAX_NAMES: Final = 200
# Whisper's prompt holds at most 223 tokens; ~700 characters stay well inside.
MAX_PROMPT_CHARS: Final = 700


def validate_names(value: object, field: str) -> list[str]:
    """A list of short strings, or an error naming the field."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadEventDataError(f"{field} must be a list of strings")
    if len(value) > MAX_NAMES:
        raise BadEventDataError(f"{field} has more than {MAX_NAMES} names")
    names = []
    for item in value:
        if not isinstance(item, str) or len(item) > MAX_NAME_CHARS:
            raise BadEventDataError(
                f"{field} entries must be strings of at most {MAX_NAME_CHARS} characters"
            )
        if item.strip():
            names.append(" ".join(item.split()))
    return names


def load_vocabulary_file(path: Path) -> list[str]:
    """Names from a file, one per line; ``#`` starts a comment."""
    return [line[:MAX_NAME_CHARS] for _number, line in read_line_list(path)][:MAX_NAMES]


def merge(*groups: Iterable[str]) -> tuple[str, ...]:
    """Names from every source, first spelling wins, case-insensitively unique."""
    seen: set[str] = set()
    merged: list[str] = []
    for group in groups:
        for name in group:
            key = name.casefold()
            if key not in seen:
                seen.add(key)
                merged.append(name)
    return tuple(merged)


def initial_prompt(names: Iterable[str]) -> str | None:
    """Names as written, comma separated, ending in a full stop, cut to fit Whisper's prompt."""
    prompt = ""
    for name in names:
        candidate = f"{prompt}, {name}" if prompt else name
        if len(candidate) + 1 > MAX_PROMPT_CHARS:
            break
        prompt = candidate
    return f"{prompt}." if prompt else None
