"""Files that list one item per line, with ``#`` comments (vocabulary, warm answers)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path


def read_line_list(path: Path) -> list[tuple[int, str]]:
    """(line number, text) of every line that holds more than a comment or whitespace."""
    items = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if line:
            items.append((number, line))
    return items
