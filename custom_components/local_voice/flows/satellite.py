"""Config flow steps for MQTT satellites (discovery on ``local_voice/+/announce``).

A satellite's retained announce starts a discovery flow; the user confirms it
and picks its area, so that "turn on the light" spoken there means that
area's light. Nothing is created for an announce that breaks the protocol.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components import mqtt
from homeassistant.config_entries import ConfigFlow, ConfigFlowResult, OptionsFlow
from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import selector

from .. import protocol as p
from ..compat import vol
from ..const import (
    CONF_ANNOUNCE,
    CONF_ANSWER_PLAYER,
    CONF_ARBITRATION_MS,
    CONF_AREA_ID,
    CONF_DUCK,
    CONF_DUCK_PERCENT,
    CONF_END_ON_COMMAND,
    CONF_FOLLOW_UP_S,
    CONF_KIND,
    CONF_SATELLITE_ID,
    CONF_SILENCE_MS,
    DEFAULT_ARBITRATION_MS,
    DEFAULT_DUCK,
    DEFAULT_DUCK_PERCENT,
    DEFAULT_END_ON_COMMAND,
    DEFAULT_FOLLOW_UP_S,
    DOMAIN,
    KIND_SATELLITE,
    LOGGER,
    MAX_ARBITRATION_MS,
    MAX_FOLLOW_UP_S,
)
from ..satellite.endpointing import silence_ms
from ..satellite.media import area_media_players

if TYPE_CHECKING:
    from homeassistant.helpers.service_info.mqtt import MqttServiceInfo


class SatelliteSteps(ConfigFlow):
    """Discovery-initiated steps that create a satellite entry."""

    _announce: p.Announce | None = None

    async def async_step_mqtt(self, discovery_info: MqttServiceInfo) -> ConfigFlowResult:
        """A satellite announced itself."""
        if not discovery_info.payload:
            return self.async_abort(reason="announce_removed")
        try:
            topic = p.parse_topic(discovery_info.topic)
            payload = discovery_info.payload
            if isinstance(payload, bytearray):
                payload = bytes(payload)
            announce = p.parse_announce(payload, topic.satellite_id)
        except p.ProtocolError as err:
            LOGGER.warning("Ignoring invalid announce on %s: %s", discovery_info.topic, err)
            return self.async_abort(
                reason="invalid_announce", description_placeholders={"error": str(err)}
            )
        await self.async_set_unique_id(announce.satellite_id)
        self._abort_if_unique_id_configured()
        self._announce = announce
        self.context["title_placeholders"] = {"name": announce.name}
        return await self.async_step_confirm_satellite()

    async def async_step_confirm_satellite(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The user confirms the satellite and picks its area."""
        announce = self._announce
        if announce is None:
            return self.async_abort(reason="invalid_announce")
        if not await mqtt.async_wait_for_mqtt_client(self.hass):
            return self.async_abort(reason="mqtt_missing")
        if user_input is not None:
            return self.async_create_entry(
                title=announce.name,
                data={
                    CONF_KIND: KIND_SATELLITE,
                    CONF_SATELLITE_ID: announce.satellite_id,
                    CONF_ANNOUNCE: announce.to_dict(),
                    CONF_AREA_ID: user_input.get(CONF_AREA_ID),
                },
            )
        area = ar.async_get(self.hass).async_get_area_by_name(announce.area or "")
        schema = vol.Schema(
            {
                vol.Optional(
                    CONF_AREA_ID, description={"suggested_value": area.id if area else None}
                ): selector.AreaSelector(),
            }
        )
        return self.async_show_form(
            step_id="confirm_satellite",
            data_schema=schema,
            description_placeholders={
                "name": announce.name,
                "satellite_id": announce.satellite_id,
                "area": announce.area or "-",
                "software": announce.software,
            },
        )


