"""Three real Pi satellites hear one person: only the nearest answers, the others stay silent.

Real HA core with the demo home, HA's MQTT integration on a real mosquitto,
our Wyoming ASR (tiny.en) and TTS servers, and three ``local-voice-satellite``
processes (Kitchen, Living Room, Bedroom, with their awake and done tones
on) whose microphones hear the same "okay nabu, turn on the light" at the
same moment, the second 12 dB and the third 20 dB quieter than the nearest.
"The light" is the light of the room whose satellite answers, so the house
itself says which satellite won. A second round has only two satellites
hear it, the nearest another one.
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest
from homeassistant.components import mqtt
from homeassistant.helpers import area_registry as ar
from satellite_helpers import MqttPeer, RealTimeMicrophone, gain, satellite_cmd, silence

from custom_components.local_voice.runtime import async_get_arbiter
from local_voice_harness.ha_satellite import (
    confirm_satellite,
    satellite_entity_id,
    setup_mqtt,
    setup_voice_pipeline,
    wait_until,
)
from local_voice_harness.tts_wire import synthesize
from wyoming_servers.core.audio import resample

if TYPE_CHECKING:
    from pathlib import Path

    from homeassistant.core import HomeAssistant

    from local_voice_harness.mosquitto import Mosquitto

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("socket_enabled"), pytest.mark.timeout(180)]
ROOMS = {"kitchen": "Kitchen", "living_room": "Living Room", "bedroom": "Bedroom"}
LIGHTS = {
    "kitchen": "light.kitchen",
    "living_room": "light.living_room_lamp",
    "bedroom": "light.bedroom",
}
# The arbiter decides DEFAULT_WINDOW_S (100 ms) after the first wake-up; its own clock
# may add the event loop's delay. Over MQTT the dismissals arrive later still, by
# however busy the machine is: the test asks only that they come well before a loser
# could have started to speak; benchmarks/rooms.py measures the real figure.
DECISION_LIMIT_MS = 150
DISMISSED_WITHIN_MS = 500


def _turn_on_the_light(tts_server: Any) -> bytes:
    reply = synthesize(
        tts_server.host, tts_server.port, "Turn on the light.", noise_scale=0.0, noise_w_scale=0.0
    )
    samples = np.frombuffer(reply.pcm, np.int16).astype(np.float32) / 32768
    assert reply.rate is not None
    pcm = np.clip(resample(samples, reply.rate, 16000) * 32767, -32768, 32767)
    return pcm.astype(np.int16).tobytes()


class _House:
    def __init__(self, hass: HomeAssistant, mics: dict[str, RealTimeMicrophone], peer: MqttPeer):
        self.hass, self.mics, self.peer = hass, mics, peer

    def lights(self) -> dict[str, str]:
        return {sat: self.hass.states.get(e).state for sat, e in LIGHTS.items()}

    def events(self, since: int, kind: str) -> list[tuple[str, float, dict[str, Any]]]:
        found = []
        for msg in self.peer.log[since:]:
            parts = msg.topic.split("/")
            if parts[2:] in (["event"], ["command"]):
                body = json.loads(msg.payload)
                if kind in {body.get("type"), body.get("command")}:
                    found.append((parts[1], msg.at, body))
        return found


async def _round(
    house: _House, utterance: bytes, gains: dict[str, float], tmp_path: Path
) -> tuple[str, float]:
    """Everyone in ``gains`` hears the utterance at once; returns the winner and decision ms."""
    hass = house.hass
    since = len(house.peer.log)
    for sat, db in gains.items():
        house.mics[sat].say(gain(utterance, db))
    nearest = max(gains, key=lambda s: gains[s])
    light = LIGHTS[nearest]
    await wait_until(lambda: hass.states.get(light).state == "on", within=40)

    def all_ended() -> list[tuple[str, float, dict[str, Any]]] | None:
        ends = house.events(since, "session_end")
        return ends if len(ends) >= len(gains) else None

    ends = await wait_until(all_ended, within=20)
    assert {sat for sat, _, _ in ends} == set(gains)
    reasons = {sat: body["reason"] for sat, _, body in ends}
    assert reasons[nearest] == "vad", reasons
    assert all(r == "dismissed" for s, r in reasons.items() if s != nearest), reasons
    starts = house.events(since, "session_start")
    dismissals = house.events(since, "dismiss")
    assert {sat for sat, _, _ in dismissals} == set(gains) - {nearest}
    first = min(at for _, at, _ in starts)
    decided_ms = (max((at for _, at, _ in dismissals), default=first) - first) * 1000
    for sat, _, body in starts:
        signal = body["signal"]
        print(f"{sat}: gain {gains[sat]:+.0f} dB, wake-up signal {signal}")
    print(f"dismissed {len(dismissals)} within {decided_ms:.0f} ms of the first wake-up")
    return nearest, decided_ms


async def test_the_nearest_of_three_satellites_answers_and_the_others_stay_silent(  # noqa: PLR0917
    demo_home: HomeAssistant,
    private_broker: Mosquitto,
    asr_server: Any,
    tts_server: Any,
    wake_word_pcm: bytes,
    tmp_path: Path,
) -> None:
    hass = demo_home
    await setup_voice_pipeline(
        hass, (asr_server.host, asr_server.port), (tts_server.host, tts_server.port)
    )
    peer = MqttPeer(private_broker.port)
    await hass.async_add_executor_job(peer.connect)
    await hass.async_add_executor_job(peer.subscribe, "local_voice/#")
    mics: dict[str, RealTimeMicrophone] = {}
    try:
        for sat, room in ROOMS.items():
            argv = satellite_cmd(
                *("--satellite-id", sat, "--name", f"{room} satellite", "--area", room),
                *("--host", private_broker.host, "--port", str(private_broker.port)),
                *("--input", "-", "--output", f"dir:{tmp_path / sat}", "--sounds"),
            )
            mics[sat] = RealTimeMicrophone(argv, tmp_path / f"{sat}.log")
        await setup_mqtt(hass, private_broker.host, private_broker.port)
        for sat, room in ROOMS.items():
            area = ar.async_get(hass).async_get_area_by_name(room)
            assert area is not None
            await confirm_satellite(hass, sat, area.id)
            entity_id = satellite_entity_id(hass, sat)
            await wait_until(lambda e=entity_id: hass.states.get(e).state == "idle")
        await wait_until(lambda: mqtt.is_connected(hass))
        await hass.async_block_till_done()
        await asyncio.sleep(1.0)  # HA batches SUBSCRIBE packets (FACTS.md)
        house = _House(hass, mics, peer)
        before = house.lights()
        utterance = silence(0.3) + wake_word_pcm + silence(0.3) + _turn_on_the_light(tts_server)
        utterance += silence(1.0)

        # Three hear it; the living room is nearest.
        gains = {"living_room": 0.0, "kitchen": -12.0, "bedroom": -20.0}
        winner, decided_ms = await _round(house, utterance, gains, tmp_path)
        assert decided_ms < DISMISSED_WITHIN_MS
        after = house.lights()
        assert {s for s in after if after[s] != before[s]} <= {winner}
        # The two others made no sound at all: no awake tone, no done tone, no answer.
        await asyncio.sleep(1.0)
        for sat in ("kitchen", "bedroom"):
            assert not list((tmp_path / sat).glob("*.wav")), sat
        played = sorted(p.name for p in (tmp_path / "living_room").glob("*.wav"))
        assert played[:2] == ["001-awake.wav", "002-done.wav"], played
        arbiter = async_get_arbiter(hass)
        assert arbiter is not None
        assert arbiter.decisions[-1].winner == "living_room"
        assert arbiter.decisions[-1].decided_ms < DECISION_LIMIT_MS

        # Two hear the next command; the bedroom is nearest now (its light is on already:
        # turn the living room lamp off first so that its satellite could not pass unseen).
        await hass.services.async_call("demo_home", "reset", blocking=True)
        await hass.services.async_call(
            "light", "turn_off", {"entity_id": "light.bedroom"}, blocking=True
        )
        await wait_until(lambda: all(h.state == "idle" for h in _entities(hass)), within=30)
        gains = {"bedroom": -3.0, "kitchen": -15.0}
        winner, decided_ms = await _round(house, utterance, gains, tmp_path)
        assert winner == "bedroom"
        assert decided_ms < DISMISSED_WITHIN_MS
        assert hass.states.get("light.kitchen").state == "off"
    finally:
        codes = {sat: await hass.async_add_executor_job(mic.close) for sat, mic in mics.items()}
        peer.close()
    for sat in ROOMS:
        log = (tmp_path / f"{sat}.log").read_text()
        assert "Traceback" not in log, log
        assert codes[sat] == 0, log  # SIGTERM: a clean stop, not the 15 s SIGKILL


def _entities(hass: HomeAssistant) -> list[Any]:
    return [hass.states.get(satellite_entity_id(hass, sat)) for sat in ROOMS]
