"""Local Voice: a private, fully local voice assistant for Home Assistant.

One domain holds two kinds of config entry (see ``const.CONF_KIND``): the
conversation agent and MQTT satellites. Each kind has its own setup module so
that the two stay small and independent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .agent_setup import async_setup_agent_entry, async_unload_agent_entry
from .const import CONF_KIND, KIND_SATELLITE
from .satellite_setup import async_setup_satellite_entry, async_unload_satellite_entry
from .warmup import schedule_intent_warmup

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant


async def async_setup_entry(hass: HomeAssistant, entry: ConfigEntry) -> bool:
    """Set up an agent or a satellite entry; warm HA's intent matcher once HA runs."""
    if entry.data.get(CONF_KIND) == KIND_SATELLITE:
        ok = await async_setup_satellite_entry(hass, entry)
    else:
        ok = await async_setup_agent_entry(hass, entry)
    if ok:
        schedule_intent_warmup(hass, entry)
    return ok


async def async_unload_entry(hass: HomeAssistant, entry: ConfigEntry) -> bool:
    """Unload an agent or a satellite entry."""
    if entry.data.get(CONF_KIND) == KIND_SATELLITE:
        return await async_unload_satellite_entry(hass, entry)
    return await async_unload_agent_entry(hass, entry)
