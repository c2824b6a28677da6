"""Helpers for the agent tests: a server entry, and talking to the agent like a pipeline."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components import conversation
from homeassistant.config_entries import ConfigSubentryData
from homeassistant.core import Context
from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.local_voice.const import (
    BACKEND_OLLAMA,
    CONF_BACKEND,
    CONF_KIND,
    CONF_MODEL,
    CONF_URL,
    DOMAIN,
    KIND_SERVER,
    SUBENTRY_AGENT,
)
from custom_components.local_voice.migration import VERSION, server_unique_id
from custom_components.local_voice.runtime import async_get_home

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from custom_components.local_voice.understanding.home import HomeUnderstanding

MODEL = "llama3.2:latest"


def server_entry(
    url: str, agent: dict[str, Any] | None = None, backend: str = BACKEND_OLLAMA, model: str = MODEL
) -> MockConfigEntry:
    """A server entry with one conversation agent (not yet added to hass)."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=url,
        version=VERSION,
        data={CONF_KIND: KIND_SERVER, CONF_BACKEND: backend, CONF_URL: url},
        unique_id=server_unique_id(backend, url),
        subentries_data=[
            ConfigSubentryData(
                data={CONF_MODEL: model, **(agent or {})},
                subentry_type=SUBENTRY_AGENT,
                title=model.removesuffix(":latest"),
                unique_id=None,
            )
        ],
    )


def agent_subentry_id(entry: MockConfigEntry) -> str:
    """The sub-entry id of the entry's (first) agent."""
    return next(iter(entry.subentries))


def agent_id(hass: HomeAssistant, entry: MockConfigEntry) -> str:
    """The entity id of the entry's (first) agent."""
    entity_id = er.async_get(hass).async_get_entity_id(
        "conversation", DOMAIN, agent_subentry_id(entry)
    )
    assert entity_id is not None
    return entity_id


async def say(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    text: str,
    conversation_id: str | None = None,
    *,
    device_id: str | None = None,
    satellite_id: str | None = None,
    language: str = "en",
) -> conversation.ConversationResult:
    """Send one sentence to the agent, as a pipeline would."""
    return await conversation.async_converse(
        hass,
        text,
        conversation_id,
        Context(),
        language=language,
        agent_id=agent_id(hass, entry),
        device_id=device_id,
        satellite_id=satellite_id,
    )


def home_of(hass: HomeAssistant) -> HomeUnderstanding:
    """The shared understanding of ``hass`` (an entry must be loaded)."""
    home = async_get_home(hass)
    assert home is not None
    return home


def user_input(text: str, **fields: Any) -> conversation.ConversationInput:
    """A sentence as a pipeline hands it to an agent."""
    values: dict[str, Any] = {
        "conversation_id": None, "device_id": None, "satellite_id": None,
        "language": "en", "agent_id": "test",
    }  # fmt: skip
    return conversation.ConversationInput(text=text, context=Context(), **{**values, **fields})


def speech(result: conversation.ConversationResult) -> str:
    """The spoken text of a result."""
    return str(result.response.speech["plain"]["speech"])


def device_in(hass: HomeAssistant, entry: MockConfigEntry, area: str) -> str:
    """The id of a device of ``entry`` placed in ``area``: a satellite that speaks there."""
    devices = dr.async_get(hass)
    key = area.lower().replace(" ", "_") + "_sat"
    device = devices.async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={(DOMAIN, key)}
    )
    found = ar.async_get(hass).async_get_area_by_name(area)
    assert found is not None, area
    devices.async_update_device(device.id, area_id=found.id)
    return device.id
