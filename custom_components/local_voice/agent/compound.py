"""How many parts a request has, so the model loop knows when one call may not be all.

"switch off the bedroom light and the living room lamp" asks for two
changes; a small model makes one call per round, so after the first call
succeeded the loop asks the model again (``chat``). A plain command has one
part, and its turn still ends after the round whose call succeeded: no
second model round, no wait.

The parts are counted from the words that join them: "and", "then",
"also", "plus", "as well as", a comma or a semicolon (", and" counts once).
A clause before the first one that asks for something is the reason, not a
part: "I'm heading to bed, kill the lamp" has one part; so is a joined
statement with no word that asks, wishes or says what is wrong ("I'm going
to read at my desk and it's too dark there", "a parcel is here, let the
courier in") and a piece that only says how ("..., but only faintly"). A clause asks when
it has a command verb ("turn", "switch", "kill") or ends in on, off, up or
down ("lamp and fan on"). Otherwise the count is generous on purpose: a
part counted too many costs one model round (seconds on a CPU server)
whose answer is not spoken, a part missed leaves a change undone. English
only, like the question words.
"""

from __future__ import annotations

import re
from typing import Final

from ..understanding.words import COMMAND_VERBS, COPULAS, DIRECTIONS, EVERYDAY_VERBS

_JOIN: Final = re.compile(
    r"(?:[,;]\s*)?\b(?:and\s+then|and|then|also|plus|as\s+well\s+as)\b|[,;](?!\d)"
)
_CLAUSE_END: Final = re.compile(r"[,;](?!\d)")
_WORD: Final = re.compile(r"[a-z']+")
_SEVERAL: Final = frozenset({"everything", "all", "both"})
# A joined part that starts with one of these states something ("I'm going to read at my
# desk and it's too dark there"): it is a part only with a word that asks, wishes or says
# what is wrong; the rest is the reason for the other part. Not "that" or "this": "and
# that lamp" is a part.
_SUBJECTS: Final = frozenset(
    {"i", "i'm", "i'd", "i'll", "i've", "it", "it's", "we", "we're", "we'd", "we'll", "you",
     "you're", "there", "there's", "that's", "he", "she", "they", "they're"}
)  # fmt: skip
# A joined piece that starts with one of these only says how ("but only faintly").
_MODIFIERS: Final = frozenset({"but", "only", "just", "while", "so", "because", "though"})
_WISHES: Final = frozenset({"want", "need", "like", "love", "fancy", "use"})
_CONDITIONS: Final = frozenset(
    {"dark", "darker", "bright", "brighter", "dim", "dimmer", "black", "hot", "hotter",
     "warm", "warmer", "cold", "colder", "cool", "cooler", "chilly", "freezing", "boiling",
     "roasting", "stuffy", "muggy", "humid", "damp", "loud", "louder", "quiet", "quieter",
     "noisy"}
)  # fmt: skip


def request_parts(text: str) -> int:
    """How many changes ``text`` may ask for: 1 plus the words and marks that join parts.

    "everything", "all" or "both" count one more ("turn on everything in the
    office": the 1.5B switched on the fan alone, and the turn ended there).
    """
    text = _without_reason(text)
    several = bool(set(_WORD.findall(text)) & _SEVERAL)
    pieces = [words for piece in _JOIN.split(text) if (words := _WORD.findall(piece))]
    return max(1, sum(_is_part(words) for words in pieces)) + several


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
    return _asking(_WORD.findall(clause))


def _asking(words: list[str]) -> bool:
    return bool(words) and (
        words[-1] in DIRECTIONS or any(w in COMMAND_VERBS or w in EVERYDAY_VERBS for w in words)
    )


def _is_part(words: list[str]) -> bool:
    """A joined piece that asks for a change: not a statement with no word for one."""
    if words[0] in _MODIFIERS:
        return False
    states = words[0] in _SUBJECTS or any(w in COPULAS for w in words)
    return not states or _asking(words) or any(w in _WISHES or w in _CONDITIONS for w in words)
