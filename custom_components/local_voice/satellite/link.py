"""The MQTT transport of one satellite: its subscriptions and its publishes.

Kept apart from the entity so that the entity reads as pipeline logic. All
payloads are bytes (``encoding=None``); a publish that fails because the
broker is away is logged, never raised into a callback.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.components import mqtt
from homeassistant.exceptions import HomeAssistantError

from .. import protocol as p
from ..const import DOMAIN, LOGGER

if TYPE_CHECKING:
    from collections.abc import Callable

    from homeassistant.components.mqtt import ReceiveMessage
    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import CALLBACK_TYPE, HomeAssistant

    type Handler = Callable[[ReceiveMessage], None]


class SatelliteLink:
    """Subscribe to and publish on ``local_voice/<satellite_id>/...``."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry, satellite_id: str) -> None:
        self.hass, self.entry, self.sid = hass, entry, satellite_id

    async def async_subscribe(
        self,
        *,
        availability: Handler,
        event: Handler,
        audio: Handler,
        announce: Handler,
        connection: Callable[[bool], None],
    ) -> list[CALLBACK_TYPE]:
        """Subscribe to what the satellite sends; returns the unsubscribe callbacks."""
        topics = (
            (p.availability_topic(self.sid), availability, 1),
            (p.event_topic(self.sid), event, 1),
            (f"{p.TOPIC_ROOT}/{self.sid}/audio/in/+", audio, 0),
            (p.announce_topic(self.sid), announce, 1),
        )
        unsubs = [
            await mqtt.async_subscribe(self.hass, topic, handler, qos, encoding=None)
            for topic, handler, qos in topics
        ]
        unsubs.append(mqtt.async_subscribe_connection_status(self.hass, connection))
        return unsubs

    async def subscribe(self, topic: str, handler: Handler, qos: int = 1) -> CALLBACK_TYPE:
        """One more subscription of this satellite's (timers); returns the unsubscribe."""
        return await mqtt.async_subscribe(self.hass, topic, handler, qos, encoding=None)

    async def publish(self, topic: str, payload: bytes, qos: int, *, retain: bool = False) -> None:
        """Publish and wait for the client to take it (raises if MQTT is away)."""
        await mqtt.async_publish(self.hass, topic, payload, qos, retain=retain, encoding=None)

    def send(self, topic: str, payload: bytes, *, retain: bool = False) -> None:
        """Fire-and-forget QoS 1 publish; a broker outage is logged."""

        async def send() -> None:
            try:
                await self.publish(topic, payload, 1, retain=retain)
            except (HomeAssistantError, OSError) as err:
                LOGGER.warning("Could not publish to %s: %s", topic, err)

        self.entry.async_create_background_task(self.hass, send(), f"{DOMAIN}_publish")

    def send_state(self, state: p.State) -> None:
        """Tell the satellite the pipeline state (and errors)."""
        self.send(p.state_topic(self.sid), p.encode(state))

    def send_command(self, command: p.Command) -> None:
        """Send a command without waiting."""
        self.send(p.command_topic(self.sid), p.encode(command))

    async def command(self, command: p.Command) -> None:
        """Send a command; raises if MQTT is away (service calls report it)."""
        await self.publish(p.command_topic(self.sid), p.encode(command), 1)
