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

import re
from typing import Final

_WORD: Final = re.compile(r"[a-z]+(?:'[a-z]+)?")
_OPENERS: Final = frozenset(
    {"and", "also", "but", "now", "then", "actually", "instead", "no", "nope", "yes",
     "yeah", "ok", "okay", "sorry", "not"}
)  # fmt: skip
_POINTERS: Final = frozenset(
    {"it", "its", "them", "they", "that", "those", "these", "this", "again", "same",
     "other", "others", "more", "less", "instead", "either", "both", "one", "ones", "back",
     "undo", "previous", "last"}
)  # fmt: skip
_CONTINUATIONS: Final = (("what", "about"), ("how", "about"), ("and", "what"))
_ENDINGS: Final = frozenset({"too", "as well"})  # "the kitchen too" (not "too bright")


def continues(sentence: str, last_answer: str | None) -> bool:
    """True when ``sentence`` may need the turns before it (see the module)."""
    if last_answer is not None and last_answer.rstrip().endswith("?"):
        return True
    words = _WORD.findall(sentence.lower())
    if not words:
        return False
    if words[0] in _OPENERS or tuple(words[:2]) in _CONTINUATIONS:
        return True
    if words[-1] in _ENDINGS or " ".join(words[-2:]) in _ENDINGS:
        return True
    return any(word in _POINTERS for word in words)
