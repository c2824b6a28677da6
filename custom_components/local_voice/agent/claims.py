"""Whether a sentence of a model's answer claims that something was done.

A small model sometimes answers a command in words alone: "Garage Door is
now open." with no tool call, so nothing changed. Such a sentence must not
be spoken unless a call of the turn really changed something
(``answer_gate`` holds it, ``chat`` judges it). The words tell a claim of a
change from a statement of the current state, which is fine after a tool
read the state ("The front door is locked."):

- "now" with the new state: "is now open", "they're now off", "lamp now
  on";
- a finished action: "has been locked", "have been turned off", "was
  switched on", "successfully";
- the assistant as the one who acted: "I've set", "I have turned", "I
  turned", "I'll switch", "let me open";
- an action stated without a subject: "Turned on the kitchen light.",
  "Kitchen light switched off." (but not "is turned on", a state);
- a bare report of completion at the start: "Done.", "All set.", "There you
  go."

A negation keeps a sentence from being a claim ("has not been locked", "I
didn't turn", "isn't turned on"). English only, like the question words.
"""

from __future__ import annotations

import re
from typing import Final

# Past participles of what the tools do (the verbs a model uses to claim an action).
_DONE: Final = (
    "turned|switched|set|opened|closed|shut|locked|unlocked|started|stopped|paused|resumed|"
    "dimmed|brightened|raised|lowered|adjusted|changed|activated|deactivated|armed|disarmed|"
    "muted|unmuted|enabled|disabled|increased|decreased|added|removed|created|cancell?ed|"
    "played|skipped|heated|cooled"
)
# The same actions in the base form ("I'll turn", "let me open").
_DO: Final = (
    "turn|switch|set|open|close|shut|lock|unlock|start|stop|pause|resume|dim|brighten|raise|"
    "lower|adjust|change|activate|deactivate|arm|disarm|mute|unmute|enable|disable|increase|"
    "decrease|add|remove|create|cancel|play|skip|heat|cool"
)
_CLAIMS: Final = (
    re.compile(r"(?:\b(?:is|are)|'s|'re)\s+now\b"),
    re.compile(r"\bnow\s+(?:on|off|open|closed|locked|unlocked|playing|paused)\b"),
    re.compile(rf"\b(?:has|have|had)\s+(?:just\s+|already\s+)?been\s+(?:{_DONE})\b"),
    re.compile(rf"\b(?:was|were)\s+(?:just\s+|already\s+)?(?:{_DONE})\b"),
    re.compile(r"\bsuccessfully\b"),
    re.compile(rf"\bi(?:'ve|\s+have)\s+(?:just\s+|now\s+|already\s+)?(?:{_DONE})\b"),
    re.compile(rf"\bi\s+(?:just\s+|now\s+|already\s+)?(?:{_DONE})\b"),
    re.compile(rf"\b(?:i'll|i\s+will|let\s+me|i'm\s+going\s+to)\s+(?:now\s+)?(?:{_DO})\b"),
    re.compile(r"^(?:(?:ok|okay|sure|alright|all right|great)\b[\s,!.]*)?(?:all\s+)?done\b"),
    re.compile(r"^(?:(?:ok|okay|sure|alright|all right)\b[\s,!.]*)?(?:you're\s+)?all\s+set\b"),
    re.compile(r"^(?:(?:ok|okay|sure|alright|all right)\b[\s,!.]*)?there\s+you\s+go\b"),
)
# "Turned on the kitchen light." claims; "The light is turned on." states.
_BARE_ACTION: Final = re.compile(r"(?P<before>\S+\s+)?\b(?:turned|switched)\s+(?:on|off|up|down)\b")
_STATE_WORDS: Final = frozenset(
    {"is", "are", "isn't", "aren't", "not", "be", "being", "been", "it's", "that's", "they're"}
    | {"all", "both", "still", "currently", "already", "also"}
)


def claims_a_change(sentence: str) -> bool:
    """True when ``sentence`` says that something was done or changed."""
    text = sentence.strip().lower().replace("\u2019", "'")
    if any(pattern.search(text) for pattern in _CLAIMS):
        return True
    return any(
        (m.group("before") or "").strip(" ,") not in _STATE_WORDS
        for m in _BARE_ACTION.finditer(text)
    )
