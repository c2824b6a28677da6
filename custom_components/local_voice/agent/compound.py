"""How many parts a request has, so the model loop knows when one call may not be all.

"switch off the bedroom light and the living room lamp" asks for two
changes; a small model makes one call per round, so after the first call
succeeded the loop asks the model again (``chat``). A plain command has one
part, and its turn still ends after the round whose call succeeded: no
second model round, no wait.

The parts are counted from the words that join them: "and", "then",
"also", "plus", "as well as", a comma or a semicolon (", and" counts once).
The count is generous on purpose ("I'm off to bed, switch off the lamp"
counts two): a part counted too many costs one model round whose answer is
not spoken, a part missed leaves a change undone. English only, like the
question words.
"""

from __future__ import annotations

import re
from typing import Final

_JOIN: Final = re.compile(
    r"(?:[,;]\s*)?\b(?:and\s+then|and|then|also|plus|as\s+well\s+as)\b|[,;](?!\d)"
)


def request_parts(text: str) -> int:
    """How many changes ``text`` may ask for: 1 plus the words and marks that join parts."""
    return 1 + len(_JOIN.findall(text.lower()))
