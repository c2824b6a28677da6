"""The media players in a satellite's area: answers on one of them, music ducked meanwhile.

Per satellite (its options): answers and announcements can play on a chosen
``media_player`` in the satellite's area instead of the satellite's own
speaker, and the area's players that are playing are turned down while the
satellite listens and speaks. Only public services are used
(``media_player.play_media`` with ``announce`` where the player supports it,
``media_player.volume_set``), and exactly what was changed is put back: a
player's volume is restored only while it is still the ducked value (the user
may have changed it meanwhile).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from homeassistant.components.media_player.browse_media import async_process_play_media_url
from homeassistant.components.media_player.const import (
    ATTR_MEDIA_ANNOUNCE,
    ATTR_MEDIA_CONTENT_ID,
    ATTR_MEDIA_CONTENT_TYPE,
    ATTR_MEDIA_VOLUME_LEVEL,
    SERVICE_PLAY_MEDIA,
    MediaPlayerEntityFeature,
    MediaType,
)
from homeassistant.components.media_player.const import DOMAIN as MEDIA_PLAYER
from homeassistant.const import ATTR_ENTITY_ID, ATTR_SUPPORTED_FEATURES, SERVICE_VOLUME_SET
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

_LOGGER: Final = logging.getLogger(__name__)
_PLAYING: Final = frozenset({"playing", "buffering"})
_SAME_VOLUME: Final = 0.011  # volume_level is a float: a player may round it


def area_media_players(hass: HomeAssistant, area_id: str | None) -> list[str]:
    """The ``media_player`` entities in an area (their own area, or their device's)."""
    if area_id is None:
        return []
    entities, devices = er.async_get(hass), dr.async_get(hass)
    found = {e.entity_id for e in er.async_entries_for_area(entities, area_id)}
    for device in dr.async_entries_for_area(devices, area_id):
        for entry in er.async_entries_for_device(entities, device.id):
            if entry.area_id is None:
                found.add(entry.entity_id)
    return sorted(e for e in found if e.startswith(f"{MEDIA_PLAYER}."))


@dataclass(frozen=True, slots=True)
class MediaOptions:
    """A satellite's choices: where answers play, and how far music is turned down."""

    answer_player: str | None = None
    duck: bool = True
    duck_percent: int = 20


class AreaMedia:
    """Ducking and answer playback for the area a satellite's device is in."""

    def __init__(self, hass: HomeAssistant, satellite_id: str, options: MediaOptions) -> None:
        self.hass, self.satellite_id, self.options = hass, satellite_id, options
        self._ducked: dict[str, tuple[float, float]] = {}  # entity -> (saved, set)

    def area_id(self) -> str | None:
        """The area of the satellite's device (it can change at any time)."""
        device = dr.async_get(self.hass).async_get_device(
            identifiers={("local_voice", self.satellite_id)}
        )
        return device.area_id if device else None

    @property
    def answer_player(self) -> str | None:
        """The media player answers go to, while it exists and is in the area."""
        player = self.options.answer_player
        if player is None or player not in area_media_players(self.hass, self.area_id()):
            return None
        state = self.hass.states.get(player)
        return player if state is not None and state.state != "unavailable" else None

    async def duck(self) -> None:
        """Turn down the area's playing media players (once per listening turn)."""
        if not self.options.duck:
            return
        factor = self.options.duck_percent / 100
        for player in area_media_players(self.hass, self.area_id()):
            state = self.hass.states.get(player)
            if player in self._ducked or state is None or state.state not in _PLAYING:
                continue
            features = int(state.attributes.get(ATTR_SUPPORTED_FEATURES, 0))
            volume = state.attributes.get(ATTR_MEDIA_VOLUME_LEVEL)
            if not features & MediaPlayerEntityFeature.VOLUME_SET or not isinstance(
                volume, int | float
            ):
                continue
            lowered = round(float(volume) * factor, 3)
            if await self._set_volume(player, lowered):
                self._ducked[player] = (float(volume), lowered)
                _LOGGER.debug(
                    "%s: ducked %s from %.2f to %.2f", self.satellite_id, player, volume, lowered
                )

    async def restore(self, only: str | None = None) -> None:
        """Put back the volumes this turned down (unless someone changed them since)."""
        for player, (saved, lowered) in list(self._ducked.items()):
            if only is not None and player != only:
                continue
            del self._ducked[player]
            state = self.hass.states.get(player)
            now = state.attributes.get(ATTR_MEDIA_VOLUME_LEVEL) if state else None
            if isinstance(now, int | float) and abs(float(now) - lowered) < _SAME_VOLUME:
                await self._set_volume(player, saved)
            else:
                _LOGGER.debug("%s: %s changed meanwhile, volume left", self.satellite_id, player)

    @property
    def ducking(self) -> bool:
        """True while some player is turned down."""
        return bool(self._ducked)

    async def play(self, player: str, url: str) -> None:
        """Play ``url`` (HA's TTS proxy) on ``player``, as an announcement where it can."""
        await self.restore(only=player)  # an announcement plays at the player's own volume
        state = self.hass.states.get(player)
        features = int(state.attributes.get(ATTR_SUPPORTED_FEATURES, 0)) if state else 0
        data: dict[str, object] = {
            ATTR_ENTITY_ID: player,
            ATTR_MEDIA_CONTENT_ID: async_process_play_media_url(self.hass, url),
            ATTR_MEDIA_CONTENT_TYPE: MediaType.MUSIC,
        }
        if features & MediaPlayerEntityFeature.MEDIA_ANNOUNCE:
            data[ATTR_MEDIA_ANNOUNCE] = True
        await self.hass.services.async_call(MEDIA_PLAYER, SERVICE_PLAY_MEDIA, data, blocking=True)

    async def _set_volume(self, player: str, volume: float) -> bool:
        try:
            await self.hass.services.async_call(
                MEDIA_PLAYER,
                SERVICE_VOLUME_SET,
                {ATTR_ENTITY_ID: player, ATTR_MEDIA_VOLUME_LEVEL: volume},
                blocking=True,
            )
        except HomeAssistantError as err:
            _LOGGER.warning(
                "%s: could not set the volume of %s: %s", self.satellite_id, player, err
            )
            return False
        return True
