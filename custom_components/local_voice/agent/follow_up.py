"""When a sentence goes on from the conversation, so the model needs its earlier turns.

Through a satellite, HA keeps one conversation for five minutes, and every
earlier turn the model took part in would go into the prompt. They cost
twice: the server reads the last turn and the home's states after it
again on every turn (about 350 tokens in the demo home, 9 s on 2 cores:
measured, most model turns then missed the 15 s deadline), and the 1.5B
repeated the previous turn's call for a new request. So the earlier turns
go in only when the sentence reads as going on from them: the last answer
asked something, the sentence starts as a continuation ("and the kitchen",
"what about the hall", "no, the other one"), or it points back ("turn it
off again", "a bit more", "the same in the office"). A sentence that says
all it means ("it's too dark in the kitchen") gets the prompt the warm-up
cached. English only, like the question words.
"""

from __future__ import annotations

import itertools
import re
from typing import Final

from ..understanding.words import COMMAND_VERBS, EVERYDAY_VERBS
from .confirmations import ARE_YOU_SURE, DID_YOU_MEAN

_WORD: Final = re.compile(r"[a-z]+(?:'[a-z]+)?")
_OPENERS: Final = frozenset(
    {"and", "also", "but", "now", "then", "actually", "instead", "no", "nope", "yes",
     "yeah", "ok", "okay", "sorry", "not"}
)  # fmt: skip
_POINTERS: Final = frozenset(
    {"again", "same", "other", "others", "instead", "either", "undo", "previous"}
)  # fmt: skip
# "back" points back at the end or before "to" ("put them back", "back to how it was");
# not in "the back door", nor in tiny.en's "left back earlier in" (for "let the courier
# in"): read as going on, that turn's prompt passed the 15 s deadline.
_BACK: Final = "back"
# "it", "them", "that" and "those" point back after a verb that acts on something ("turn
# it off", "switch those on"), or at the end ("not that"), or before "one" or "ones";
# not in "make it cooler", "it's too dark", "how them is the bedroom" or tiny.en's "read
# that my desk" (for "at my desk"): read as going on, such a sentence cost 9 s of prompt.
# "more" and "less" alone ("a bit more"), not in a sentence that names what it wants
# more of.
_IT_AFTER: Final = (COMMAND_VERBS - {"make"}) | EVERYDAY_VERBS | {"leave", "keep"}
_PRONOUNS: Final = frozenset({"it", "them", "that", "those"})
_ONE: Final = frozenset({"one", "ones"})
_SHORT: Final = 4
_CONTINUATIONS: Final = (("what", "about"), ("how", "about"), ("and", "what"))
_ENDINGS: Final = frozenset({"too", "as well"})  # "the kitchen too" (not "too bright")


def continues(sentence: str, last_answer: str | None) -> bool:
    """True when ``sentence`` may need the turns before it (see the module)."""
    if last_answer is not None and _asked(last_answer):
        return True
    words = _WORD.findall(sentence.lower())
    return bool(words) and (_opens_as_continuation(words) or _points_back(words))


def _asked(answer: str) -> bool:
    """The answer asked something, other than our own yes-or-no (``confirmations``).

    A reply to "Are you sure ...?" that is neither yes nor no is a new request.
    """
    answer = answer.strip()
    return answer.endswith("?") and not answer.startswith((ARE_YOU_SURE, DID_YOU_MEAN))


def _opens_as_continuation(words: list[str]) -> bool:
    return (
        words[0] in _OPENERS
        or tuple(words[:2]) in _CONTINUATIONS
        or words[-1] in _ENDINGS
        or " ".join(words[-2:]) in _ENDINGS
    )


def _points_back(words: list[str]) -> bool:
    return (
        any(word in _POINTERS for word in words)
        or words[-1] == _BACK
        or any(a == _BACK and b == "to" for a, b in itertools.pairwise(words))
        or any(a in _IT_AFTER and b in _PRONOUNS for a, b in itertools.pairwise(words))
        or any(a in _PRONOUNS - {"it"} and b in _ONE for a, b in itertools.pairwise(words))
        or (words[-1] in _PRONOUNS - {"it"})
        or (len(words) <= _SHORT and bool({"more", "less"} & set(words)))
    )
