"""One-item-per-line files with comments."""

from __future__ import annotations

from typing import TYPE_CHECKING

from wyoming_servers.core.line_lists import read_line_list

if TYPE_CHECKING:
    from pathlib import Path


def test_comments_and_blank_lines_are_skipped_and_line_numbers_kept(tmp_path: Path) -> None:
    path = tmp_path / "list.txt"
    path.write_text("# heading\n\n  Kitchen   # an area\n#\nDesk Lamp\n", encoding="utf-8")
    assert read_line_list(path) == [(3, "Kitchen"), (5, "Desk Lamp")]
