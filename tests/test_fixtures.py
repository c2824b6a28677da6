"""Each shared fixture proves it works, so a failing feature test never blames the harness."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import paho.mqtt.client as mqtt
from homeassistant.config_entries import ConfigEntryState
from pytest_homeassistant_custom_component.common import MockConfigEntry

from local_voice_harness.ports import free_port

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from local_voice_harness.commands import SpokenCommand, Transcribed
    from local_voice_harness.mosquitto import Mosquitto


async def test_hass_sets_up_local_voice_entry(
    hass_core: HomeAssistant, socket_enabled: None
) -> None:
    # The agent entry needs a reachable Ollama: the fake one, over a real socket.
    from local_voice_harness.fake_ollama import FakeOllama

    async with FakeOllama(models=["llama3.2:latest"]) as ollama:
        entry = MockConfigEntry(
            domain="local_voice",
            data={"kind": "agent", "url": ollama.url, "model": "llama3.2:latest"},
            title="Local Voice",
        )
        entry.add_to_hass(hass_core)
        assert await hass_core.config_entries.async_setup(entry.entry_id)
        await hass_core.async_block_till_done()
        assert entry.state is ConfigEntryState.LOADED
        assert await hass_core.config_entries.async_unload(entry.entry_id)
        assert entry.state is ConfigEntryState.NOT_LOADED


def test_broker_round_trips_binary(mosquitto_broker: Mosquitto, socket_enabled: None) -> None:
    payload = bytes(range(256)) * 8  # every byte value, like raw PCM
    received: list[bytes] = []
    done = threading.Event()

    def on_message(_c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        received.append(msg.payload)
        done.set()

    sub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    sub.on_message = on_message
    subscribed = threading.Event()
    sub.on_subscribe = lambda *_a: subscribed.set()
    sub.connect(mosquitto_broker.host, mosquitto_broker.port)
    sub.loop_start()
    sub.subscribe("lv/test/bin", qos=1)
    assert subscribed.wait(5)
    pub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    pub.connect(mosquitto_broker.host, mosquitto_broker.port)
    pub.loop_start()
    pub.publish("lv/test/bin", payload, qos=1).wait_for_publish(5)
    assert done.wait(5)
    assert received == [payload]
    for client in (pub, sub):
        client.loop_stop()
        client.disconnect()


def test_private_broker_restarts_on_same_port(
    private_broker: Mosquitto, socket_enabled: None
) -> None:
    port, first_pid = private_broker.port, private_broker.pid
    private_broker.restart()
    assert private_broker.port == port
    assert private_broker.pid not in (None, first_pid)


def test_free_port_is_bindable() -> None:
    assert 1024 < free_port() < 65536


def test_demo_material_loads(
    dev_commands: list[SpokenCommand], dev_real_speech: list[Transcribed]
) -> None:
    assert len(dev_commands) >= 12
    assert all(c.audio.is_file() and c.text for c in dev_commands)
    assert dev_real_speech
    assert all(t.audio.is_file() and t.text for t in dev_real_speech)


async def test_demo_home_matches_spec(demo_home: HomeAssistant) -> None:
    from homeassistant.components.homeassistant.exposed_entities import async_should_expose
    from homeassistant.helpers import area_registry as ar
    from homeassistant.helpers import entity_registry as er

    hass = demo_home
    assert hass.states.get("light.kitchen").state == "off"
    assert hass.states.get("light.living_room_lamp").attributes["brightness"] == 255
    assert hass.states.get("climate.thermostat").attributes["temperature"] == 20
    assert hass.states.get("cover.garage_door").state == "closed"
    assert hass.states.get("lock.front_door").state == "locked"
    assert hass.states.get("sensor.bedroom_humidity").state == "45.0"
    assert hass.states.get("light.kitchen").name == "Kitchen Light"
    area = ar.async_get(hass).async_get_area(er.async_get(hass).async_get("light.kitchen").area_id)
    assert area.name == "Kitchen"
    assert async_should_expose(hass, "conversation", "light.kitchen")
    assert not async_should_expose(hass, "conversation", "light.basement")

    await hass.services.async_call(
        "light", "turn_on", {"entity_id": "light.kitchen"}, blocking=True
    )
    await hass.services.async_call(
        "lock", "unlock", {"entity_id": "lock.front_door"}, blocking=True
    )
    assert hass.states.get("light.kitchen").state == "on"
    assert hass.states.get("lock.front_door").state == "unlocked"
    await hass.services.async_call("demo_home", "reset", {}, blocking=True)
    assert hass.states.get("light.kitchen").state == "off"
    assert hass.states.get("lock.front_door").state == "locked"
