"""Covers (the garage door)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components.cover import CoverDeviceClass, CoverEntity, CoverEntityFeature

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
    setup_domain(hass, "cover", DemoCover, async_add_entities)


class DemoCover(DemoEntity, CoverEntity):
    """A cover that opens and closes at once."""

    _attr_supported_features = CoverEntityFeature.OPEN | CoverEntityFeature.CLOSE

    def __init__(self, item: dict[str, Any]) -> None:
        super().__init__(item)
        if item.get("device_class"):
            self._attr_device_class = CoverDeviceClass(item["device_class"])

    def reset_values(self) -> None:
        """Initial open/closed."""
        self._attr_is_closed = self.item["state"] == "closed"

    async def async_open_cover(self, **_kwargs: Any) -> None:
        """Open."""
        self._attr_is_closed = False
        self.async_write_ha_state()

    async def async_close_cover(self, **_kwargs: Any) -> None:
        """Close."""
        self._attr_is_closed = True
        self.async_write_ha_state()
