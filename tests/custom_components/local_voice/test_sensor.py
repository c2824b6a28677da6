"""Per-satellite sensors (last command latency, last transcript), fed by a real pipeline.

Real HA core with the demo home, a real mosquitto, HA's MQTT and Wyoming
integrations, our ASR and TTS servers as processes, and a simulated
satellite speaking a dev command over MQTT.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import pytest
from homeassistant.components import mqtt
from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er

from custom_components.local_voice.const import DOMAIN
from local_voice_harness.ha_satellite import (
    confirm_satellite,
    satellite_entity_id,
    setup_mqtt,
    setup_voice_pipeline,
    wait_until,
)
from local_voice_harness.satellite_sim import SatelliteSim, read_pcm

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from local_voice_harness.commands import SpokenCommand
    from local_voice_harness.mosquitto import Mosquitto

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("socket_enabled"), pytest.mark.timeout(90)]


async def test_sensors_are_disabled_by_default_then_report_the_last_command(
    demo_home: HomeAssistant,
    private_broker: Mosquitto,
    asr_server: Any,
    tts_server: Any,
    dev_commands: list[SpokenCommand],
) -> None:
    hass = demo_home
    await setup_voice_pipeline(
        hass, (asr_server.host, asr_server.port), (tts_server.host, tts_server.port)
    )
    sim = SatelliteSim(private_broker.host, private_broker.port, "kitchen")
    await hass.async_add_executor_job(sim.connect)
    try:
        await setup_mqtt(hass, private_broker.host, private_broker.port)
        kitchen = ar.async_get(hass).async_get_area_by_name("Kitchen")
        assert kitchen is not None
        entry = await confirm_satellite(hass, "kitchen", kitchen.id)

        registry = er.async_get(hass)
        ids = {
            key: registry.async_get_entity_id("sensor", DOMAIN, f"kitchen-{key}")
            for key in ("last_command_latency", "last_transcript")
        }
        device = dr.async_get(hass).async_get_device(identifiers={(DOMAIN, "kitchen")})
        assert device is not None
        for entity_id in ids.values():
            assert entity_id is not None
            entity = registry.async_get(entity_id)
            assert entity is not None
            assert entity.disabled_by is er.RegistryEntryDisabler.INTEGRATION
            assert entity.entity_category is not None
            assert entity.device_id == device.id
            registry.async_update_entity(entity_id, disabled_by=None)
        assert await hass.config_entries.async_reload(entry.entry_id)
        await hass.async_block_till_done()
        latency_id, transcript_id = ids["last_command_latency"], ids["last_transcript"]
        assert latency_id is not None
        assert transcript_id is not None
        assert hass.states.get(latency_id).state == "unknown"

        satellite = satellite_entity_id(hass, "kitchen")
        await wait_until(lambda: hass.states.get(satellite).state == "idle")
        await wait_until(lambda: mqtt.is_connected(hass))
        await hass.async_block_till_done()
        await asyncio.sleep(0.7)  # HA batches SUBSCRIBE packets (FACTS.md)

        command = next(c for c in dev_commands if c.audio.name == "cmd01.wav")
        pcm = read_pcm(command.audio)
        sid = await hass.async_add_executor_job(lambda: sim.speak(pcm, chunk_ms=30))
        await hass.async_add_executor_job(lambda: sim.wait_stream(sid, 45))
        await wait_until(lambda: hass.states.get(latency_id).state != "unknown", within=15)

        transcript = hass.states.get(transcript_id)
        assert "kitchen light" in transcript.state.lower()
        latency = hass.states.get(latency_id)
        assert latency.attributes["unit_of_measurement"] == "ms"
        # Speech to text, intent and TTS on a loaded 2-core machine: more than
        # nothing, far less than the 45 s the answer was allowed.
        assert 20 < float(latency.state) < 20_000
    finally:
        sim.close()
