"""A heard sentence, normalised once: words, numbers, and whether it asks.

Speech recognition returns text with case, punctuation and digits. Every
later step (the repair's word lists, the sentence index, the name search,
the guards) compares words, so the sentence is normalised here once into a
``Heard``: lower-case words without punctuation, each number replaced by a
``#`` placeholder and kept aside so it can be filled back in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

NUMBER: Final = "#"
_NUMBER_RE: Final = re.compile(r"\d+(?:[.,]\d+)?")
_NOT_WORD: Final = re.compile(r"[^\w\s#']+")
_QUESTION_START: Final = re.compile(
    r"^(is|are|was|were|isn't|aren't|wasn't|weren't|does|do|did|doesn't|don't|has|have|"
    r"hasn't|haven't|what|what's|whats|which|who|where|when|why|how|how's|can you tell|"
    r"tell me|could you tell|(?:can|could|would|will) you (?:check|see|find out) "
    r"(?:if|whether)|check (?:if|whether)|do you know|i wonder)\b",
    re.IGNORECASE,
)
# A trailing "?" on these is a polite or rising-tone command, not a question.
_REQUEST_START: Final = re.compile(
    r"^(please|(can|could|would|will) you|turn|switch|set|open|close|lock|unlock|start|stop|"
    r"dim|brighten|make|put|activate|deactivate|arm|disarm|toggle)\b",
    re.IGNORECASE,
)
_CLAUSE_END: Final = re.compile(r"[.!?;,]\s+")


def normalize(text: str) -> tuple[str, list[str]]:
    """Lower-case words without punctuation, numbers replaced by ``#`` (and returned)."""
    text = text.casefold().replace("\u2019", "'").replace("%", " percent")
    numbers = _NUMBER_RE.findall(text)
    text = _NUMBER_RE.sub(NUMBER, text)
    return " ".join(_NOT_WORD.sub(" ", text).split()), numbers


def looks_like_question(text: str) -> bool:
    """True for a sentence that asks rather than commands (English wording, or a '?').

    "the kitchen light on?" asks; "can you turn on the kitchen light?",
    "turn on the kitchen light?" and "I've forgotten my keys, can you let me
    in?" ask for an action.
    """
    stripped = text.strip().lstrip("¿¡\"' ")
    # The clause the sentence ends with decides too: speech recognisers punctuate what
    # was said, "I need to get the car out. Can you raise the garage?"
    last = _CLAUSE_END.split(stripped.rstrip("?!. "))[-1].strip().lstrip("¿¡\"' ")
    if _QUESTION_START.match(stripped) or _QUESTION_START.match(last):
        return True
    requested = _REQUEST_START.match(stripped) or _REQUEST_START.match(last)
    return stripped.endswith("?") and not requested


def fill_numbers(text: str, numbers: tuple[str, ...] | list[str]) -> str:
    """Put numbers back in place of the ``#`` placeholders, in order."""
    for number in numbers:
        text = text.replace(NUMBER, number, 1)
    return text


@dataclass(frozen=True, slots=True)
class Heard:
    """A sentence as heard, normalised once."""

    raw: str  # the text as recognised
    normalized: str  # lower-case words, numbers as ``#``
    numbers: tuple[str, ...]
    question: bool  # asks rather than commands

    @property
    def words(self) -> list[str]:
        """The normalised words."""
        return self.normalized.split()

    @property
    def filled(self) -> str:
        """The normalised words with the heard numbers back in."""
        return fill_numbers(self.normalized, self.numbers)

    def contains(self, phrase: str) -> bool:
        """``phrase`` appears as whole words in the sentence (normalised alike)."""
        return f" {normalize(phrase)[0]} " in f" {self.normalized} "


def hear(text: str) -> Heard:
    """Normalise ``text`` once."""
    normalized, numbers = normalize(text)
    return Heard(text, normalized, tuple(numbers), looks_like_question(text))
