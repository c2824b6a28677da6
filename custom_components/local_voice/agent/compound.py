"""How many parts a request has, so the model loop knows when one call may not be all.

"switch off the bedroom light and the living room lamp" asks for two
changes; a small model makes one call per round, so after the first call
succeeded the loop asks the model again (``chat``). A plain command has one
part, and its turn still ends after the round whose call succeeded: no
second model round, no wait.

The parts are counted from the words that join them: "and", "then",
"also", "plus", "as well as", a comma or a semicolon (", and" counts once).
A clause before the first one that asks for something is the reason, not a
part: "I'm heading to bed, kill the lamp" has one part. A clause asks when
it has a command verb ("turn", "switch", "kill") or ends in on, off, up or
down ("lamp and fan on"). Otherwise the count is generous on purpose: a
part counted too many costs one model round (seconds on a CPU server)
whose answer is not spoken, a part missed leaves a change undone. English
only, like the question words.
"""

from __future__ import annotations

import re
from typing import Final

from ..understanding.words import COMMAND_VERBS, DIRECTIONS, EVERYDAY_VERBS

_JOIN: Final = re.compile(
    r"(?:[,;]\s*)?\b(?:and\s+then|and|then|also|plus|as\s+well\s+as)\b|[,;](?!\d)"
)
_CLAUSE_END: Final = re.compile(r"[,;](?!\d)")
_WORD: Final = re.compile(r"[a-z']+")
_SEVERAL: Final = frozenset({"everything", "all", "both"})


def request_parts(text: str) -> int:
    """How many changes ``text`` may ask for: 1 plus the words and marks that join parts.

    "everything", "all" or "both" count one more ("turn on everything in the
    office": the 1.5B switched on the fan alone, and the turn ended there).
    """
    text = _without_reason(text)
    several = bool(set(_WORD.findall(text)) & _SEVERAL)
    return 1 + len(_JOIN.findall(text)) + several


def rest_of(text: str, done: int) -> str | None:
    """The request's parts after the first ``done`` ("light up the kitchen"), or None.

    After a round whose calls did the first part, the 1.5B, asked again with
    the whole request, repeated that part's call; told what is left, it makes
    the next one (``chat``).
    """
    parts = [p.strip(" .!?") for p in _JOIN.split(_without_reason(text.strip()))]
    parts = [p for p in parts if p]
    return " and ".join(parts[done:]) if 0 < done < len(parts) else None


def _without_reason(text: str) -> str:
    """``text`` from its first clause that asks for something (all of it when none does)."""
    text = text.lower()
    start = 0
    for clause_end in [*(m.start() for m in _CLAUSE_END.finditer(text)), len(text)]:
        if _asks(text[start:clause_end]):
            return text[start:]
        start = clause_end + 1
    return text


def _asks(clause: str) -> bool:
    words = _WORD.findall(clause)
    return bool(words) and (
        words[-1] in DIRECTIONS or any(w in COMMAND_VERBS or w in EVERYDAY_VERBS for w in words)
    )
