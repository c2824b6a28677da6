"""Base entity: built from one line of home.yaml, resettable to it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components.homeassistant.exposed_entities import async_expose_entity
from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity import Entity

from .const import DATA_ENTITIES, DATA_SPEC

if TYPE_CHECKING:
    from collections.abc import Callable

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddEntitiesCallback


class DemoEntity(Entity):
    """An entity whose whole state comes from its spec line."""

    _attr_should_poll = False

    def __init__(self, item: dict[str, Any]) -> None:
        self.item = item
        self.entity_id = item["entity_id"]
        self._attr_unique_id = f"demo_home_{item['entity_id']}"
        self._attr_name = item["name"]
        self.reset_values()

    async def async_added_to_hass(self) -> None:
        """Place the entity in its area and apply its exposure to Assist."""
        area_name = self.item.get("area")
        area = ar.async_get(self.hass).async_get_area_by_name(area_name) if area_name else None
        er.async_get(self.hass).async_update_entity(
            self.entity_id, area_id=area.id if area else None
        )
        async_expose_entity(
            self.hass, "conversation", self.entity_id, bool(self.item.get("exposed", True))
        )

    def reset_values(self) -> None:
        """Load the initial values from the spec (subclasses extend)."""

    def reset(self) -> None:
        """Back to the initial state, and tell HA."""
        self.reset_values()
        if self.hass is not None:
            self.async_write_ha_state()


def setup_domain(
    hass: HomeAssistant,
    domain: str,
    factory: Callable[[dict[str, Any]], DemoEntity],
    async_add_entities: AddEntitiesCallback,
) -> None:
    """Create this platform's entities from the spec."""
    entities = [
        factory(item)
        for item in hass.data[DATA_SPEC]["entities"]
        if item["entity_id"].split(".", 1)[0] == domain
    ]
    for entity in entities:
        hass.data[DATA_ENTITIES][entity.entity_id] = entity
    async_add_entities(entities)
