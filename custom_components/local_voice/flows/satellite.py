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
from homeassistant.helpers import selector

from .. import protocol as p
from ..compat import vol
from ..const import (
    CONF_ANNOUNCE,
    CONF_AREA_ID,
    CONF_KIND,
    CONF_SATELLITE_ID,
    CONF_SILENCE_MS,
    DEFAULT_SILENCE_MS,
    KIND_SATELLITE,
    LOGGER,
)

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
    """Per-satellite options: how long its VAD waits after speech."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Start at the satellite step (its own id keeps strings apart from the agent's)."""
        return await self.async_step_satellite(user_input)

    async def async_step_satellite(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Endpointing silence in milliseconds."""
        if user_input is not None:
            return self.async_create_entry(data={CONF_SILENCE_MS: int(user_input[CONF_SILENCE_MS])})
        current = self.config_entry.options.get(CONF_SILENCE_MS, DEFAULT_SILENCE_MS)
        schema = vol.Schema(
            {
                vol.Required(CONF_SILENCE_MS, default=current): selector.NumberSelector(
                    selector.NumberSelectorConfig(
                        min=p.MIN_SILENCE_MS,
                        max=p.MAX_SILENCE_MS,
                        step=50,
                        unit_of_measurement="ms",
                        mode=selector.NumberSelectorMode.BOX,
                    )
                ),
            }
        )
        return self.async_show_form(step_id="satellite", data_schema=schema)
