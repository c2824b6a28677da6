"""Spoken timers on the real Pi satellite survive a satellite reboot, an HA restart, a broker restart.

The whole product as processes: mosquitto, our Wyoming ASR and TTS servers,
a headless Home Assistant (HA's own agent) and the ``local-voice-satellite``
program, whose microphone is the test ("okay nabu, set a timer for ...") and
whose speaker writes one WAV per sound (the timer's ring is
``NNN-timer-<id>.wav``). Each timer must ring exactly once.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

from local_voice_harness.mqtt_satellite import MqttSatelliteDriver
from local_voice_harness.stack import Stack, StackOptions
from local_voice_harness.tts_wire import synthesize
from wyoming_servers.core.audio import resample

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from local_voice_harness.mqtt_turn import Heard

pytestmark = [
    pytest.mark.slow,
    pytest.mark.waits,  # two minutes of timers and restarts: it runs beside the fast tests
    pytest.mark.usefixtures("socket_enabled"),
    pytest.mark.timeout(600),
]


class Kitchen:
    """The stack, the kitchen satellite, and what it rang."""

    def __init__(self, stack: Stack, satellite: MqttSatelliteDriver) -> None:
        self.stack, self.satellite = stack, satellite

    @property
    def speaker(self) -> Path:
        return self.satellite.workdir / "speaker"

    def rings(self) -> list[str]:
        """Timer ids rung so far, one per ring, sorted (a timer's id twice is a double ring).

        A rebooted satellite numbers its files from 001 again, so the order of
        the rings is not in the names: compare sorted lists.
        """
        names = [p.name for p in self.speaker.glob("*-timer-*.wav")]
        return sorted(n.split("-timer-", 1)[1].removesuffix(".wav") for n in names)

    def spoken(self) -> list[str]:
        return sorted(p.name for p in self.speaker.glob("*-announce-*.wav"))

    async def say(self, text: str) -> str:
        """Speak ``text`` after the wake word; returns HA's answer."""
        assert self.stack.info.tts_uri
        host, port = self.stack.info.tts_uri.removeprefix("tcp://").rsplit(":", 1)
        reply = await asyncio.to_thread(
            synthesize, host, int(port), text, noise_scale=0.0, noise_w_scale=0.0
        )
        assert reply.rate is not None
        samples = np.frombuffer(reply.pcm, np.int16).astype(np.float32) / 32768
        pcm = np.clip(resample(samples, reply.rate, 16000) * 32767, -32768, 32767)
        turn = await self.satellite.speak(0, pcm.astype(np.int16).tobytes())
        assert not turn.lost, turn.error
        return turn.answer or turn.transcript

    async def new_timer(self, seconds: int) -> tuple[str, float]:
        """Set a timer by voice; its protocol id and end time from HA's retained message."""
        before = _timers(self.satellite.heard())
        answer = await self.say(f"Set a timer for {seconds} seconds.")
        for _ in range(100):
            now = _timers(self.satellite.heard())
            if new := set(now) - set(before):
                timer_id = new.pop()
                return timer_id, now[timer_id]
            await asyncio.sleep(0.1)
        raise AssertionError(f"no timer started; HA answered {answer!r}")

    async def ha_down(self) -> None:
        await self.stack.stop_ha()

    async def ha_up(self) -> None:
        await self.stack.start_ha()
        assert self.stack.client is not None
        self.satellite.client = self.stack.client  # the new login

    async def published(self, since: int, *topics: str, within: float = 30.0) -> None:
        """Until each of ``topics`` (below the satellite's) was heard after message ``since``."""
        deadline = time.monotonic() + within
        while missing := set(topics) - {
            "/".join(m.parts[2:]) for m in self.satellite.heard()[since:] if m.payload
        }:
            if time.monotonic() > deadline:
                raise AssertionError(f"nothing on {sorted(missing)} within {within} s")
            await asyncio.sleep(0.1)

    async def ha_restored(self, since: int) -> None:
        """Until HA, started again, has restored the timers (HA's first publish after ``since``).

        HA publishes nothing on ``timers`` before it has read the retained
        message back and restored (``timer_restore``); its restore publishes them.
        """
        await self.published(since, "timers")
        await asyncio.sleep(1.0)  # what HA sends with the restore (a ring) has arrived too

    async def wait_rings(self, count: int, within: float) -> list[str]:
        deadline = time.monotonic() + within
        while len(self.rings()) < count and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.2)
        return self.rings()


