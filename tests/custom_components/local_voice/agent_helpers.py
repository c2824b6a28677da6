"""Helpers for the agent tests: talk to the agent like a pipeline does."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.components import conversation
from homeassistant.core import Context
from homeassistant.helpers import entity_registry as er

from custom_components.local_voice.const import DOMAIN

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

MODEL = "llama3.2:latest"


def agent_id(hass: HomeAssistant, entry: MockConfigEntry) -> str:
    """The entity id of the entry's conversation entity."""
    entity_id = er.async_get(hass).async_get_entity_id("conversation", DOMAIN, entry.entry_id)
    assert entity_id is not None
    return entity_id


async def say(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    text: str,
    conversation_id: str | None = None,
    device_id: str | None = None,
) -> conversation.ConversationResult:
    """Send one sentence to the agent, as a pipeline would."""
    return await conversation.async_converse(
        hass,
        text,
        conversation_id,
        Context(),
        language="en",
        agent_id=agent_id(hass, entry),
        device_id=device_id,
    )


def speech(result: conversation.ConversationResult) -> str:
    """The spoken text of a result."""
    return str(result.response.speech["plain"]["speech"])
