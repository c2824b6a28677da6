"""Spoken confirmations: risky actions wait here for a "yes" in the next turn.

A pending action belongs to one conversation id and lives for one turn: the
next sentence in that conversation either confirms it, cancels it, or (if it
is neither) drops it and is handled as a new command. It also expires after
``CONFIRM_WINDOW_S`` so a "yes" minutes later cannot open a door.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Final

from ..const import CONFIRM_WINDOW_S

# How our own yes-or-no questions begin (``guard.confirmation_question``, the repair's).
ARE_YOU_SURE: Final = "Are you sure you want me to "
DID_YOU_MEAN: Final = "Did you mean: "

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from homeassistant.components.conversation import ChatLog

_YES: Final = frozenset(
    {
        "yes",
        "yeah",
        "yep",
        "yup",
        "sure",
        "ok",
        "okay",
        "confirm",
        "confirmed",
        "do it",
        "yes please",
        "please do",
        "go ahead",
        "correct",
        "ja",
        "oui",
        "si",
        "sí",
        "da",
    }
)
_NO: Final = frozenset(
    {
        "no",
        "nope",
        "nah",
        "cancel",
        "stop",
        "don't",
        "do not",
        "never mind",
        "nevermind",
        "no thanks",
        "no thank you",
        "abort",
        "nein",
        "non",
    }
)
_CLEAN: Final = re.compile(r"[^\w\s']+")


class Reply(Enum):
    """How a sentence answers a pending confirmation."""

    YES = "yes"
    NO = "no"
    OTHER = "other"


def classify_reply(text: str) -> Reply:
    """Yes, no, or something else (a new command)."""
    words = " ".join(_CLEAN.sub(" ", text.lower()).split())
    if words in _YES:
        return Reply.YES
    if words in _NO:
        return Reply.NO
    return Reply.OTHER


@dataclass(slots=True)
class PendingAction:
    """An action held back until the user confirms it."""

    question: str  # what we asked, e.g. "Are you sure you want me to unlock Front Door?"
    name: str  # intent or tool name
    targets: list[str]  # entity ids
    execute: Callable[[ChatLog], Awaitable[str]]  # carries it out, returns the spoken report
    used_model: bool
    # Looked up on every call (not bound at import), so it is the same clock ``pop`` reads
    # even when a test freezes time.
    created: float = field(default_factory=lambda: time.monotonic())  # noqa: PLW0108


class PendingStore:
    """At most one pending action per conversation id."""

    def __init__(self, window_s: float = CONFIRM_WINDOW_S) -> None:
        self._window_s = window_s
        self._pending: dict[str, PendingAction] = {}

    def put(self, conversation_id: str, action: PendingAction) -> None:
        """Hold ``action`` for the next turn of ``conversation_id``."""
        self._pending[conversation_id] = action

    def pop(self, conversation_id: str | None) -> PendingAction | None:
        """Take the action pending for this conversation, if still fresh."""
        if conversation_id is None:
            return None
        action = self._pending.pop(conversation_id, None)
        if action is None or time.monotonic() - action.created > self._window_s:
            return None
        return action

    def __len__(self) -> int:
        return len(self._pending)

    def clear(self) -> None:
        """Forget everything (on unload)."""
        self._pending.clear()
