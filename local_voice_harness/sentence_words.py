"""What a simulated user hears in "Did you mean: X?" and whether X is what they said."""

from __future__ import annotations

import re
from typing import Final

DID_YOU_MEAN: Final = "Did you mean:"
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
