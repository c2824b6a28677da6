"""Fans."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components.fan import FanEntity, FanEntityFeature

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
    """Add the house's fans."""
    setup_domain(hass, "fan", DemoFan, async_add_entities)


class DemoFan(DemoEntity, FanEntity):
    """An on/off fan with a speed."""

    _attr_supported_features = (
        FanEntityFeature.TURN_ON | FanEntityFeature.TURN_OFF | FanEntityFeature.SET_SPEED
    )

    def reset_values(self) -> None:
        """Initial on/off."""
        self._attr_is_on = self.item["state"] == "on"
        self._attr_percentage = 100 if self._attr_is_on else 0

    @property
    def is_on(self) -> bool | None:
        """On when running."""
        return self._attr_is_on

    async def async_turn_on(
        self,
        percentage: int | None = None,
        preset_mode: str | None = None,  # noqa: ARG002
        **_kwargs: Any,
    ) -> None:
        """Turn on, optionally at a speed."""
        self._attr_is_on = True
        self._attr_percentage = percentage if percentage is not None else 100
        self.async_write_ha_state()

    async def async_turn_off(self, **_kwargs: Any) -> None:
        """Turn off."""
        self._attr_is_on = False
        self._attr_percentage = 0
        self.async_write_ha_state()

    async def async_set_percentage(self, percentage: int) -> None:
        """Set speed; 0 turns off."""
        self._attr_percentage = percentage
        self._attr_is_on = percentage > 0
        self.async_write_ha_state()
