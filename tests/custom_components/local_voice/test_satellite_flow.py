"""Satellite discovery, confirmation, availability, wake words and options.

Real HA core, a real mosquitto, HA's real MQTT integration, and a paho client
playing the satellite.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import device_registry as dr
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.local_voice import protocol as p
from custom_components.local_voice.const import DOMAIN
from local_voice_harness.ha_satellite import (
    confirm_satellite,
    satellite_entity_id,
    setup_mqtt,
    wait_until,
)
from local_voice_harness.satellite_sim import SatelliteSim

if TYPE_CHECKING:
    from collections.abc import Iterator

    from homeassistant.core import HomeAssistant

    from local_voice_harness.mosquitto import Mosquitto

pytestmark = [pytest.mark.usefixtures("socket_enabled"), pytest.mark.timeout(60)]


@pytest.fixture
def sim(private_broker: Mosquitto) -> Iterator[SatelliteSim]:
    satellite = SatelliteSim(private_broker.host, private_broker.port, "kitchen")
    satellite.connect()
    yield satellite
    satellite.close()


async def _confirmed(hass: HomeAssistant, broker: Mosquitto) -> str:
    await setup_mqtt(hass, broker.host, broker.port)
    kitchen = ar.async_get(hass).async_get_area_by_name("Kitchen")
    assert kitchen is not None
    await confirm_satellite(hass, "kitchen", kitchen.id)
    entity_id = satellite_entity_id(hass, "kitchen")
    await wait_until(lambda: hass.states.get(entity_id).state == "idle")
    return entity_id


async def test_discovered_satellite_is_confirmed_into_its_area(
    demo_home: HomeAssistant, private_broker: Mosquitto, sim: SatelliteSim
) -> None:
    hass = demo_home
    await setup_mqtt(hass, private_broker.host, private_broker.port)
    flows = await wait_until(lambda: hass.config_entries.flow.async_progress_by_handler(DOMAIN))
    assert flows[0]["step_id"] == "confirm_satellite"
    assert flows[0]["context"]["source"] == "mqtt"
    assert flows[0]["context"]["title_placeholders"] == {"name": "Kitchen satellite"}
    kitchen = ar.async_get(hass).async_get_area_by_name("Kitchen")
    assert kitchen is not None

    entry = await confirm_satellite(hass, "kitchen", kitchen.id)
    assert entry.state is ConfigEntryState.LOADED
    assert entry.data["announce"] == sim.announce.to_dict()
    device = dr.async_get(hass).async_get_device(identifiers={(DOMAIN, "kitchen")})
    assert device is not None
    assert device.area_id == kitchen.id
    assert device.sw_version == "satellite-sim 1"
    entity_id = satellite_entity_id(hass, "kitchen")
    await wait_until(lambda: hass.states.get(entity_id).state == "idle")

    # The same announce again (a satellite restart) does not start a second flow.
    await hass.async_add_executor_job(sim.publish_announce)
    await hass.async_block_till_done()
    assert hass.config_entries.flow.async_progress_by_handler(DOMAIN) == []

    assert await hass.config_entries.async_unload(entry.entry_id)
    assert hass.states.get(entity_id).state == "unavailable"


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b'{"protocol": 3}', "protocol version 3"),
        (b"not json", "malformed JSON"),
        (
            json.dumps(
                {**SatelliteSim("x", 1, "kitchen").announce.to_dict(), "id": "hall"}
            ).encode(),
            "does not match",
        ),
    ],
    ids=["version", "json", "id-mismatch"],
)
async def test_invalid_announce_is_refused(
    demo_home: HomeAssistant,
    private_broker: Mosquitto,
    payload: bytes,
    reason: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    sim = SatelliteSim(private_broker.host, private_broker.port, "kitchen")
    sim.connect(announce=False)
    try:
        sim.client.publish(
            p.announce_topic("kitchen"), payload, qos=1, retain=True
        ).wait_for_publish(5)
        await setup_mqtt(demo_home, private_broker.host, private_broker.port)
        await wait_until(lambda: "Ignoring invalid announce" in caplog.text)
        assert reason in caplog.text
        assert demo_home.config_entries.flow.async_progress_by_handler(DOMAIN) == []
        assert demo_home.config_entries.async_entries(DOMAIN) == []
    finally:
        sim.close()


async def test_satellite_entry_without_mqtt_says_so(hass_core: HomeAssistant) -> None:
    announce = SatelliteSim("x", 1, "kitchen").announce
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id="kitchen",
        data={"kind": "satellite", "satellite_id": "kitchen", "announce": announce.to_dict()},
    )
    entry.add_to_hass(hass_core)
    assert not await hass_core.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert "MQTT integration" in (entry.reason or "")


async def test_availability_follows_the_last_will(
    demo_home: HomeAssistant, private_broker: Mosquitto, sim: SatelliteSim
) -> None:
    hass = demo_home
    entity_id = await _confirmed(hass, private_broker)
    await hass.async_add_executor_job(sim.drop_connection)
    await wait_until(lambda: hass.states.get(entity_id).state == "unavailable")
    back = SatelliteSim(private_broker.host, private_broker.port, "kitchen")
    await hass.async_add_executor_job(back.connect)
    try:
        await wait_until(lambda: hass.states.get(entity_id).state == "idle")
    finally:
        back.close()


async def test_wake_words_from_announce_and_set_from_ha(
    demo_home: HomeAssistant, private_broker: Mosquitto, sim: SatelliteSim, hass_ws_client
) -> None:
    hass = demo_home
    entity_id = await _confirmed(hass, private_broker)
    ws = await hass_ws_client(hass)
    await ws.send_json_auto_id(
        {"type": "assist_satellite/get_configuration", "entity_id": entity_id}
    )
    config = (await ws.receive_json())["result"]
    assert [w["id"] for w in config["available_wake_words"]] == ["okay_nabu", "alexa"]
    assert config["active_wake_words"] == ["okay_nabu"]

    await ws.send_json_auto_id(
        {
            "type": "assist_satellite/set_wake_words",
            "entity_id": entity_id,
            "wake_word_ids": ["alexa"],
        }
    )
    assert (await ws.receive_json())["success"]
    cmd = await hass.async_add_executor_job(
        lambda: sim.wait_for(
            lambda: next((c for c in sim.commands if isinstance(c, p.SetWakeWords)), None)
        )
    )
    assert cmd == p.SetWakeWords(("alexa",))

    await ws.send_json_auto_id(
        {
            "type": "assist_satellite/set_wake_words",
            "entity_id": entity_id,
            "wake_word_ids": ["hey_siri"],
        }
    )
    assert not (await ws.receive_json())["success"]


async def test_options_set_the_satellite_endpointing(
    demo_home: HomeAssistant, private_broker: Mosquitto, sim: SatelliteSim
) -> None:
    hass = demo_home
    await _confirmed(hass, private_broker)
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["step_id"] == "satellite"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"endpointing_silence_ms": 400}
    )
    assert result["type"] == "create_entry"
    await hass.async_block_till_done()
    cmd = await hass.async_add_executor_job(
        lambda: sim.wait_for(
            lambda: next((c for c in sim.commands if c == p.SetEndpointing(400)), None)
        )
    )
    assert cmd == p.SetEndpointing(400)
    # Before the options were saved, HA sent its default: the long silence, since
    # complete commands end at once (semantic endpointing is on by default).
    sent = [c for c in sim.commands if isinstance(c, p.SetEndpointing)]
    assert sent[0] == p.SetEndpointing(700)
    # Semantic endpointing is on unless the user turns it off.
    assert entry.options["end_on_complete_command"] is True
    assert entry.options["endpointing_silence_ms"] == 400  # chosen: kept
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"endpointing_silence_ms": 400, "end_on_complete_command": False}
    )
    assert result["type"] == "create_entry"
    assert entry.options["end_on_complete_command"] is False


async def test_turning_semantic_endpointing_off_takes_the_short_silence(
    demo_home: HomeAssistant, private_broker: Mosquitto, sim: SatelliteSim
) -> None:
    """The form offers 700 ms while it is on; saved unchanged, that is no choice of silence."""
    hass = demo_home
    await _confirmed(hass, private_broker)
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    result = await hass.config_entries.options.async_init(entry.entry_id)
    fields = {str(k): k for k in result["data_schema"].schema}
    assert fields["endpointing_silence_ms"].default() == 700
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"endpointing_silence_ms": 700, "end_on_complete_command": False}
    )
    assert result["type"] == "create_entry"
    await hass.async_block_till_done()
    assert "endpointing_silence_ms" not in entry.options
    cmd = await hass.async_add_executor_job(
        lambda: sim.wait_for(
            lambda: next((c for c in sim.commands if c == p.SetEndpointing(300)), None)
        )
    )
    assert cmd == p.SetEndpointing(300)
