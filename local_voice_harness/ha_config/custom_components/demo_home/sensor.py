"""Read-only sensors (temperature, humidity)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components.sensor import SensorDeviceClass, SensorEntity, SensorStateClass

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
    setup_domain(hass, "sensor", DemoSensor, async_add_entities)


class DemoSensor(DemoEntity, SensorEntity):
    """A measurement with a unit."""

    _attr_state_class = SensorStateClass.MEASUREMENT

    def __init__(self, item: dict[str, Any]) -> None:
        super().__init__(item)
        self._attr_native_unit_of_measurement = item.get("unit")
        if item.get("device_class"):
            self._attr_device_class = SensorDeviceClass(item["device_class"])

    def reset_values(self) -> None:
        """Initial reading."""
        self._attr_native_value = float(self.item["state"])
