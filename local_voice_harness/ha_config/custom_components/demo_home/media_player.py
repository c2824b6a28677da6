"""Media players (only in houses that list some; the demo home has none).

A player records what it was asked to play and keeps its volume, like a
real one: ``play_media`` with ``announce`` plays over the music (the state
stays), without it the player plays the item (``playing``). Tests read
``played`` from the state's attributes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components.media_player import MediaPlayerEntity
from homeassistant.components.media_player.const import MediaPlayerEntityFeature, MediaPlayerState

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
    """Add the house's media players."""
    setup_domain(hass, "media_player", DemoMediaPlayer, async_add_entities)


class DemoMediaPlayer(DemoEntity, MediaPlayerEntity):
    """A player with a volume; ``announce: true`` in its spec line if it supports announcements."""

    def reset_values(self) -> None:
        """Initial state and volume."""
        self._attr_state = MediaPlayerState(self.item["state"])
        self._attr_volume_level = float(self.item.get("volume", 0.5))
        features = MediaPlayerEntityFeature.VOLUME_SET | MediaPlayerEntityFeature.PLAY_MEDIA
        if self.item.get("announce"):
            features |= MediaPlayerEntityFeature.MEDIA_ANNOUNCE
        self._attr_supported_features = features
        self.played: list[dict[str, Any]] = []
        self.volumes: list[float] = []

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """What it was asked to play, and every volume it was set to."""
        return {"played": list(self.played), "volumes": list(self.volumes)}

    async def async_set_volume_level(self, volume: float) -> None:
        """Set the volume."""
        self._attr_volume_level = volume
        self.volumes.append(volume)
        self.async_write_ha_state()

    async def async_play_media(self, media_type: str, media_id: str, **kwargs: Any) -> None:
        """Play (or announce over the music)."""
        announce = bool(kwargs.get("announce"))
        self.played.append({"media_id": media_id, "type": media_type, "announce": announce})
        if not announce:
            self._attr_state = MediaPlayerState.PLAYING
        self.async_write_ha_state()
