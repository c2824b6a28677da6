"""Crash each part of the running product, one after another, and check the user's side.

One real stack (mosquitto, our ASR/TTS servers, the stand-in Ollama, a
headless HA configured by API) and the real Pi satellite program over MQTT.
In turn: the speech-to-text server dies mid-utterance, the text-to-speech
server dies before the answer, the Ollama server dies, the broker dies and
HA itself dies with the satellite connected. Each crash is a SIGKILL by PID.
Each time: where a path to the user remains, an error reaches them within
2 s (the satellite gets an error ``state``; a text client an error answer);
nothing hangs (every step runs under a timeout); after the part is back,
the next command succeeds and the house does what was asked.

Set ``LV_FAULT_RESULTS=FILE`` to write the measured figures as JSON.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import pytest

from local_voice_harness.mqtt_satellite import MqttSatelliteDriver
from local_voice_harness.stack import Stack, StackOptions
from local_voice_harness.turn import read_pcm

from .fault_helpers import StateWatch, crash, reconnect_client, wait_ha_mqtt

if TYPE_CHECKING:
    from local_voice_harness.commands import SpokenCommand
    from local_voice_harness.ha_client import HAClient
    from local_voice_harness.turn import TurnResult

pytestmark = [pytest.mark.slow, pytest.mark.timeout(420)]

SATELLITE: Final = "fault_sat"
ERROR_WITHIN_S: Final = 2.0
LLM_QUESTION: Final = "tell me a story about a dragon"


async def _speak_ok(
    driver: MqttSatelliteDriver, client: HAClient, pcm: bytes, entity: str, state: str
) -> TurnResult:
    """Reset the house, speak, and require the state change, an answer and its audio."""
    await client.call_service("demo_home", "reset")
    turn = await driver.speak(0, pcm)
    states = await client.states()
    assert states[entity]["state"] == state, (turn, states[entity])
    assert not turn.error, turn
    assert turn.answer_audio, turn
    return turn


async def _satellite_available(client: HAClient, limit_s: float = 60.0) -> None:
    """Wait until HA shows the satellite entity available again (MQTT back, re-announced)."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        states = await client.states()
        ours = [s for e, s in states.items() if e.startswith("assist_satellite.")]
        if ours and all(s["state"] != "unavailable" for s in ours):
            # HA batches MQTT subscriptions (0.5 s first time) with no "subscribed" signal.
            await asyncio.sleep(1.5)
            return
        await asyncio.sleep(0.3)
    raise AssertionError("the satellite stayed unavailable in HA")


async def _ask(client: HAClient, agent: str) -> tuple[float, dict[str, Any]]:
    began = time.monotonic()
    reply = await client.ws("conversation/process", limit_s=10, text=LLM_QUESTION, agent_id=agent)
    return time.monotonic() - began, reply["response"]


def _error_latency(watch: StateWatch, turn: TurnResult, since: float, offset_s: float) -> float:
    """Seconds from ``since`` (or the end of speech + ``offset_s``, if later) to the error state."""
    error = watch.first_error_after(since)
    assert error is not None, ("no error state reached the satellite", turn)
    start = since
    if turn.events:
        start = max(start, turn.events[0]["mono"] + offset_s)
    return error[0] - start


async def _asr_dies_mid_utterance(
    stack: Stack, driver: MqttSatelliteDriver, watch: StateWatch, pcm: dict[str, bytes]
) -> float:
    """Kill speech-to-text 1 s into the command; the error state comes while the user speaks."""
    assert stack.client is not None
    await stack.client.call_service("demo_home", "reset")
    command = pcm["cmd01.wav"]
    speaking = asyncio.create_task(driver.speak(0, command))
    into = len(driver._wake) / 32000 + 0.5 + 1.0
    await asyncio.sleep(into)
    killed = await asyncio.to_thread(crash, stack._asr.pid)
    latency = await watch.wait_error_after(killed) - killed
    speaking.cancel()
    await asyncio.gather(speaking, return_exceptions=True)
    await asyncio.sleep(max(0.0, len(command) / 32000 - 1.0) + 1.0)  # the rest of the words
    assert (await stack.client.states())["light.kitchen"]["state"] == "off"
    await asyncio.to_thread(stack._asr.start)
    await _speak_ok(driver, stack.client, command, "light.kitchen", "on")
    return latency


async def _tts_dies(
    stack: Stack, driver: MqttSatelliteDriver, watch: StateWatch, pcm: dict[str, bytes]
) -> float:
    """Kill text-to-speech: the house still acts, the answer fails fast, then works again."""
    assert stack.client is not None
    killed = await asyncio.to_thread(crash, stack._tts.pid)
    await stack.client.call_service("demo_home", "reset")
    turn = await asyncio.wait_for(driver.speak(0, pcm["cmd02.wav"]), 30)
    assert (await stack.client.states())["light.bedroom"]["state"] == "off"
    latency = _error_latency(watch, turn, killed, (turn.intent_ms or 0.0) / 1000)
    await asyncio.to_thread(stack._tts.start)
    await _speak_ok(driver, stack.client, pcm["cmd02.wav"], "light.bedroom", "off")
    return latency


