"""Word error rate with a small text normaliser, for tests and the benchmark.

Whisper writes "22" where a reference says "twenty two" and adds
punctuation and capitals; both sides are normalised the same way (lower
case, no punctuation, numbers 0-99 spelled out) before counting edits.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Iterable

_ONES: Final = (
    *("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"),
    *("ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen"),
    *("seventeen", "eighteen", "nineteen"),
)
_TENS: Final = ("_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty")
_TENS_90: Final = (*_TENS, "ninety")
_TOKEN: Final = re.compile(r"[a-z0-9']+")


def _spell(number: int) -> str:
    if number < 20:  # noqa: PLR2004 - English number words
        return _ONES[number]
    tens, ones = divmod(number, 10)
    return _TENS_90[tens] if ones == 0 else f"{_TENS_90[tens]} {_ONES[ones]}"


def normalize(text: str) -> list[str]:
    """Lower-case words without punctuation; 0-99 spelled out."""
    words: list[str] = []
    for token in _TOKEN.findall(text.lower().replace("-", " ")):
        bare = token.strip("'")
        if bare.isdigit() and int(bare) < 100:  # noqa: PLR2004
            words.extend(_spell(int(bare)).split())
        elif bare:
            words.append(bare)
    return words


def edit_distance(reference: list[str], hypothesis: list[str]) -> int:
    """Levenshtein distance over words."""
    previous = list(range(len(hypothesis) + 1))
    for i, ref_word in enumerate(reference, start=1):
        current = [i]
        for j, hyp_word in enumerate(hypothesis, start=1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref_word != hyp_word))
            )
        previous = current
    return previous[-1]


def word_error_rate(pairs: Iterable[tuple[str, str]]) -> tuple[float, int, int]:
    """Corpus WER over (reference, hypothesis) pairs: (rate, errors, reference words)."""
    errors = words = 0
    for reference, hypothesis in pairs:
        ref = normalize(reference)
        errors += edit_distance(ref, normalize(hypothesis))
        words += len(ref)
    return (errors / words if words else 0.0), errors, words
