"""Local first: HA's own intents handle a sentence before any model is asked.

This is the only place the agent matches sentences locally, so later work
(repair of misheard commands) can wrap or replace it. It uses HA's default
agent through ``conversation.async_handle_intents`` (strict matching on
exposed entities), with an ``intent_filter`` that looks at every match before
it runs: risky actions and questions that parsed as actions are held back
and returned to the caller instead of being executed.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any

from homeassistant.components import conversation
from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import device_registry as dr

from .action_guard import Assessment, assess, looks_like_question
from .recognition_lock import one_recognition

if TYPE_CHECKING:
    from collections.abc import Collection

    from hassil.recognize import RecognizeResult
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers import intent


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
    assessment: Assessment | None
    response: intent.IntentResponse | None = None


def device_area_id(hass: HomeAssistant, device_id: str | None) -> str | None:
    """The area of the device that heard the sentence (HA prefers it for 'the lights')."""
    device = dr.async_get(hass).async_get(device_id) if device_id else None
    if device and device.area_id and ar.async_get(hass).async_get_area(device.area_id):
        return device.area_id
    return None


def _values(result: RecognizeResult) -> dict[str, Any]:
    return {entity.name: entity.value for entity in result.entities_list}


async def async_try_local(
    hass: HomeAssistant,
    user_input: conversation.ConversationInput,
    confirm: Collection[str],
) -> LocalOutcome | None:
    """Handle ``user_input`` with HA's intents, or None when nothing matched."""
    question = looks_like_question(user_input.text)
    seen: list[tuple[str, Assessment]] = []
    held: list[LocalKind] = []

    def intent_filter(result: RecognizeResult) -> bool:
        """Return True to stop HA from running this match."""
        verdict = assess(
            hass,
            result.intent.name,
            _values(result),
            language=user_input.language,
            device_id=user_input.device_id,
            confirm=confirm,
            preferred_area_id=device_area_id(hass, user_input.device_id),
        )
        seen.append((result.intent.name, verdict))
        if question and verdict.changes_state:
            held.append(LocalKind.HELD_QUESTION)
            return True
        if verdict.risky:
            held.append(LocalKind.HELD_RISKY)
            return True
        return False

    async with one_recognition(hass):
        response = await conversation.async_handle_intents(
            hass, user_input, intent_filter=intent_filter
        )
    if not seen:
        return None
    name, verdict = seen[-1]
    if held:
        return LocalOutcome(kind=held[-1], intent_name=name, assessment=verdict)
    if response is None:
        return None
    return LocalOutcome(
        kind=LocalKind.DONE, intent_name=name, assessment=verdict, response=response
    )


async def async_run_confirmed(
    hass: HomeAssistant, user_input: conversation.ConversationInput, intent_name: str
) -> intent.IntentResponse | None:
    """Run a held local match after the user said yes (same sentence, same intent)."""

    def only_that(result: RecognizeResult) -> bool:
        return result.intent.name != intent_name

    async with one_recognition(hass):
        return await conversation.async_handle_intents(hass, user_input, intent_filter=only_that)
