"""A change of the thermostat by so many degrees: worked out from the request's words.

"Warm it up a couple of degrees" is the setting plus two. The bundled 1.5B
added the degrees to the room's temperature from a sensor's line (21.5 for a
setting of 20 and "a couple of degrees warmer"), or to nothing. The words say
how much and which way; the setting is in HA. So for a request that asks for
a change *by* an amount (not "to 22 degrees"), the model's ``temperature`` is
replaced by the setting plus or minus that amount (``guard``). English
only, like the rest of the agent's word lists; anything it cannot read
leaves the model's value alone.
"""

from __future__ import annotations

import re
from typing import Final

_WORD: Final = re.compile(r"[a-z]+|\d+(?:[.,]\d+)?")
_AMOUNTS: Final = {
    "a": 1.0,
    "an": 1.0,
    "one": 1.0,
    "two": 2.0,
    "couple": 2.0,
    "three": 3.0,
    "four": 4.0,
    "five": 5.0,
    "half": 0.5,
}
# "up"/"down" say the way most plainly ("knock the heating down": heating is no way).
_PARTICLES: Final = {"up": 1, "down": -1}
_WAYS: Final = {
    "warmer": 1,
    "hotter": 1,
    "higher": 1,
    "warm": 1,
    "raise": 1,
    "increase": 1,
    "cooler": -1,
    "colder": -1,
    "lower": -1,
    "cool": -1,
    "reduce": -1,
    "decrease": -1,
    "drop": -1,
}
_FILLER: Final = frozenset({"of", "more", "extra", "or", "so"})
_MAX_CHANGE: Final = 5.0


def degrees_asked(request: str) -> float | None:
    """The signed change a request asks for in degrees ("a couple of degrees warmer": +2).

    None when it asks for a setting ("to 22 degrees"), names no amount of
    degrees, says no way, or asks for more than five degrees at once.
    """
    words = _WORD.findall(request.lower())
    at = next((i for i, w in enumerate(words) if w in {"degree", "degrees"}), None)
    if at is None:
        return None
    amount = _amount(words[:at])
    if amount is None or amount > _MAX_CHANGE:
        return None
    way = _way(words)
    return None if way is None else way * amount


def _amount(before: list[str]) -> float | None:
    """The amount just before "degrees", skipping "of"/"more"; None after "to" (a setting)."""
    i = len(before) - 1
    while i >= 0 and before[i] in _FILLER:
        i -= 1
    if i < 0:
        return None
    word = before[i]
    if i > 0 and before[i - 1] in {"to", "at"}:
        return None  # "up to 22 degrees", "set at 21 degrees": a setting
    if word == "half" or (word == "a" and i > 0 and before[i - 1] == "half"):
        return 0.5
    if word in _AMOUNTS:
        return _AMOUNTS[word]
    try:
        return float(word.replace(",", "."))
    except ValueError:
        return None


def _way(words: list[str]) -> int | None:
    """+1 warmer, -1 cooler; None when the words say neither or both."""
    found = {_PARTICLES[w] for w in words if w in _PARTICLES}
    if not found:
        found = {_WAYS[w] for w in words if w in _WAYS}
    if not found:
        found = {1 for w in words if w in {"heat", "heating", "bump"}}
    return found.pop() if len(found) == 1 else None


def new_setting(setting: object, change: float) -> float | None:
    """The setting after the change, or None when HA's setting is no number."""
    if isinstance(setting, bool) or not isinstance(setting, int | float):
        return None
    return round(float(setting) + change, 1)
