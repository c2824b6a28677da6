"""What a simulated user hears in "Did you mean: X?" and whether X is what they said."""

from __future__ import annotations

import re
from typing import Final

DID_YOU_MEAN: Final = "Did you mean:"
_YES_TURN: Final = " | yes | "  # how a second turn is written into the recorded answer
_WORD: Final = re.compile(r"[a-z0-9']+")


def suggestion_of(answer: str) -> str | None:
    """X in the agent's "Did you mean: X?", or None for any other answer."""
    if not answer.startswith(DID_YOU_MEAN):
        return None
    return answer[len(DID_YOU_MEAN) :].strip().rstrip("?").strip() or None


def means(suggestion: str, said: str) -> bool:
    """Whether ``suggestion`` says nothing that ``said`` did not (word for word).

    "switch on the coffee maker" for "switch the coffee maker on": yes;
    "turn on the lights in the office" for "turn on the fan in the office":
    no. Conservative: a user who said "lamp" answers no to "lights", though
    both might switch the same bulb.
    """
    return set(_WORD.findall(suggestion.lower())) <= set(_WORD.findall(said.lower()))


def with_yes(first: str, second: str) -> str:
    """The recorded answer of a turn answered "yes": both answers, in order."""
    return f"{first}{_YES_TURN}{second}"


def answered_yes(answer: str) -> bool:
    """Whether a recorded answer (``with_yes``) holds the user's "yes"."""
    return _YES_TURN in answer
