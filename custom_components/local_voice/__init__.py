"""Local Voice: a private, fully local voice assistant for Home Assistant.

Three kinds of config entry share the domain (``const.CONF_KIND``):
- a language model server (Ollama or OpenAI-compatible); each of its
  ``conversation`` sub-entries is one conversation agent;
- a speech-to-text server (Wyoming), for a speech-to-text entity that sends
  the home's names with every request; it needs no model server;
- an MQTT satellite, found by MQTT discovery.
Each kind has its own setup module (``setup_*``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.helpers import config_validation as cv

from .const import CONF_KIND, DOMAIN, KIND_SATELLITE, KIND_SERVER, KIND_SPEECH
from .migration import async_migrate
from .setup_satellite import async_setup_satellite, async_unload_satellite
from .setup_server import async_setup_server, async_unload_server
from .setup_speech import async_setup_speech, async_unload_speech

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)

type _Step = Callable[[HomeAssistant, ConfigEntry], Awaitable[bool]]
_SETUP: dict[str, tuple[_Step, _Step]] = {
    KIND_SERVER: (async_setup_server, async_unload_server),
    KIND_SPEECH: (async_setup_speech, async_unload_speech),
    KIND_SATELLITE: (async_setup_satellite, async_unload_satellite),
}


async def async_setup_entry(hass: HomeAssistant, entry: ConfigEntry) -> bool:
    """Set up an entry of any kind."""
    setup, _unload = _SETUP[entry.data[CONF_KIND]]
    return await setup(hass, entry)


async def async_unload_entry(hass: HomeAssistant, entry: ConfigEntry) -> bool:
    """Unload an entry of any kind."""
    _setup, unload = _SETUP[entry.data[CONF_KIND]]
    return await unload(hass, entry)


async def async_migrate_entry(hass: HomeAssistant, entry: ConfigEntry) -> bool:
    """Bring an entry made by an older version up to date (see ``migration``)."""
    return await async_migrate(hass, entry)
