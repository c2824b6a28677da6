"""The sentences this home supports, for matching a whole misheard sentence.

When the verb or the structure is misheard ("talk on the kitchen light"),
no single span is unknown; the sentence as a whole is close to one that HA's
intents understand. This index holds such sentences: HA's own phrasings
(from ``home_assistant_intents``: turn on/off, switch, set ... to,
open/close, lock/unlock, is ... on/open/locked, what is ...) filled with the
home's exposed names and areas, one set per domain. Numbers are a ``#``
placeholder, filled back from the heard sentence.

Why not expand HA's templates with hassil's sampler: for the 12-entity
demo home that gives 88,000 sentences and took 357 s on a 2-core machine
(measured 2026-11-23; every optional word and range value multiplies), far
too slow to rebuild when a name changes.
Every candidate found here is parsed again by HA's real matcher before
anything runs, so a phrasing listed here that HA did not support would
simply never match; a test checks that each one does.

Building takes about a millisecond per hundred names; lookups use rapidfuzz
(C++): two scorers over the index, well under a millisecond for the demo home.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from rapidfuzz import fuzz, process

from .text import NUMBER, fill_numbers

if TYPE_CHECKING:
    from .text import Heard
    from .vocabulary import Snapshot

# "There's the kitchen light on": as close to "is the kitchen light on" as to
# "turn the kitchen light on". Within this gap of the other kind, confidence drops.
AMBIGUITY: Final = 0.1
_SWITCHABLE: Final = ("turn on the {n}", "turn off the {n}", "switch on the {n}",
                      "switch off the {n}", "turn the {n} on", "turn the {n} off",
                      "is the {n} on", "is the {n} off")  # fmt: skip
BY_DOMAIN: Final[dict[str, tuple[str, ...]]] = {
    "light": (*_SWITCHABLE, "set the {n} to # percent", "set the {n} brightness to # percent"),
    "switch": _SWITCHABLE,
    "fan": _SWITCHABLE,
    "input_boolean": _SWITCHABLE,
    "media_player": _SWITCHABLE,
    "cover": ("open the {n}", "close the {n}", "is the {n} open", "is the {n} closed"),
    "lock": ("lock the {n}", "unlock the {n}", "is the {n} locked", "is the {n} unlocked"),
    "climate": ("set the {n} to # degrees", "set the {n} to #"),
    "sensor": ("what is the {n}",),
    "binary_sensor": ("is the {n} open", "is the {n} closed"),
}
BY_AREA: Final = (
    "turn on the lights in the {a}",
    "turn off the lights in the {a}",
    "turn on the {a} lights",
    "turn off the {a} lights",
    "what is the temperature in the {a}",
)
GENERAL: Final = ("set the temperature to # degrees",)
# The word that says which way a command goes. If nothing like it was heard
# ("keep switching the kitchen light"), the direction is a guess: no repair.
ACTION_WORDS: Final = frozenset({"on", "off", "open", "close", "lock", "unlock"})
# Likewise the quantity asked about: "the humidity in the man room" must not
# be answered with a temperature because the rest of the sentence fits one.
QUANTITY_WORDS: Final = frozenset({"temperature", "humidity", "brightness"})
# Politeness around a command is not part of HA's phrasings (misheard too: "could your").
_POLITE: Final = re.compile(
    r"^(please |(can|could|would|will) (you|your|ya) (please )?)|( please)$"
)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A supported sentence close to the heard one."""

    text: str  # with the heard numbers filled in
    score: float  # 0..1 similarity of the whole sentence
    question: bool  # the supported sentence asks rather than acts
    confidence: float  # the score, less a penalty when a question and a command fit alike


class SentenceIndex:
    """Supported sentences for one vocabulary snapshot."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.version = snapshot.version
        sentences: set[str] = set(GENERAL)
        for term in snapshot.names:
            for template in BY_DOMAIN.get(term.domain or "", ()):
                sentences.add(template.format(n=term.text.casefold()))
        for term in snapshot.areas:
            sentences.update(t.format(a=term.text.casefold()) for t in BY_AREA)
        self.sentences: list[str] = sorted(sentences)
        self.words: frozenset[str] = frozenset(w for t in sentences for w in t.split())

    def __len__(self) -> int:
        return len(self.sentences)

    def closest(self, heard: Heard, limit: int = 3) -> list[Candidate]:
        """The ``limit`` supported sentences most like ``heard``, best first."""
        numbers = heard.numbers
        query = _POLITE.sub("", heard.normalized).strip()
        if not query:
            return []
        # Letters in order; for questions also the same words in another order
        # ("the humidity in the bedroom" / "the bedroom humidity"). Not for
        # commands: "there's the kitchen light on" is not "turn the kitchen light on".
        best: dict[str, float] = {}
        in_order: dict[str, float] = {}
        for scorer in (fuzz.ratio, fuzz.token_sort_ratio):
            for sentence, score, _index in process.extract(
                query, self.sentences, scorer=scorer, limit=limit * 3
            ):
                if scorer is fuzz.ratio:
                    in_order[sentence] = score
                if scorer is fuzz.ratio or _is_question(sentence):
                    best[sentence] = max(score, best.get(sentence, 0.0))
        found = sorted(best.items(), key=lambda item: -item[1])
        # The ambiguity between asking and acting is judged on letters in order.
        top = {kind: max((v for k, v in in_order.items() if _is_question(k) is kind), default=0.0)
               for kind in (True, False)}  # fmt: skip
        out: list[Candidate] = []
        query_words = query.split()
        for sentence, score in found:
            if sentence.count(NUMBER) != len(numbers) or not _direction_heard(
                sentence, query_words
            ):
                continue
            filled = fill_numbers(sentence, numbers)
            question = _is_question(sentence)
            gap = (in_order.get(sentence, score) - top[not question]) / 100
            confidence = score / 100 - max(0.0, AMBIGUITY - gap)
            out.append(Candidate(filled, score / 100, question, confidence))
        return out[:limit]


def _is_question(sentence: str) -> bool:
    """Index sentences that ask start with "is" or "what"."""
    return sentence.startswith(("is ", "what "))


def all_known(heard: Heard, words: frozenset[str]) -> bool:
    """Every word heard occurs in some supported sentence (no unknown span)."""
    return all(w in words or w == NUMBER for w in heard.words)


def _direction_heard(sentence: str, heard: list[str]) -> bool:
    """Each on/off/open/... (and quantity) word of ``sentence`` was heard, or nearly."""
    wanted = (ACTION_WORDS | QUANTITY_WORDS).intersection(sentence.split())
    return all(any(fuzz.ratio(w, h) >= 80 for h in heard) for w in wanted)  # noqa: PLR2004
