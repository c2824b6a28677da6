"""Dimmable lights."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components.light import ATTR_BRIGHTNESS, LightEntity
from homeassistant.components.light.const import ColorMode

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
    """Add the house's lights."""
    setup_domain(hass, "light", DemoLight, async_add_entities)


class DemoLight(DemoEntity, LightEntity):
    """A light with brightness."""

    _attr_supported_color_modes = {ColorMode.BRIGHTNESS}  # noqa: RUF012
    _attr_color_mode = ColorMode.BRIGHTNESS

    def reset_values(self) -> None:
        """Initial on/off and brightness."""
        self._attr_is_on = self.item["state"] == "on"
        pct = self.item.get("brightness_pct", 100)
        self._attr_brightness = round(255 * pct / 100)

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Turn on, optionally at a brightness."""
        self._attr_is_on = True
        if ATTR_BRIGHTNESS in kwargs:
            self._attr_brightness = kwargs[ATTR_BRIGHTNESS]
        self.async_write_ha_state()

    async def async_turn_off(self, **_kwargs: Any) -> None:
        """Turn off."""
        self._attr_is_on = False
        self.async_write_ha_state()
