"""English word lists the repair's guards and the agent's sentence rules use."""

from __future__ import annotations

from typing import Final

from .text import NUMBER

# Verbs of the requests HA's intents carry out.
COMMAND_VERBS: Final = frozenset(
    {
        "turn", "switch", "set", "open", "close", "shut", "lock", "unlock", "start", "stop",
        "activate", "deactivate", "dim", "brighten", "raise", "lower", "increase",
        "decrease", "put", "make", "pause", "resume", "unpause", "play", "toggle", "run",
        "arm", "disarm", "press", "change", "adjust", "enable", "disable", "cancel",
    }
)  # fmt: skip
# Everyday verbs for a change that HA's sentences do not use ("kill the lamp").
EVERYDAY_VERBS: Final = frozenset({"kill", "cut", "flip", "crank", "bump", "hit", "kick", "fire"})
# The words that say which way a change goes.
DIRECTIONS: Final = frozenset({"on", "off", "up", "down"})
# Articles: one added by a repair ("what is humidity" -> "what is the humidity")
# never completes a sentence the speaker is still saying.
ARTICLES: Final = frozenset({"the", "a", "an"})
# Forms of "to be": with no command verb, the sentence states or asks, it does not command.
COPULAS: Final = frozenset({"is", "are", "was", "were", "it's", "that's", "there's", "isn't"})
# Words that reverse an action: a repair that trades one for the other asks first.
OPPOSITES: Final = (
    ("lock", "unlock"), ("open", "close"), ("open", "shut"), ("on", "off"),
    ("start", "stop"), ("activate", "deactivate"), ("raise", "lower"),
    ("increase", "decrease"), ("brighten", "dim"), ("arm", "disarm"), ("up", "down"),
)  # fmt: skip
# Words a sentence repair may put in without guessing what is meant.
FRAME_STEMS: Final = frozenset(
    word.removesuffix("s")
    for word in COMMAND_VERBS
    | {"the", "a", "an", "on", "off", "in", "to", "of", "at", "my", "all", "please", "up",
       "down", "and", "is", "are", "what", "what's", "how", "it", "me", "degrees", "percent",
       NUMBER}
)  # fmt: skip
