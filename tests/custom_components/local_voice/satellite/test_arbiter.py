"""Arbitration between satellites in HA: who answers, who is dismissed, and what goes on.

Real HA with the demo home, a real mosquitto, our Wyoming ASR and TTS
servers, HA's own agent, and paho clients speaking the protocol as
satellites do: two version-2 satellites (kitchen, living room) and a
version-1 one (hall), each in its own area.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from typing import TYPE_CHECKING, Any

import pytest
from homeassistant.components import mqtt
from homeassistant.helpers import area_registry as ar

from custom_components.local_voice import protocol as p
from custom_components.local_voice.runtime import async_get_arbiter
from local_voice_harness.ha_satellite import (
    confirm_satellite,
    satellite_entity_id,
    setup_mqtt,
    setup_voice_pipeline,
    wait_until,
)
from local_voice_harness.satellite_sim import SatelliteSim, read_pcm

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from homeassistant.core import HomeAssistant

    from local_voice_harness.commands import SpokenCommand
    from local_voice_harness.mosquitto import Mosquitto

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("socket_enabled"), pytest.mark.timeout(120)]
ROOMS = {"kitchen": "Kitchen", "living": "Living Room", "hall": "Hallway"}


@pytest.fixture
async def house(
    demo_home: HomeAssistant, private_broker: Mosquitto, asr_server: Any, tts_server: Any
) -> AsyncIterator[tuple[HomeAssistant, dict[str, SatelliteSim]]]:
    hass = demo_home
    await setup_voice_pipeline(
        hass, (asr_server.host, asr_server.port), (tts_server.host, tts_server.port)
    )
    sims: dict[str, SatelliteSim] = {}
    for sat in ROOMS:
        sim = SatelliteSim(private_broker.host, private_broker.port, sat)
        if sat == "hall":  # an old satellite: protocol version 1
            sim.announce = dataclasses.replace(sim.announce, protocol=1)
        await hass.async_add_executor_job(sim.connect)
        sims[sat] = sim
    await setup_mqtt(hass, private_broker.host, private_broker.port)
    for sat, room in ROOMS.items():
        area = ar.async_get(hass).async_get_area_by_name(room)
        assert area is not None
        await confirm_satellite(hass, sat, area.id)
        entity_id = satellite_entity_id(hass, sat)
        await wait_until(lambda e=entity_id: hass.states.get(e).state == "idle")
    await wait_until(lambda: mqtt.is_connected(hass))
    await hass.async_block_till_done()
    await asyncio.sleep(0.7)  # HA batches SUBSCRIBE packets (FACTS.md)
    yield hass, sims
    for sim in sims.values():
        sim.close()


def _wake(sim: SatelliteSim, sid: str, level: float | None) -> None:
    signal = None if level is None else p.WakeSignal(0.9, level, level + 60)
    sim.event(p.SessionStart(sid, wake_word_id="okay_nabu", signal=signal))


def _dismissed(sim: SatelliteSim, sid: str) -> bool:
    return any(isinstance(c, p.Dismiss) and c.session_id == sid for c in sim.commands)


async def test_the_loudest_wins_a_v1_loser_is_stopped_and_a_running_turn_goes_on(
    house: tuple[HomeAssistant, dict[str, SatelliteSim]], dev_commands: list[SpokenCommand]
) -> None:
    hass, sims = house
    kitchen, living, hall = sims["kitchen"], sims["living"], sims["hall"]
    desk = read_pcm(next(c.audio for c in dev_commands if c.audio.name == "cmd08.wav"))
    # The kitchen satellite's command is being answered ("Turned on the light")...
    first = await hass.async_add_executor_job(lambda: kitchen.speak(desk))
    await hass.async_add_executor_job(lambda: kitchen.wait_state("processing", timeout=30))
    # ...when someone in the living room wakes all three; the living room hears it best.
    await hass.async_add_executor_job(lambda: (
        _wake(kitchen, "k2", -35.0), _wake(hall, "h2", None), _wake(living, "l2", -18.0)
    ))  # fmt: skip
    await hass.async_add_executor_job(
        lambda: kitchen.wait_for(lambda: _dismissed(kitchen, "k2"), 5)
    )
    # The version-1 satellite knows no `dismiss`: an idle state for its session stops it.
    stop = await hass.async_add_executor_job(
        lambda: hall.wait_for(
            lambda: next((s for s in hall.states if s.session_id == "h2"), None), 5
        )
    )
    assert stop == p.State("idle", "h2")
    assert not any(isinstance(c, p.Dismiss) for c in hall.commands)
    assert not _dismissed(living, "l2")
    await hass.async_add_executor_job(
        lambda: living.wait_for(
            lambda: any(s.session_id == "l2" and s.state == "listening" for s in living.states), 5
        )
    )
    # The kitchen's own turn was not cut by losing the wake word: its answer arrives.
    stream = await hass.async_add_executor_job(lambda: kitchen.wait_stream(first, 30))
    assert stream.end is not None
    await wait_until(lambda: hass.states.get("light.desk_lamp").state == "on")
    arbiter = async_get_arbiter(hass)
    assert arbiter is not None
    decision = arbiter.decisions[-1]
    assert decision.winner == "living"
    assert set(decision.losers) == {"kitchen", "hall"}
    assert decision.decided_ms < 150
    # Every error state the satellites saw: none (losing is not an error).
    assert [s for sim in sims.values() for s in sim.states if s.error_code] == []


async def test_two_people_one_after_the_other_are_two_commands(
    house: tuple[HomeAssistant, dict[str, SatelliteSim]], dev_commands: list[SpokenCommand]
) -> None:
    """1.5 s apart is not one voice heard twice: both run, and HA's own 2 s rule drops neither."""
    hass, sims = house
    kitchen, living = sims["kitchen"], sims["living"]
    pcm = read_pcm(next(c.audio for c in dev_commands if c.audio.name == "cmd01.wav"))
    began = time.monotonic()
    first = await hass.async_add_executor_job(lambda: kitchen.speak(pcm))
    await asyncio.sleep(max(0.0, began + 1.5 - time.monotonic()))
    second = await hass.async_add_executor_job(lambda: living.speak(pcm))
    for sim, sid in ((kitchen, first), (living, second)):
        stream = await hass.async_add_executor_job(lambda s=sim, i=sid: s.wait_stream(i, 30))
        assert stream.end is not None
    assert [s for sim in sims.values() for s in sim.states if s.error_code] == []
    assert not any(isinstance(c, p.Dismiss) for sim in sims.values() for c in sim.commands)


