"""Binary sensors (the back door contact)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components.binary_sensor import BinarySensorDeviceClass, BinarySensorEntity

from .entity import DemoEntity, setup_domain

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddEntitiesCallback
    from homeassistant.helpers.typing import ConfigType, DiscoveryInfoType


async def async_setup_platform(
    hass: HomeAssistant,
    _config: ConfigType,
    async_add_entities: AddEntitiesCallback,
    _discovery_info: DiscoveryInfoType | None = None,
) -> None:
    """Add this platform's entities from the spec."""
    setup_domain(hass, "binary_sensor", DemoBinarySensor, async_add_entities)


class DemoBinarySensor(DemoEntity, BinarySensorEntity):
    """A contact sensor."""

    def __init__(self, item: dict[str, Any]) -> None:
        super().__init__(item)
        if item.get("device_class"):
            self._attr_device_class = BinarySensorDeviceClass(item["device_class"])

    def reset_values(self) -> None:
        """Initial on/off."""
        self._attr_is_on = self.item["state"] == "on"
