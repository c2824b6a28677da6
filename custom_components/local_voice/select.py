"""Per satellite: which Assist pipeline it uses, and how long HA's voice detector waits.

HA's own select entities (as its ESPHome satellites use them); the satellite
entity finds them by unique id. A satellite that ends its utterances itself
(``vad`` in its announce) does so before HA's detector would.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.components.assist_pipeline import AssistPipelineSelect, VadSensitivitySelect

from .const import DOMAIN
from .entity import satellite_device_info

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .models import SatelliteEntry
    from .protocol import Announce


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SatelliteEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the satellite's pipeline and voice-detector selects."""
    announce = entry.runtime_data.announce
    async_add_entities(
        [SatellitePipelineSelect(hass, announce), SatelliteVadSensitivitySelect(hass, announce)]
    )


def select_unique_ids(satellite_id: str) -> tuple[str, str]:
    """Unique ids of the pipeline and voice-detector selects of a satellite."""
    return f"{satellite_id}-pipeline", f"{satellite_id}-vad_sensitivity"


class SatellitePipelineSelect(AssistPipelineSelect):
    """The satellite's Assist pipeline."""

    _attr_has_entity_name = True

    def __init__(self, hass: HomeAssistant, announce: Announce) -> None:
        super().__init__(hass, DOMAIN, announce.satellite_id)
        self._attr_device_info = satellite_device_info(announce)


class SatelliteVadSensitivitySelect(VadSensitivitySelect):
    """How long HA's voice detector waits after speech on this satellite."""

    _attr_has_entity_name = True

    def __init__(self, hass: HomeAssistant, announce: Announce) -> None:
        super().__init__(hass, announce.satellite_id)
        self._attr_device_info = satellite_device_info(announce)
