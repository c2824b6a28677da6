"""Local first: HA's own intents handle a sentence before any model is asked.

HA's strict matcher runs the sentence on exposed entities; before a match
runs, ``safety.assess`` says what it would do, and two kinds of match are
held back instead of run: a risky action (it waits for a spoken "yes"), and
a question that parsed as an action ("is the garage open" must never open
it). The caller decides what to say for a held match. A sentence about an
entity that is not exposed is recognised too (``unexposed_named``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from .safety import Assessment, assess, speaker_area_id

if TYPE_CHECKING:
    from collections.abc import Collection

    from homeassistant.components import conversation
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers import intent

    from .home import HomeUnderstanding
    from .recognizer import Parse, Recognizer
    from .text import Heard


class LocalKind(Enum):
    """What happened on the local path."""

    DONE = "done"  # HA handled it (the response says how)
    HELD_RISKY = "held_risky"  # matched, needs a spoken confirmation first
    HELD_QUESTION = "held_question"  # a question that parsed as an action: not run


@dataclass(slots=True)
class LocalOutcome:
    """A sentence that HA's intents matched."""

    kind: LocalKind
    intent_name: str
    assessment: Assessment
    response: intent.IntentResponse | None = None


async def async_try_local(
    hass: HomeAssistant,
    recognizer: Recognizer,
    user_input: conversation.ConversationInput,
    chat_log: conversation.ChatLog,
    *,
    question: bool,
    confirm: Collection[str],
) -> LocalOutcome | None:
    """Handle ``user_input`` with HA's intents, or None when nothing matched."""
    area_id = speaker_area_id(hass, user_input.device_id, user_input.satellite_id)
    seen: list[tuple[str, Assessment]] = []
    held: list[LocalKind] = []

    def hold(parse: Parse) -> bool:
        verdict = assess(
            hass,
            parse.intent,
            parse.slots,
            language=user_input.language,
            device_id=user_input.device_id,
            confirm=confirm,
            preferred_area_id=area_id,
        )
        seen.append((parse.intent, verdict))
        if question and verdict.changes_state:
            held.append(LocalKind.HELD_QUESTION)
            return True
        if verdict.risky:
            held.append(LocalKind.HELD_RISKY)
            return True
        return False

    response = await recognizer.async_handle(user_input, chat_log, hold)
    if not seen:
        return None
    name, verdict = seen[-1]
    if held:
        return LocalOutcome(kind=held[-1], intent_name=name, assessment=verdict)
    if response is None:
        return None
    return LocalOutcome(LocalKind.DONE, name, verdict, response)


async def async_run_confirmed(
    recognizer: Recognizer,
    user_input: conversation.ConversationInput,
    chat_log: conversation.ChatLog,
    intent_name: str,
) -> intent.IntentResponse | None:
    """Run a held match after the user said yes (same sentence, same intent only)."""
    return await recognizer.async_handle(
        user_input, chat_log, lambda parse: parse.intent != intent_name
    )


def unexposed_named(home: HomeUnderstanding, heard: Heard) -> str | None:
    """The unexposed entity a sentence names, when it names no exposed one.

    "Turn on the basement light" with the basement light not exposed: HA's
    intents (exposed entities only) and the repair leave it alone, and a model
    could only be refused by the guard after a round trip of seconds. The
    answer is known here. A sentence that also names an exposed entity, or an
    unexposed name inside a longer exposed one, goes on to the model.
    """
    snapshot = home.lexicon().snapshot
    named = [name for name in snapshot.unexposed if heard.contains(name)]
    if not named or any(heard.contains(term.text) for term in snapshot.names):
        return None
    return max(named, key=len)
