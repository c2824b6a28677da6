"""Setup of a satellite entry: MQTT present, the announce validated once, the device.

The integration loads without MQTT (agent-only users); a satellite entry
needs HA's MQTT integration and says so, then retries, if it is missing.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Final

from homeassistant.components import mqtt
from homeassistant.const import Platform
from homeassistant.exceptions import ConfigEntryError, ConfigEntryNotReady
from homeassistant.helpers import device_registry as dr

from . import protocol as p
from .const import CONF_ANNOUNCE, CONF_AREA_ID, DOMAIN
from .entity import satellite_device_info
from .models import SatelliteData
from .runtime import async_acquire_arbiter, async_release

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant

    from .models import SatelliteEntry

PLATFORMS: Final = (Platform.ASSIST_SATELLITE, Platform.SELECT, Platform.SENSOR)


async def async_setup_satellite(hass: HomeAssistant, entry: SatelliteEntry) -> bool:
    """Set up the satellite entry."""
    if not await mqtt.async_wait_for_mqtt_client(hass):
        raise ConfigEntryNotReady(translation_domain=DOMAIN, translation_key="mqtt_missing")
    try:  # the stored announce came from the network: validated again
        announce = p.parse_announce(json.dumps(entry.data[CONF_ANNOUNCE]))
    except (KeyError, TypeError, p.ProtocolError) as err:
        raise ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key="bad_satellite_entry",
            translation_placeholders={"error": str(err)},
        ) from err
    entry.runtime_data = SatelliteData(announce)
    registry = dr.async_get(hass)
    device = registry.async_get_or_create(
        config_entry_id=entry.entry_id, **satellite_device_info(announce)
    )
    if device.area_id is None and (area_id := entry.data.get(CONF_AREA_ID)):
        registry.async_update_device(device.id, area_id=area_id)
    entry.async_on_unload(entry.add_update_listener(_async_reload))
    async_acquire_arbiter(hass, entry)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_satellite(hass: HomeAssistant, entry: SatelliteEntry) -> bool:
    """Unload the satellite entry."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if unloaded:
        async_release(hass, entry)
    return unloaded


async def _async_reload(hass: HomeAssistant, entry: ConfigEntry) -> None:
    await hass.config_entries.async_reload(entry.entry_id)
