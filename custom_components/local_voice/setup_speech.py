"""Setup of a speech-to-text server entry: one entity, no model server needed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from homeassistant.const import Platform
from homeassistant.exceptions import ConfigEntryError

from .const import CONF_ASR_URI, DOMAIN
from .models import SpeechData
from .runtime import async_acquire, async_release
from .speech import parse_asr_uri

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .models import SpeechEntry

PLATFORMS: Final = (Platform.STT,)


async def async_setup_speech(hass: HomeAssistant, entry: SpeechEntry) -> bool:
    """Set up the speech-to-text entity (the server is described when it is added)."""
    try:
        host, port = parse_asr_uri(str(entry.data[CONF_ASR_URI]))
    except (KeyError, ValueError) as err:
        raise ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key="bad_speech_entry",
            translation_placeholders={"error": str(err)},
        ) from err
    entry.runtime_data = SpeechData(host, port)
    async_acquire(hass, entry)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_speech(hass: HomeAssistant, entry: SpeechEntry) -> bool:
    """Unload the entity."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if unloaded:
        async_release(hass, entry)
    return unloaded
