"""Agent fixtures: the scripted Ollama on a real socket, and a loaded server entry with one agent."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from agent_helpers import MODEL, server_entry

from local_voice_harness.fake_ollama import FakeOllama

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry


@pytest.fixture
async def fake_ollama(socket_enabled: None) -> AsyncIterator[FakeOllama]:
    """A scripted Ollama with one model, on a free loopback port."""
    async with FakeOllama(models=[MODEL], pullable=["qwen2.5:3b"]) as server:
        yield server


@pytest.fixture
def agent_options() -> dict[str, Any]:
    """The agent's sub-entry data beyond the model (tests override this fixture)."""
    return {"request_timeout": 3.0}


@pytest.fixture
async def agent_entry(
    demo_home: HomeAssistant, fake_ollama: FakeOllama, agent_options: dict[str, Any]
) -> AsyncIterator[MockConfigEntry]:
    """A loaded server entry pointing at the scripted Ollama, with one agent, in the demo home."""
    entry = server_entry(fake_ollama.url, agent_options)
    entry.add_to_hass(demo_home)
    assert await demo_home.config_entries.async_setup(entry.entry_id)
    await demo_home.async_block_till_done()
    yield entry
    await demo_home.config_entries.async_unload(entry.entry_id)
    await demo_home.async_block_till_done()


class SatelliteHome:
    """HA with the demo home, MQTT, the voice pipeline and a confirmed kitchen satellite."""

    def __init__(self, hass: HomeAssistant, sim: Any, entity_id: str, entry: Any) -> None:
        self.hass, self.sim, self.entity_id, self.entry = hass, sim, entity_id, entry

    async def run(self, func: Any, *args: Any) -> Any:
        """Run a blocking satellite call off the event loop."""
        return await self.hass.async_add_executor_job(func, *args)

    @property
    def device_id(self) -> str:
        from homeassistant.helpers import entity_registry as er

        entry = er.async_get(self.hass).async_get(self.entity_id)
        assert entry is not None
        assert entry.device_id is not None
        return entry.device_id


@pytest.fixture
async def satellite_home(
    demo_home: HomeAssistant,
    private_broker: Any,
    asr_server: Any,
    tts_server: Any,
    caplog: pytest.LogCaptureFixture,
) -> AsyncIterator[SatelliteHome]:
    """The kitchen satellite (a protocol-v2 simulator on a real broker), confirmed in HA."""
    import asyncio

    from homeassistant.components import mqtt
    from homeassistant.helpers import area_registry as ar

    from local_voice_harness.ha_satellite import (
        confirm_satellite,
        satellite_entity_id,
        setup_mqtt,
        setup_voice_pipeline,
        wait_until,
    )
    from local_voice_harness.satellite_sim import SatelliteSim

    hass = demo_home
    await setup_voice_pipeline(
        hass, (asr_server.host, asr_server.port), (tts_server.host, tts_server.port)
    )
    sim = SatelliteSim(private_broker.host, private_broker.port, "kitchen")
    await hass.async_add_executor_job(sim.connect)
    await setup_mqtt(hass, private_broker.host, private_broker.port)
    kitchen = ar.async_get(hass).async_get_area_by_name("Kitchen")
    assert kitchen is not None
    entry = await confirm_satellite(hass, "kitchen", kitchen.id)
    entity_id = satellite_entity_id(hass, "kitchen")
    await wait_until(lambda: hass.states.get(entity_id).state == "idle")
    await wait_until(lambda: mqtt.is_connected(hass))
    # HA publishes its birth message a little after connecting; a broker stopped
    # before that (this fixture's teardown) makes HA's own birth task raise.
    await wait_until(lambda: "birth message sent" in caplog.text, within=15)
    await hass.async_block_till_done()
    await asyncio.sleep(0.7)  # HA batches SUBSCRIBE packets (FACTS.md)
    # The satellite's timers were read back from the broker and published again.
    await hass.async_add_executor_job(lambda: sim.wait_for(lambda: sim.timers, 10))
    yield SatelliteHome(hass, sim, entity_id, entry)
    sim.close()
