"""Answer a question about named things from their states, without the model.

A question HA's sentences do not cover ("did I leave the coffee machine on",
"is it muggy in the bedroom") went to the model, which answers from the
states listed in its prompt. The bundled 1.5B read them wrong at times: "No,
the Bedroom Light is off." while it was on; "The Coffee Maker is still
brewing." while it was off. It also took about 3 s to write the answer.

When a question's own words point at exposed entities (``relevance.pointed_at``
without the speaker's area: it names them, a word of one name, or an area and
a word for a kind of thing there, or an area and "anything"; "the heating" is
the home's one thermostat), the answer is read from their states
(``report.describe_current``): "Coffee Maker is off." A question that points
at nothing named ("how do I boil an egg", "is it cold outside") still goes
to the model, and so does one that asks for an action ("is it possible to
turn on the fan"). The word lists are English; other languages always go to
the model.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

from .home_now import sole_thermostat
from .relevance import pointed_at, words

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

MAX_ENTITIES: Final = 8  # more than this is a question about the home: the model's
# A question that asks for an action: "is it possible to turn on the fan", "I wonder if
# you could switch the lamp off". ("what have I got the heating set to" asks.)
_ASKS_FOR_ACTION: Final = re.compile(
    r"\b(?:you|to|please|and|then|can|could|would|will|should)\s+(?:please\s+)?"
    r"(?:turn|switch|set|dim|brighten|raise|lower|start|stop|put|make|toggle|open|close|"
    r"shut|lock|unlock|run|play|pause|activate|deactivate|arm|disarm|boost|increase|"
    r"decrease|kill|get)\b",
    re.IGNORECASE,
)

# Words that name the heating itself (not "cold", which may be about outside).
_HEATING: Final = frozenset({"heating", "heat", "thermostat"})
_ABOUT_ALL: Final = re.compile(
    r"\b(?:any|anything|everything|something|nothing|all|what's|whats|what is)\b", re.IGNORECASE
)


def asks_for_action(text: str) -> bool:
    """True when a question asks for something to be done ("can I get you to open ...")."""
    return _ASKS_FOR_ACTION.search(text) is not None


def answered_by(hass: HomeAssistant, text: str, language: str) -> list[str]:
    """The exposed entities whose states answer the question ``text``; [] to ask the model.

    ``text`` must be a question (``understanding.text.Heard.question``).
    """
    if not language.lower().startswith("en") or asks_for_action(text):
        return []
    # All of a named area only for a question about all of it ("is anything on in the
    # kitchen"), not for "how come this is a bedroom".
    found = pointed_at(hass, text, whole_area=_ABOUT_ALL.search(text) is not None)
    if not found and _HEATING & set(words(text)):
        found = [sole.entity_id] if (sole := sole_thermostat(hass)) is not None else []
    return found if len(found) <= MAX_ENTITIES else []