def _timers(heard: list[Heard]) -> dict[str, float]:
    """The latest retained timers message HA published: id -> end (Unix time)."""
    latest: dict[str, float] = {}
    for msg in heard:
        if msg.parts[2:] == ["timers"] and msg.payload:
            latest = {
                t["id"]: t.get("ends_at", 0.0) for t in json.loads(msg.payload).get("timers", [])
            }
    return latest


def _commands(heard: list[Heard], kind: str) -> list[dict[str, Any]]:
    return [c for m in heard if (c := m.command()) and c.get("command") == kind]


@pytest.fixture
async def kitchen(tmp_path: Path) -> AsyncIterator[Kitchen]:
    stack = Stack(StackOptions(agent="builtin", keep_workdir=False))
    await stack.start()
    assert stack.client is not None
    satellite = MqttSatelliteDriver(
        stack.client,
        stack.info.mqtt_port,
        stack.info.pipeline_id,
        satellite_id="kitchen",
        workdir=tmp_path / "kitchen",
    )
    try:
        await satellite.setup()
        await asyncio.sleep(1.0)  # HA batches SUBSCRIBE packets (FACTS.md)
        yield Kitchen(stack, satellite)
    finally:
        await satellite.close()
        await stack.stop()


async def test_timers_survive_reboots_and_restarts_and_ring_once(kitchen: Kitchen) -> None:
    # A timer rings (HA says so; the satellite rings once) and HA says which timer it was.
    first, ends = await kitchen.new_timer(5)
    assert 2 < ends - time.time() <= 6
    assert await kitchen.wait_rings(1, within=20) == sorted([first])
    await asyncio.sleep(3)
    assert kitchen.spoken(), "HA did not say which timer finished"
    assert kitchen.rings() == sorted([first])

    # The satellite reboots while a timer runs: it gets the timer back and rings it once.
    second, _ = await kitchen.new_timer(12)
    await kitchen.satellite.reboot()
    assert await kitchen.wait_rings(2, within=30) == sorted([first, second])

    # HA goes down: the satellite rings on its own clock; HA, back, does not ring it again.
    third, ends = await kitchen.new_timer(15)
    await kitchen.ha_down()
    assert await kitchen.wait_rings(3, within=ends - time.time() + 10) == sorted(
        [first, second, third]
    )
    since = len(kitchen.satellite.heard())
    await kitchen.ha_up()
    await kitchen.ha_restored(since)  # HA read the retained messages back and restored
    assert kitchen.rings() == sorted([first, second, third])
    assert third not in [
        c["timer_id"] for c in _commands(kitchen.satellite.heard(), "timer_finished")
    ]

    # HA restarts while a timer runs: HA starts it again and it still finishes on time.
    fourth, ends = await kitchen.new_timer(20)
    await kitchen.ha_down()
    since = len(kitchen.satellite.heard())
    await kitchen.ha_up()
    await kitchen.ha_restored(since)
    assert time.time() < ends - 2, "HA came back too late: the timer ended while it was down"
    rung = await kitchen.wait_rings(4, within=ends - time.time() + 10)
    assert rung == sorted([first, second, third, fourth])
    finished = [c["timer_id"] for c in _commands(kitchen.satellite.heard(), "timer_finished")]
    assert fourth in finished, "HA did not restore the timer (the satellite rang it alone)"

    # The broker restarts (no persistence here): HA publishes the timers again, and a
    # satellite that reboots after that still gets them.
    fifth, ends = await kitchen.new_timer(25)
    broker = kitchen.stack.broker
    assert broker is not None
    since = len(kitchen.satellite.heard())
    await asyncio.to_thread(broker.restart, 1.0)
    # Both reconnect and publish their retained messages again (HA retries every 10 s).
    await kitchen.published(since, "timers", "timers/rang")
    await kitchen.satellite.reboot()
    every = sorted([first, second, third, fourth, fifth])
    assert await kitchen.wait_rings(5, within=ends - time.time() + 10) == every
    await asyncio.sleep(3)
    assert kitchen.rings() == every
