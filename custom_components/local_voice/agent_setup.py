"""Setup of an agent config entry: check Ollama, then add the conversation entity."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.const import Platform
from homeassistant.exceptions import ConfigEntryError, ConfigEntryNotReady

from .agent_data import AgentConfigEntry, AgentRuntimeData, AgentSettings
from .const import SETUP_TIMEOUT
from .ollama_api import OllamaError, async_list_models, make_client

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant

PLATFORMS = (Platform.CONVERSATION, Platform.STT)


async def async_setup_agent_entry(hass: HomeAssistant, entry: ConfigEntry) -> bool:
    """Reach Ollama (retry later if it is down), then set up the agent entity."""
    agent_entry: AgentConfigEntry = entry
    try:
        settings = AgentSettings.from_entry(entry.data, entry.options)
    except (KeyError, TypeError, ValueError) as err:
        raise ConfigEntryError(f"Agent entry is incomplete ({err}); reconfigure it") from err
    client = make_client(settings.url, settings.timeout)
    try:
        models = await async_list_models(client, SETUP_TIMEOUT)
    except OllamaError as err:
        raise ConfigEntryNotReady(f"Ollama at {settings.url} is not reachable: {err}") from err
    if settings.model not in models:
        raise ConfigEntryNotReady(f"Ollama at {settings.url} has no model {settings.model}")
    agent_entry.runtime_data = AgentRuntimeData(client=client, settings=settings)
    entry.async_on_unload(entry.add_update_listener(_async_options_updated))
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_agent_entry(hass: HomeAssistant, entry: ConfigEntry) -> bool:
    """Unload the entity and forget pending confirmations."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if unloaded:
        agent_entry: AgentConfigEntry = entry
        agent_entry.runtime_data.pending.clear()
    return unloaded


async def _async_options_updated(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Options change prompt, tools and features: reload."""
    await hass.config_entries.async_reload(entry.entry_id)