async def _ollama_dies(stack: Stack) -> float:
    """Kill the model server: a request for the model gets a short error answer."""
    assert stack.client is not None
    assert stack.info.engines is not None
    agent = stack.info.engines.conversation
    _, normal = await _ask(stack.client, agent)
    ollama = dict(stack._started)["fake_ollama"]
    await asyncio.to_thread(crash, ollama.pid)  # type: ignore[attr-defined]
    latency, failed = await _ask(stack.client, agent)
    assert failed["speech"]["plain"]["speech"], failed
    assert failed != normal
    await asyncio.to_thread(ollama.start)  # type: ignore[attr-defined]
    _, again = await _ask(stack.client, agent)
    assert again["speech"] == normal["speech"], again
    return latency


async def _broker_dies(
    stack: Stack, driver: MqttSatelliteDriver, pcm: dict[str, bytes]
) -> dict[str, float]:
    """Kill mosquitto with the satellite connected; HA stays responsive; all reconnect."""
    assert stack.client is not None
    assert stack.broker is not None
    figures = {}
    await asyncio.to_thread(crash, stack.broker.pid)
    began = time.monotonic()
    await asyncio.wait_for(stack.client.states(), ERROR_WITHIN_S)
    figures["ha_api_during_broker_outage_s"] = time.monotonic() - began
    await asyncio.sleep(2.0)
    assert driver.pid is not None, "the satellite died with the broker"
    await asyncio.to_thread(stack.broker.start)
    figures["broker_restart_to_ha_mqtt_s"] = await wait_ha_mqtt(stack.client, stack.broker.port)
    await _satellite_available(stack.client)
    await _speak_ok(driver, stack.client, pcm["cmd03.wav"], "switch.coffee_maker", "on")
    return figures


async def _ha_dies(stack: Stack, driver: MqttSatelliteDriver, pcm: dict[str, bytes]) -> float:
    """Kill HA with the satellite connected; restart it; the satellite works again."""
    assert stack.ha is not None
    await asyncio.to_thread(crash, stack.ha.pid)
    await asyncio.sleep(2.0)
    assert driver.pid is not None, "the satellite died with HA"
    began = time.monotonic()
    await asyncio.to_thread(stack.ha.start)
    driver.client = await reconnect_client(stack)
    assert stack.broker is not None
    await wait_ha_mqtt(driver.client, stack.broker.port)
    await _satellite_available(driver.client)
    ready = time.monotonic() - began
    await _speak_ok(driver, driver.client, pcm["cmd01.wav"], "light.kitchen", "on")
    return ready


async def test_crash_each_part_then_recover(
    dev_commands: list[SpokenCommand], socket_enabled: None
) -> None:
    pcm = {c.audio.name: read_pcm(c.audio) for c in dev_commands}
    figures: dict[str, float] = {}
    stack = Stack(StackOptions(agent="local_voice", llm="scripted"))
    await stack.start()
    driver: MqttSatelliteDriver | None = None
    watch: StateWatch | None = None
    try:
        assert stack.client is not None
        driver = MqttSatelliteDriver(
            stack.client,
            stack.info.mqtt_port,
            stack.info.pipeline_id,
            satellite_id=SATELLITE,
            workdir=stack.workdir / "satellite",
        )
        await driver.setup()
        watch = StateWatch(stack.info.mqtt_port, SATELLITE)
        for _ in range(2):  # warm-up: cold models, HA's MQTT subscriptions
            warm = await driver.speak(0, pcm["cmd01.wav"])
            if warm.transcript and not warm.error:
                break
        figures["asr_error_s"] = await _asr_dies_mid_utterance(stack, driver, watch, pcm)
        figures["tts_error_after_intent_s"] = await _tts_dies(stack, driver, watch, pcm)
        figures["ollama_error_s"] = await _ollama_dies(stack)
        figures.update(await _broker_dies(stack, driver, pcm))
        figures["ha_restart_to_ready_s"] = await _ha_dies(stack, driver, pcm)
    finally:
        if watch is not None:
            watch.close()
        if driver is not None:
            await driver.close()
        await stack.stop()
    figures = {k: round(v, 3) for k, v in figures.items()}
    print(f"fault figures: {figures}")
    if out := os.environ.get("LV_FAULT_RESULTS"):
        await asyncio.to_thread(Path(out).write_text, json.dumps(figures, indent=2) + "\n")
    for name in ("asr_error_s", "tts_error_after_intent_s", "ollama_error_s"):
        assert figures[name] <= ERROR_WITHIN_S, figures