class SatelliteOptionsFlow(OptionsFlow):
    """Per-satellite options: endpointing, arbitration, follow-up, the room's media players."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Start at the satellite step (its own id keeps strings apart from the agent's)."""
        return await self.async_step_satellite(user_input)

    async def async_step_satellite(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Endpointing, arbitration window, follow-up window, answer player and ducking."""
        errors: dict[str, str] = {}
        if user_input is not None:
            player = user_input.get(CONF_ANSWER_PLAYER) or None
            if player is not None and player not in area_media_players(self.hass, self._area_id()):
                errors[CONF_ANSWER_PLAYER] = "player_not_in_area"
            else:
                data: dict[str, Any] = {
                    CONF_END_ON_COMMAND: bool(user_input[CONF_END_ON_COMMAND]),
                    CONF_ARBITRATION_MS: int(user_input[CONF_ARBITRATION_MS]),
                    CONF_FOLLOW_UP_S: int(user_input[CONF_FOLLOW_UP_S]),
                    CONF_ANSWER_PLAYER: player,
                    CONF_DUCK: bool(user_input[CONF_DUCK]),
                    CONF_DUCK_PERCENT: int(user_input[CONF_DUCK_PERCENT]),
                }
                old = self.config_entry.options
                silence = int(user_input[CONF_SILENCE_MS])
                # The silence the form offered by default follows the option above (700 ms
                # with semantic endpointing, else 300); kept only once the user chose one.
                if CONF_SILENCE_MS in old or silence != silence_ms(old):
                    data[CONF_SILENCE_MS] = silence
                return self.async_create_entry(data=data)
        return self.async_show_form(
            step_id="satellite", data_schema=self._schema(user_input), errors=errors
        )

    def _area_id(self) -> str | None:
        satellite_id = self.config_entry.data[CONF_SATELLITE_ID]
        device = dr.async_get(self.hass).async_get_device(identifiers={(DOMAIN, satellite_id)})
        return device.area_id if device else None

    def _schema(self, user_input: dict[str, Any] | None) -> vol.Schema:
        values = {**self.config_entry.options, **(user_input or {})}
        player = values.get(CONF_ANSWER_PLAYER)
        return vol.Schema(
            {
                vol.Required(CONF_SILENCE_MS, default=silence_ms(values)): _number(
                    p.MIN_SILENCE_MS, p.MAX_SILENCE_MS, 50, "ms"
                ),
                vol.Required(
                    CONF_END_ON_COMMAND,
                    default=values.get(CONF_END_ON_COMMAND, DEFAULT_END_ON_COMMAND),
                ): bool,
                vol.Required(
                    CONF_ARBITRATION_MS,
                    default=values.get(CONF_ARBITRATION_MS, DEFAULT_ARBITRATION_MS),
                ): _number(0, MAX_ARBITRATION_MS, 10, "ms"),
                vol.Required(
                    CONF_FOLLOW_UP_S, default=values.get(CONF_FOLLOW_UP_S, DEFAULT_FOLLOW_UP_S)
                ): _number(0, MAX_FOLLOW_UP_S, 1, "s"),
                vol.Optional(
                    CONF_ANSWER_PLAYER, description={"suggested_value": player}
                ): selector.EntitySelector(selector.EntitySelectorConfig(domain="media_player")),
                vol.Required(CONF_DUCK, default=values.get(CONF_DUCK, DEFAULT_DUCK)): bool,
                vol.Required(
                    CONF_DUCK_PERCENT, default=values.get(CONF_DUCK_PERCENT, DEFAULT_DUCK_PERCENT)
                ): _number(0, 100, 5, "%"),
            }
        )


def _number(lo: float, hi: float, step: float, unit: str) -> selector.NumberSelector:
    return selector.NumberSelector(
        selector.NumberSelectorConfig(
            min=lo,
            max=hi,
            step=step,
            unit_of_measurement=unit,
            mode=selector.NumberSelectorMode.BOX,
        )
    )
