"""Readings of a misheard sentence: generic fixes before the sentence match.

Two classes of mishearing that whole-sentence fuzzy matching handles badly,
because they change whether the sentence asks or acts:

- a filler before a yes/no question: "this is the kitchen light on", "it's
  the back door open", "there's the fan on", "it's a kitchen light on" (the
  article blurs too: "a" for "the"). Whisper hears a breath or the
  end of the wake word as a word. A sentence that, after at most two words,
  says "is the ..." / "'s the ..." and ends on a state word (on, off, open,
  locked ...) is read as the question "is the ... on". Reading it as a
  question is the safe side: questions only read.
- a misheard first verb: "which/twitch/switching the coffee maker on",
  "sent the temperature to 22", "turned on the light". A word that sounds
  like a command verb, followed by what follows a verb (the, on, off, my),
  is replaced by the verb. "which" also starts questions, so when the
  original looked like a question the repair never acts at once: it asks
  "Did you mean ...?" (``asks_first``).

- a misheard question word: "watch the temperature in the living room" is
  read as "what's the ..." (a question: answered, never acted on).
- a polite request heard with a rising tone or a misheard "you": "could
  your turn off the bedroom light?" is a request (it names a command verb),
  not a question; left as a question it could only be answered. Its
  negative asks the same ("can't you turn off the bedroom light?") and is
  read as the positive ("can you ...").

- a blurred start that is not a verb at all: "and lock the front door" for
  "unlock ...", "join the coffee maker" for "turn on ...". These guess the
  verb, so the repair always asks first.

- a compound number split by a misheard unit: "to 20 free degrees" is 23
  degrees (tens as digits, then a digit word, then degrees or percent).

Before all, the end of a wake word that leaked into the transcript ("okay
nabu, turn on ...", "jarvis turn on ...") is dropped from the front.

Each fix only changes the text that is matched; the repaired sentence must
still be one HA's strict matcher parses onto exposed entities.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Final

from .text import Heard, fill_numbers, hear

_STATES: Final = frozenset({"on", "off", "open", "closed", "locked", "unlocked", "running"})
_FILLER_MAX: Final = 2  # words heard before the question proper
# Words that sound like a command verb when the verb is clipped or blurred.
VERB_CONFUSIONS: Final[dict[str, str]] = {
    "which": "switch",
    "witch": "switch",
    "twitch": "switch",
    "switching": "switch",
    "switched": "switch",
    "stitch": "switch",
    "sent": "set",
    "sat": "set",
    "sets": "set",
    "setting": "set",
    "turned": "turn",
    "turning": "turn",
    "turns": "turn",
    "torn": "turn",
    "tern": "turn",
    "opened": "open",
    "opening": "open",
    "closed": "close",
    "closing": "close",
}
# "unlock" heard as "and lock" / "in lock": a request does not start with "and".
# Unlocking is on the confirmation list, so the reading always asks first.
_UN_HEARD: Final = frozenset({"and", "an", "in", "um", "uh"})
_LOCK_WORDS: Final = frozenset({"lock", "locked", "locks"})
# "turn on" run together: "join the coffee maker".
_TURN_ON_HEARD: Final = frozenset({"join", "joined", "turnon"})
# Words heard for "what's" at the start of a question ("watch the temperature ...").
QUESTION_CONFUSIONS: Final[dict[str, str]] = {"watch": "what's", "wats": "what's", "was": "what's"}
# What may follow a command verb in HA's phrasings ("switch the ...", "turn on ...").
_AFTER_VERB: Final = frozenset({"the", "on", "off", "my", "all", "up", "down"})
# Heard before a misheard verb: "it's which on the kitchen light".
_LEAD_FILLERS: Final = frozenset({"it's", "its", "and", "so", "oh", "now", "uh", "um", "okay"})
_POLITE_REQUEST: Final = re.compile(
    r"^(please )?(can|could|would|will|can't|cant|couldn't|won't|wouldn't) (you|your|ya|u|yo) "
    r"(please )?"
    r"(turn|switch|set|open|close|lock|unlock|dim|start|stop)\b"
)
# The negative of a polite request asks the same: "can't you turn off the light?".
_POLITE_POSITIVE: Final = {"can't": "can", "cant": "can", "couldn't": "could",
                           "won't": "will", "wouldn't": "would"}  # fmt: skip
_UNITS: Final = {"one": 1, "two": 2, "three": 3, "free": 3, "four": 4, "five": 5, "six": 6,
                 "seven": 7, "eight": 8, "nine": 9}  # fmt: skip
_SPLIT_NUMBER: Final = re.compile(
    r"\b([2-9]0) (" + "|".join(_UNITS) + r")\b(?= ?(degrees|percent|%))", re.IGNORECASE
)
# The tail of a wake word heard as part of the command (okay nabu, hey jarvis, ...).
_WAKE_REMNANTS: Final = frozenset(
    {"ok", "okay", "hey", "nabu", "naboo", "jarvis", "mycroft", "alexa", "computer"}
)
_ARTICLES: Final = frozenset({"the", "my"})  # before a name: "the kitchen light", "my lamp"
_QUESTION_ARTICLES: Final = _ARTICLES | {"a"}  # "it's a kitchen light on": a blurred "the"
_NOT_IS: Final = frozenset({"what's", "whats", "let's", "how's", "who's", "where's"})


@dataclass(frozen=True, slots=True)
class Reading:
    """The sentence to match, whether it asks, and whether a repair must ask first."""

    heard: Heard  # what to match, normalised
    question: bool
    asks_first: bool = False  # a question word was read as a verb: confirm before acting
    fix: str | None = None  # the fix applied ("question-filler", "verb", "polite"...), for logs

    @property
    def text(self) -> str:
        """The sentence to match, as text."""
        return self.heard.raw


def reading(heard: Heard) -> Reading:
    """How to read a heard sentence for repair (unchanged when no fix applies).

    A joined number is a guess at a value: such a repair always asks first.
    """
    text = heard.raw
    joined = _SPLIT_NUMBER.sub(lambda m: str(int(m[1]) + _UNITS[m[2].casefold()]), text)
    if joined == text:
        return _reading(heard)
    read = _reading(hear(joined))
    return replace(read, asks_first=True, fix=read.fix or "number")


def _read(
    text: str, *, question: bool, asks_first: bool = False, fix: str | None = None
) -> Reading:
    return Reading(hear(text), question=question, asks_first=asks_first, fix=fix)


def _reading(heard: Heard) -> Reading:
    question = heard.question
    numbers = heard.numbers
    words = heard.words
    lead = 0
    fix: str | None = None
    while lead < min(_FILLER_MAX, len(words) - 3) and words[lead] in _WAKE_REMNANTS:
        lead += 1
    if lead:
        words = words[lead:]
        heard = hear(fill_numbers(" ".join(words), numbers))
        question = heard.question
        fix = "wake-word"
    if _POLITE_REQUEST.match(" ".join(words)):
        question = False  # "could your turn off ...?": a request, not a question
        if (positive := _POLITE_POSITIVE.get(words[0])) is not None:
            # "can't you turn off ...?" asks as "can you turn off ...?" does
            heard = hear(fill_numbers(" ".join([positive, *words[1:]]), numbers))
            words = heard.words
            fix = "polite"
    if len(words) > 3 and words[1] == "the" and words[0] in QUESTION_CONFUSIONS:  # noqa: PLR2004 - what's the X Y
        fixed = fill_numbers(" ".join([QUESTION_CONFUSIONS[words[0]], *words[1:]]), numbers)
        return _read(fixed, question=True, fix="question-word")
    if (core := _question_core(words)) is not None:
        return _read(fill_numbers(core, numbers), question=True, fix="question-filler")
    if (fixed_start := _blurred_start(words)) is not None:
        # A guess at the verb itself: never acted on without a "yes".
        return _read(fill_numbers(fixed_start, numbers), question=False, asks_first=True,
                     fix="blurred-start")  # fmt: skip
    if (verb := _verb_fixed(words)) is not None:
        fixed = fill_numbers(verb, numbers)
        return _read(fixed, question=False, asks_first=question, fix="verb")
    return Reading(heard, question=question, fix=fix)


def _question_core(words: list[str]) -> str | None:
    """The question "is the X on" in "<2 filler words> is|'s the X on", or None."""
    if len(words) < 4 or words[-1] not in _STATES:  # noqa: PLR2004 - "is the X on"
        return None
    for k, word in enumerate(words[: _FILLER_MAX + 1]):
        is_word = word == "is" or (word.endswith("'s") and word not in _NOT_IS)
        if is_word and words[k + 1] in _QUESTION_ARTICLES:
            if k == 0 and word == "is" and words[1] != "a":
                return None  # already "is the ...": nothing to fix
            # "a" is a blurred "the" here: "it's a kitchen light on".
            article = "the" if words[k + 1] == "a" else words[k + 1]
            return " ".join(["is", article, *words[k + 2 :]])
    return None


def _blurred_start(words: list[str]) -> str | None:
    """Read "and lock the X" as "unlock the X" and "join the X" as "turn on the X", or None."""
    if len(words) < 3:  # noqa: PLR2004 - a verb, "the", a name
        return None
    if words[0] in _UN_HEARD and words[1] in _LOCK_WORDS:
        return " ".join(["unlock", *words[2:]])
    if words[0] in _TURN_ON_HEARD and words[1] in _ARTICLES:
        return " ".join(["turn", "on", *words[1:]])
    return None


def _verb_fixed(words: list[str]) -> str | None:
    """The sentence with a misheard first verb replaced, or None."""
    start = 1 if words and words[0] in _LEAD_FILLERS else 0
    if len(words) < start + 3:  # a verb, one word, a name
        return None
    verb = VERB_CONFUSIONS.get(words[start])
    if verb is None or words[start + 1] not in _AFTER_VERB:
        return None
    return " ".join([verb, *words[start + 1 :]])
