"""Per-satellite sensors: the next timer, and diagnostics (last command latency and transcript).

The next-timer sensor is a timestamp (when the soonest running timer ends;
unknown when none runs) with every timer of the satellite as an attribute,
fed by the satellite's timers (``satellite.timers``). The two diagnostic
sensors are fed by the satellite entity's pipeline events (a dispatcher signal
per satellite, ``const.SIGNAL_PIPELINE_EVENT``) and are disabled by default: they are for users who
want to see what the system is doing, not for every dashboard.

Latency is measured from the end of the spoken command (the last audio
chunk the satellite streamed) to the answer being ready (``tts-end``, or
``intent-end`` for a satellite without a speaker), in milliseconds, and is
published when the pipeline run ends.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from homeassistant.components.assist_pipeline import PipelineEventType
from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorStateClass,
)
from homeassistant.const import EntityCategory, UnitOfTime
from homeassistant.core import callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.dispatcher import async_dispatcher_connect

from . import protocol as p
from .const import DOMAIN, SIGNAL_PIPELINE_EVENT, SIGNAL_TIMERS

if TYPE_CHECKING:
    from homeassistant.components.assist_pipeline import PipelineEvent
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .models import SatelliteEntry

MAX_STATE_CHARS: Final = 255  # HA's limit for a state string


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001
    entry: SatelliteEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the satellite's sensors."""
    satellite_id = entry.runtime_data.announce.satellite_id
    async_add_entities(
        [
            NextTimerSensor(satellite_id),
            LastCommandLatencySensor(satellite_id),
            LastTranscriptSensor(satellite_id),
        ]
    )


class NextTimerSensor(SensorEntity):
    """When the satellite's soonest running timer ends; all its timers as attributes."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    _attr_device_class = SensorDeviceClass.TIMESTAMP
    _attr_translation_key = "next_timer"

    def __init__(self, satellite_id: str) -> None:
        self._satellite_id = satellite_id
        self._attr_unique_id = f"{satellite_id}-next_timer"
        self._attr_device_info = DeviceInfo(identifiers={(DOMAIN, satellite_id)})
        self._attr_extra_state_attributes = {"timers": []}

    async def async_added_to_hass(self) -> None:
        """Listen to this satellite's timers."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass, SIGNAL_TIMERS.format(self._satellite_id), self._on_timers
            )
        )

    @callback
    def _on_timers(self, timers: p.Timers) -> None:
        running = [t.ends_at for t in timers.timers if t.state == p.RUNNING and t.ends_at]
        self._attr_native_value = datetime.fromtimestamp(min(running), UTC) if running else None
        self._attr_extra_state_attributes = {
            "timers": [
                {
                    "id": t.timer_id,
                    "name": t.name,
                    "seconds": t.seconds,
                    "state": t.state,
                    "ends_at": datetime.fromtimestamp(t.ends_at, UTC).isoformat()
                    if t.ends_at
                    else None,
                    "seconds_left": t.left_at(timers.at),
                }
                for t in timers.timers
            ]
        }
        self.async_write_ha_state()


class _SatelliteSensor(SensorEntity):
    """A diagnostic sensor of one satellite, disabled until the user enables it."""

    _attr_has_entity_name = True
    _attr_entity_category = EntityCategory.DIAGNOSTIC
    _attr_entity_registry_enabled_default = False
    _attr_should_poll = False

    def __init__(self, satellite_id: str, key: str) -> None:
        self._satellite_id = satellite_id
        self._attr_translation_key = key
        self._attr_unique_id = f"{satellite_id}-{key}"
        self._attr_device_info = DeviceInfo(identifiers={(DOMAIN, satellite_id)})

    async def async_added_to_hass(self) -> None:
        """Listen to this satellite's pipeline events."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass, SIGNAL_PIPELINE_EVENT.format(self._satellite_id), self._on_pipeline_event
            )
        )

    @callback
    def _on_pipeline_event(self, event: PipelineEvent, last_audio: float | None) -> None:
        raise NotImplementedError


class LastCommandLatencySensor(_SatelliteSensor):
    """End of the spoken command to the answer being ready, in milliseconds."""

    _attr_device_class = SensorDeviceClass.DURATION
    _attr_state_class = SensorStateClass.MEASUREMENT
    _attr_native_unit_of_measurement = UnitOfTime.MILLISECONDS
    _attr_suggested_display_precision = 0

    def __init__(self, satellite_id: str) -> None:
        super().__init__(satellite_id, "last_command_latency")
        self._speech_end: float | None = None
        self._answer_at: float | None = None

    @callback
    def _on_pipeline_event(self, event: PipelineEvent, last_audio: float | None) -> None:
        now = time.monotonic()
        if event.type is PipelineEventType.RUN_START:
            self._speech_end = self._answer_at = None
        elif event.type is PipelineEventType.STT_END:
            self._speech_end = last_audio if last_audio is not None else now
        elif event.type in (PipelineEventType.INTENT_END, PipelineEventType.TTS_END):
            self._answer_at = now
        elif event.type is PipelineEventType.RUN_END:
            if self._speech_end is not None and self._answer_at is not None:
                latency_ms = (self._answer_at - self._speech_end) * 1000
                self._attr_native_value = round(max(latency_ms, 0.0))
                self.async_write_ha_state()
            self._speech_end = self._answer_at = None


class LastTranscriptSensor(_SatelliteSensor):
    """What speech to text heard last on this satellite."""

    def __init__(self, satellite_id: str) -> None:
        super().__init__(satellite_id, "last_transcript")

    @callback
    def _on_pipeline_event(self, event: PipelineEvent, last_audio: float | None) -> None:  # noqa: ARG002
        if event.type is not PipelineEventType.STT_END:
            return
        data: dict[str, Any] = event.data or {}
        output = data.get("stt_output")
        text = output.get("text") if isinstance(output, dict) else None
        if isinstance(text, str):
            self._attr_native_value = text.strip()[:MAX_STATE_CHARS]
            self.async_write_ha_state()
