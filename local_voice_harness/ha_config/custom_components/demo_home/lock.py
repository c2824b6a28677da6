"""Locks (the front door)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components.lock import LockEntity

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
    setup_domain(hass, "lock", DemoLock, async_add_entities)


class DemoLock(DemoEntity, LockEntity):
    """A lock that locks and unlocks at once."""

    def reset_values(self) -> None:
        """Initial locked/unlocked."""
        self._attr_is_locked = self.item["state"] == "locked"

    async def async_lock(self, **_kwargs: Any) -> None:
        """Lock."""
        self._attr_is_locked = True
        self.async_write_ha_state()

    async def async_unlock(self, **_kwargs: Any) -> None:
        """Unlock."""
        self._attr_is_locked = False
        self.async_write_ha_state()