async def test_a_late_echo_is_dismissed_and_a_window_of_zero_lets_the_first_answer(
    house: tuple[HomeAssistant, dict[str, SatelliteSim]],
) -> None:
    hass, sims = house
    kitchen, living = sims["kitchen"], sims["living"]
    # The living room hears it 0.4 s after the kitchen's round was decided: the same words.
    await hass.async_add_executor_job(lambda: _wake(kitchen, "k1", -30.0))
    await asyncio.sleep(0.4)
    await hass.async_add_executor_job(lambda: _wake(living, "l1", -10.0))
    await hass.async_add_executor_job(lambda: living.wait_for(lambda: _dismissed(living, "l1"), 5))
    assert not _dismissed(kitchen, "k1")
    await hass.async_add_executor_job(lambda: kitchen.event(p.SessionEnd("k1", 0, "cancel")))
    await asyncio.sleep(1.5)
    # With no window the first wake-up wins even though a louder one follows at once.
    entry = next(
        e for e in hass.config_entries.async_entries("local_voice") if e.unique_id == "kitchen"
    )
    hass.config_entries.async_update_entry(
        entry, options={**entry.options, "arbitration_window_ms": 0}
    )
    await hass.async_block_till_done()
    await wait_until(lambda: hass.states.get(satellite_entity_id(hass, "kitchen")).state == "idle")
    await asyncio.sleep(0.7)
    await hass.async_add_executor_job(
        lambda: (_wake(kitchen, "k3", -40.0), _wake(living, "l3", -5.0))
    )
    await hass.async_add_executor_job(lambda: living.wait_for(lambda: _dismissed(living, "l3"), 5))
    assert not _dismissed(kitchen, "k3")
