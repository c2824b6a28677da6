"""The name stage without HA's non-strict matcher: find the unknown span ourselves.

HA's non-strict matcher names the unmatched span ("not aware of any device
called mess lamp"), but it tries every template with wildcards: 30 to
170 ms per sentence on a 2-core machine (measured 2026-11-23), more than
the rest of the repair together. The
unknown span is almost always where the heard words leave the home's
vocabulary (the words of the supported sentences): "turn on the *mess*
lamp". So each run of unknown words, widened by up to two known words on
either side ("mess lamp", "the mess lamp", ...), is scored against every
exposed name and area (``NameTable``: precomputed sound keys, rapidfuzz in
C++); the best window per run is replaced. The result is only a candidate:
HA's strict matcher must still parse it onto exposed entities before
anything runs, and the guards still apply. Well under a millisecond.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from .text import NUMBER, fill_numbers

if TYPE_CHECKING:
    from .names import NameMatch, NameTable
    from .text import Heard

WIDEN: Final = 2  # known words either side of an unknown run that may belong to the name
MAX_WORDS: Final = 40  # longer "sentences" are not commands: no repair
# Words that are never part of a name: a window starting or ending on one is
# the same name with grammar around it (and would only lower its score).
_GRAMMAR: Final = frozenset({"the", "a", "an", "in", "on", "off", "to", "of", "my", "is", "#"})


def unknown_runs(words: list[str], known: frozenset[str]) -> list[tuple[int, int]]:
    """(start, end) of each maximal run of words outside ``known`` (numbers are known)."""
    runs: list[tuple[int, int]] = []
    start: int | None = None
    for i, word in enumerate([*words, NUMBER]):  # the sentinel closes a trailing run
        unknown = word != NUMBER and word not in known
        if unknown and start is None:
            start = i
        elif not unknown and start is not None:
            runs.append((start, i))
            start = None
    return runs


def _best_window(
    words: list[str], run: tuple[int, int], table: NameTable, floor: int
) -> tuple[int, int, NameMatch] | None:
    """The window around ``run`` (not reaching left of ``floor``) most like a name."""
    start, end = run
    best: tuple[int, int, NameMatch] | None = None
    for a in range(max(floor, start - WIDEN), start + 1):
        for b in range(end, min(len(words), end + WIDEN) + 1):
            if b - a > table.longest + 1 or (
                (words[a] in _GRAMMAR or words[b - 1] in _GRAMMAR) and b - a > 1
            ):
                continue
            match = table.best(" ".join(words[a:b]))
            if match is not None and (best is None or match.confidence > best[2].confidence):
                best = (a, b, match)
    return best


def name_repair(heard: Heard, known: frozenset[str], table: NameTable) -> tuple[str, float] | None:
    """``heard`` with each unknown span replaced by the closest exposed name or area.

    Returns the repaired sentence (normalized words, heard numbers back in) and
    its confidence (the lowest of its replacements), or None when a span has
    no fitting name (or fits an unexposed one at least as well).
    """
    split = heard.words
    runs = unknown_runs(split, known)
    if not runs or len(split) > MAX_WORDS:
        return None
    confidence = 1.0
    floor = 0
    pieces: list[str] = []
    for start, end in runs:
        if end <= floor:
            continue  # taken into the previous name
        found = _best_window(split, (max(start, floor), end), table, floor)
        if found is None:
            return None
        a, b, match = found
        pieces.extend([*split[floor:a], match.term.text.casefold()])
        floor = b
        confidence = min(confidence, match.confidence)
    pieces.extend(split[floor:])
    return fill_numbers(" ".join(pieces), heard.numbers), confidence
