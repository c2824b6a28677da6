"""Fuzzy matching of a misheard span against the home's names, with a confidence.

Whisper mishears names by sound, not by spelling: "domestat" for thermostat,
"madroom" for bedroom. Plain edit distance rates those poorly (0.56 and
0.71), so a span is scored as the mean of rapidfuzz's ratio on the letters
and on a crude sound key (voiced and unvoiced consonants merged, vowels
dropped after the first letter). A name that stands out from the runner-up
is more trustworthy than one in a crowd, so the confidence adds half the
margin over the second-best distinct name.

``NameTable`` keeps the sound keys of one vocabulary snapshot, so scoring a
span against every name costs a few microseconds per name (no regex work).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from rapidfuzz import fuzz

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable

    from .vocabulary import Snapshot, Term

_SOUNDS: Final = str.maketrans("bdgvzqcfmjx", "ptkfskkfnsk")
_NOT_LETTER: Final = re.compile(r"[^a-z ]+")
_VOWELS: Final = re.compile(r"(?<=[a-z])[aeiouyhw]+")
_REPEAT: Final = re.compile(r"(.)\1+")


def sound_key(text: str) -> str:
    """A rough key of how ``text`` sounds (English spelling)."""
    words = _NOT_LETTER.sub(" ", text.casefold()).split()
    keys = [_REPEAT.sub(r"\1", _VOWELS.sub("", w).translate(_SOUNDS)) for w in words]
    return " ".join(keys)


def similarity(span: str, name: str) -> float:
    """0..1: how alike ``span`` and ``name`` look and sound."""
    a, b = span.casefold().strip(), name.casefold().strip()
    letters = fuzz.ratio(a, b) / 100
    sounds = fuzz.ratio(sound_key(a), sound_key(b)) / 100
    return (letters + sounds) / 2


@dataclass(frozen=True, slots=True)
class NameMatch:
    """The best name for a span and how sure we are."""

    span: str
    term: Term
    score: float  # similarity of span and name
    confidence: float  # score plus half the margin over the runner-up


def best_name(span: str, terms: Iterable[Term], unexposed: Collection[str]) -> NameMatch | None:
    """The term most like ``span``, or None when an unexposed name fits at least as well."""
    scored = sorted(((similarity(span, t.text), t) for t in terms), key=lambda p: -p[0])
    if not scored:
        return None
    score, term = scored[0]
    if any(similarity(span, name) >= score for name in unexposed):
        return None  # it names something Assist may not touch: never "correct" it
    runner_up = next((s for s, t in scored[1:] if t.text.casefold() != term.text.casefold()), 0.0)
    confidence = min(1.0, score + (score - runner_up) / 2)
    return NameMatch(span, term, score, confidence)


class NameTable:
    """Names and areas of one vocabulary snapshot with their sound keys precomputed."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.version = snapshot.version
        self.terms: list[tuple[Term, str, str]] = [
            (t, t.text.casefold(), sound_key(t.text)) for t in (*snapshot.names, *snapshot.areas)
        ]
        self.unexposed: list[tuple[str, str]] = [(n, sound_key(n)) for n in snapshot.unexposed]
        self.longest: int = max((len(t.text.split()) for t, _, _ in self.terms), default=1)

    def best(self, span: str) -> NameMatch | None:
        """Like ``best_name`` over names and areas, with the keys precomputed."""
        letters_key = span.casefold().strip()
        span_key = sound_key(letters_key)

        def score(letters: str, sounds: str) -> float:
            return (fuzz.ratio(letters_key, letters) + fuzz.ratio(span_key, sounds)) / 200

        scored = sorted(((score(c, k), t) for t, c, k in self.terms), key=lambda p: -p[0])
        if not scored:
            return None
        top, term = scored[0]
        if any(score(n, k) >= top for n, k in self.unexposed):
            return None  # it names something Assist may not touch: never "correct" it
        runner_up = next(
            (s for s, t in scored[1:] if t.text.casefold() != term.text.casefold()), 0.0
        )
        return NameMatch(span, term, top, min(1.0, top + (top - runner_up) / 2))
