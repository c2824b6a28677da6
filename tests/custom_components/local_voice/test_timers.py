"""Timers on a satellite: HA's own timers for its device, kept on the broker, announced.

Real HA with the demo home, a real mosquitto, our TTS server (the sentence
that says which timer finished), and a paho client speaking protocol v2 as
the Pi satellite does. HA's timer intents are called as the conversation
agent calls them (``intent.async_handle`` with the satellite's device).
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

import pytest
from homeassistant.core import callback
from homeassistant.helpers import intent

from custom_components.local_voice import protocol as p
from custom_components.local_voice.const import EVENT_TIMER
from local_voice_harness.ha_satellite import wait_until

if TYPE_CHECKING:
    from pathlib import Path

    from conftest import SatelliteHome
    from homeassistant.core import Event

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("socket_enabled"), pytest.mark.timeout(120)]


async def _timer(home: SatelliteHome, kind: str, **slots: Any) -> intent.IntentResponse:
    return await intent.async_handle(
        home.hass,
        "test",
        kind,
        {k: {"value": v} for k, v in slots.items()},
        device_id=home.device_id,
        language="en",
    )


def _events(home: SatelliteHome) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    @callback  # in the loop, in the order fired (a plain function runs in the executor)
    def listener(event: Event[Any]) -> None:
        found.append(dict(event.data))

    home.hass.bus.async_listen(EVENT_TIMER, listener)
    return found


async def _retained(home: SatelliteHome, check: Any) -> p.Timers:
    return await home.run(
        lambda: home.sim.wait_for(
            lambda: next((t for t in reversed(home.sim.timers) if check(t)), None), 10
        )
    )


async def test_a_timer_runs_is_kept_on_the_broker_and_rings_with_its_name(
    satellite_home: SatelliteHome,
) -> None:
    home = satellite_home
    events = _events(home)
    await _timer(home, intent.INTENT_START_TIMER, seconds=2, name="pasta")
    started = await _retained(home, lambda t: len(t.timers) == 1)
    entry = started.timers[0]
    assert entry.name == "pasta"
    assert entry.state == p.RUNNING
    assert entry.seconds == 2
    assert entry.ends_at is not None
    assert 0.5 < entry.ends_at - time.time() <= 2.1
    sensor = home.hass.states.get("sensor.kitchen_satellite_next_timer")
    assert sensor is not None
    assert sensor.attributes["timers"][0]["name"] == "pasta"
    # It finishes: the satellite is told to ring (once, by id) and HA says which timer.
    finished = await home.run(
        lambda: home.sim.wait_for(
            lambda: next((c for c in home.sim.commands if isinstance(c, p.TimerFinished)), None), 10
        )
    )
    assert finished == p.TimerFinished(entry.timer_id, "pasta")
    said = await home.run(
        lambda: home.sim.wait_for(
            lambda: next((c for c in home.sim.commands if isinstance(c, p.AnnounceText)), None), 15
        )
    )
    assert said.text == "The pasta timer is done."
    stream = await home.run(lambda: home.sim.wait_stream(said.stream_id, 15))
    assert len(stream.pcm) > 22050  # spoken, not an empty stream
    await _retained(home, lambda t: not t.timers)
    assert [e["type"] for e in events] == ["started", "finished"]
    assert events[1]["timer_id"] == entry.timer_id
    assert events[1]["satellite_id"] == "kitchen"
    assert events[1]["device_id"] == home.device_id


async def test_cancel_pause_resume_add_and_status(satellite_home: SatelliteHome) -> None:
    home = satellite_home
    events = _events(home)
    await _timer(home, intent.INTENT_START_TIMER, minutes=10, name="bread")
    await _timer(home, intent.INTENT_START_TIMER, minutes=5)
    both = await _retained(home, lambda t: len(t.timers) == 2)
    bread = next(t for t in both.timers if t.name == "bread")
    await _timer(home, intent.INTENT_PAUSE_TIMER, name="bread")
    paused = await _retained(
        home, lambda t: any(e.timer_id == bread.timer_id and e.state == p.PAUSED for e in t.timers)
    )
    left = next(e for e in paused.timers if e.timer_id == bread.timer_id).left_s
    assert left is not None
    assert 590 <= left <= 600
    await _timer(home, intent.INTENT_UNPAUSE_TIMER, name="bread")
    await _timer(home, intent.INTENT_INCREASE_TIMER, name="bread", minutes=1)
    grown = await _retained(
        home, lambda t: any(e.timer_id == bread.timer_id and e.seconds > 600 for e in t.timers)
    )
    again = next(e for e in grown.timers if e.timer_id == bread.timer_id)
    assert again.state == p.RUNNING
    assert again.ends_at is not None
    assert 650 < again.ends_at - time.time() <= 661
    await _timer(home, intent.INTENT_DECREASE_TIMER, name="bread", minutes=2)
    status = await _timer(home, intent.INTENT_TIMER_STATUS)
    assert sorted(t["name"] for t in status.speech_slots["timers"]) == ["", "bread"]
    await _timer(home, intent.INTENT_CANCEL_TIMER, name="bread")
    rest = await _retained(home, lambda t: [e.name for e in t.timers] == [None])
    assert rest.timers[0].seconds == 300
    kinds = [e["type"] for e in events]
    assert kinds == [
        "started",
        "started",
        "updated",
        "updated",
        "updated",
        "updated",
        "cancelled",
    ], events
    assert not any(isinstance(c, p.TimerFinished) for c in home.sim.commands)


async def test_timers_ha_lost_come_back_from_the_broker(satellite_home: SatelliteHome) -> None:
    """HA restarted: its timers are gone; the retained message brings them back.

    HA's in-memory timers are emptied behind the integration's back (its entry
    unloaded first, so it hears nothing), as an HA restart does; reloading the
    entry reads the retained message back and starts each timer again with
    the time left. One timer was due while HA was "down" and the satellite
    rang it already; another was due and nobody rang it.
    """
    home = satellite_home
    hass = home.hass
    await _timer(home, intent.INTENT_START_TIMER, minutes=20, name="stew")
    await _timer(home, intent.INTENT_START_TIMER, minutes=7, name="eggs")
    await _timer(home, intent.INTENT_PAUSE_TIMER, name="eggs")
    await _timer(home, intent.INTENT_START_TIMER, minutes=3, name="tea")
    await _timer(home, intent.INTENT_CANCEL_TIMER, name="tea")
    kept = await _retained(
        home, lambda t: len(t.timers) == 2 and any(e.state == p.PAUSED for e in t.timers)
    )
    stew = next(e for e in kept.timers if e.name == "stew")
    # Two timers that came due while HA was down (written as HA would have).
    rice = p.TimerEntry("01jdue", 60, p.RUNNING, time.time() - 5, name="rice")
    beans = p.TimerEntry("01jrang", 60, p.RUNNING, time.time() - 30, name="beans")
    due = p.Timers((*kept.timers, rice, beans), time.time())
    await hass.config_entries.async_unload(home.entry.entry_id)
    await hass.async_block_till_done()
    for name in ("stew", "eggs"):
        await _timer(home, intent.INTENT_CANCEL_TIMER, name=name)
    status = await _timer(home, intent.INTENT_TIMER_STATUS)
    assert status.speech_slots["timers"] == []
    await home.run(lambda: home.sim.publish_retained(p.timers_topic("kitchen"), p.encode(due)))
    await home.run(lambda: home.sim.publish_rang(("01jrang",)))
    events = _events(home)
    since = len(home.sim.commands)
    assert await hass.config_entries.async_setup(home.entry.entry_id)
    await hass.async_block_till_done()

    timers: list[dict[str, Any]] = []
    for _ in range(100):  # the retained messages come back, then the timers start again
        timers = (await _timer(home, intent.INTENT_TIMER_STATUS)).speech_slots["timers"]
        if len(timers) == 2:
            break
        await asyncio.sleep(0.1)
    by_name = {t["name"]: t for t in timers}
    assert set(by_name) == {"stew", "eggs"}  # tea stays cancelled; rice and beans are done
    assert by_name["eggs"]["is_active"] is False
    assert 7 * 60 - 30 <= by_name["eggs"]["total_seconds_left"] <= 7 * 60
    assert by_name["stew"]["is_active"] is True
    assert abs(by_name["stew"]["total_seconds_left"] - stew.left_at(time.time())) <= 2
    # The retained message keeps the protocol ids (the satellite knows them by these).
    back = await _retained(home, lambda t: {e.name for e in t.timers} == {"stew", "eggs"})
    assert {e.timer_id for e in back.timers} == {e.timer_id for e in kept.timers}
    # "rice" was due and not rung: it rings now; "beans" rang while HA was down: not again.
    await home.run(
        lambda: home.sim.wait_for(
            lambda: [c for c in home.sim.commands[since:] if isinstance(c, p.TimerFinished)], 10
        )
    )
    await asyncio.sleep(0.5)
    rung = [c for c in home.sim.commands[since:] if isinstance(c, p.TimerFinished)]
    assert rung == [p.TimerFinished("01jdue", "rice")]
    finished = {e["timer_id"]: e for e in events if e["type"] == "finished"}
    assert set(finished) == {"01jdue", "01jrang"}
    assert finished["01jrang"]["late"] is True
    assert sum(e["type"] == "restored" for e in events) == 2


async def test_the_blueprint_runs_when_a_named_timer_finishes(
    satellite_home: SatelliteHome, tmp_path: Path
) -> None:
    """The shipped blueprint, loaded by HA's own automation integration, sees the timer end."""
    import shutil

    from homeassistant.setup import async_setup_component

    from local_voice_harness.paths import REPO_ROOT

    home = satellite_home
    hass = home.hass
    hass.config.config_dir = str(tmp_path)
    target = tmp_path / "blueprints" / "automation" / "local_voice"
    target.mkdir(parents=True)
    shutil.copy(REPO_ROOT / "blueprints/automation/local_voice/when_timer_finishes.yaml", target)
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": [
                {
                    "id": "pasta_done",
                    "use_blueprint": {
                        "path": "local_voice/when_timer_finishes.yaml",
                        "input": {
                            "satellite": home.device_id,
                            "name_contains": "pasta",
                            "actions": [
                                {
                                    "action": "light.turn_on",
                                    "target": {"entity_id": "light.kitchen"},
                                }
                            ],
                        },
                    },
                }
            ]
        },
    )
    await hass.async_block_till_done()
    await _timer(home, intent.INTENT_START_TIMER, seconds=1, name="tea")
    await _retained(home, lambda t: not t.timers and len(home.sim.timers) > 1)
    await asyncio.sleep(0.5)
    assert hass.states.get("light.kitchen").state == "off"  # not the pasta timer
    await _timer(home, intent.INTENT_START_TIMER, seconds=1, name="pasta")
    for _ in range(50):
        if hass.states.get("light.kitchen").state == "on":
            break
        await asyncio.sleep(0.1)
    assert hass.states.get("light.kitchen").state == "on"
    # HA says which timer finished; heard to its end (a broker stopped while HA
    # still plays it costs the teardown HA's 10 s wait for an ACK).
    said = await home.run(
        lambda: home.sim.wait_for(
            lambda: next(
                (
                    c
                    for c in home.sim.commands
                    if isinstance(c, p.AnnounceText) and c.text == "The pasta timer is done."
                ),
                None,
            ),
            15,
        )
    )
    await home.run(lambda: home.sim.wait_stream(said.stream_id, 15))
    await wait_until(lambda: hass.states.get(home.entity_id).state == "idle")
    await hass.async_block_till_done()
