"""Questions on the real Pi satellite: ask_question, start_conversation, the follow-up window.

Real HA core with the demo home, HA's MQTT integration on a real mosquitto,
our Wyoming ASR (tiny.en) and TTS servers, our agent on the scripted model
server, and the ``local-voice-satellite`` process hearing a quiet room in
real time. HA builds ``assist_satellite.ask_question`` on the satellite's
``async_start_conversation``; the answer is spoken into the satellite's
microphone without a wake word.
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest
from homeassistant.components import mqtt
from homeassistant.components.assist_pipeline.pipeline import (
    async_get_pipeline,
    async_update_pipeline,
)
from homeassistant.helpers import area_registry as ar
from satellite_helpers import MqttPeer, RealTimeMicrophone, satellite_cmd, silence

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
    from collections.abc import AsyncIterator
    from pathlib import Path

    from homeassistant.core import HomeAssistant

    from local_voice_harness.mosquitto import Mosquitto

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("socket_enabled"), pytest.mark.timeout(240)]
WINDOW_S = 3


class Room:
    def __init__(
        self, hass: HomeAssistant, mic: RealTimeMicrophone, peer: MqttPeer, tts: Any, entity: str
    ) -> None:
        self.hass, self.mic, self.peer, self.tts, self.entity_id = hass, mic, peer, tts, entity

    async def voice(self, text: str) -> bytes:
        reply = await asyncio.to_thread(
            synthesize, self.tts.host, self.tts.port, text, noise_scale=0.0, noise_w_scale=0.0
        )
        assert reply.rate is not None
        samples = np.frombuffer(reply.pcm, np.int16).astype(np.float32) / 32768
        pcm = np.clip(resample(samples, reply.rate, 16000) * 32767, -32768, 32767)
        return pcm.astype(np.int16).tobytes()

    def events(self, since: int) -> list[tuple[float, dict[str, Any]]]:
        return [
            (m.at, json.loads(m.payload))
            for m in self.peer.log[since:]
            if m.topic.endswith("/event")
        ]

    async def listening_session(self, since: int) -> tuple[float, str]:
        """The session the satellite opened for an answer (no wake word)."""

        def find() -> tuple[float, str] | None:
            for at, event in self.events(since):
                if event.get("type") == "session_start" and event.get("reason") == "conversation":
                    return at, str(event["session_id"])
            return None

        found: tuple[float, str] = await wait_until(find, within=30)
        return found

    def state(self, entity_id: str) -> str:
        return self.hass.states.get(entity_id).state


@pytest.fixture
async def room(  # noqa: PLR0917 - pytest fixtures
    demo_home: HomeAssistant,
    private_broker: Mosquitto,
    asr_server: Any,
    tts_server: Any,
    agent_entry: Any,
    tmp_path: Path,
) -> AsyncIterator[Room]:
    from agent_helpers import agent_id

    hass = demo_home
    await setup_voice_pipeline(
        hass, (asr_server.host, asr_server.port), (tts_server.host, tts_server.port)
    )
    await async_update_pipeline(
        hass, async_get_pipeline(hass), conversation_engine=agent_id(hass, agent_entry)
    )
    peer = MqttPeer(private_broker.port)
    await asyncio.to_thread(peer.connect)
    await asyncio.to_thread(peer.subscribe, "local_voice/kitchen/#")
    argv = satellite_cmd(
        *("--satellite-id", "kitchen", "--name", "Kitchen satellite", "--area", "Kitchen"),
        *("--host", private_broker.host, "--port", str(private_broker.port)),
        *("--input", "-", "--output", f"dir:{tmp_path / 'speaker'}"),
    )
    mic = RealTimeMicrophone(argv, tmp_path / "satellite.log")
    try:
        await setup_mqtt(hass, private_broker.host, private_broker.port)
        kitchen = ar.async_get(hass).async_get_area_by_name("Kitchen")
        assert kitchen is not None
        entry = await confirm_satellite(hass, "kitchen", kitchen.id)
        result = await hass.config_entries.options.async_init(entry.entry_id)
        await hass.config_entries.options.async_configure(
            result["flow_id"], {"follow_up_seconds": WINDOW_S}
        )
        await hass.async_block_till_done()
        entity_id = satellite_entity_id(hass, "kitchen")
        await wait_until(lambda: hass.states.get(entity_id).state == "idle")
        await wait_until(lambda: mqtt.is_connected(hass))
        await asyncio.sleep(1.0)  # HA batches SUBSCRIBE packets (FACTS.md)
        yield Room(hass, mic, peer, tts_server, entity_id)
    finally:
        code = await asyncio.to_thread(mic.close)
        peer.close()
    log = (tmp_path / "satellite.log").read_text()
    assert "Traceback" not in log, log
    assert code == 0, log  # SIGTERM: a clean stop, not the 15 s SIGKILL


async def test_ask_question_matches_the_spoken_answer(room: Room) -> None:
    since = len(room.peer.log)
    asked = asyncio.ensure_future(
        room.hass.services.async_call(
            "assist_satellite",
            "ask_question",
            {
                "entity_id": room.entity_id,
                "question": "Would you like tea or coffee?",
                "preannounce": False,
                "answers": [
                    {"id": "tea", "sentences": ["tea [please]"]},
                    {"id": "coffee", "sentences": ["coffee [please]"]},
                ],
            },
            blocking=True,
            return_response=True,
        )
    )
    await room.listening_session(since)
    room.mic.say(await room.voice("Coffee, please.") + silence(1.0))
    answer = await asyncio.wait_for(asked, 30)
    assert answer is not None
    assert answer["id"] == "coffee", answer


async def test_start_conversation_and_the_reply_acts(room: Room) -> None:
    since = len(room.peer.log)
    started = asyncio.ensure_future(
        room.hass.services.async_call(
            "assist_satellite",
            "start_conversation",
            {
                "entity_id": room.entity_id,
                "start_message": "Dinner is ready. Shall I turn on the kitchen light?",
                "preannounce": False,
            },
            blocking=True,
        )
    )
    await room.listening_session(since)
    await started
    room.mic.say(await room.voice("Turn on the kitchen light.") + silence(1.0))
    await wait_until(lambda: room.state("light.kitchen") == "on", within=30)


async def test_the_follow_up_window_then_a_fresh_command_inside_it(
    room: Room, wake_word_pcm: bytes
) -> None:
    # "Unlock the front door." -> "Are you sure ...?": the satellite listens for the
    # configured window, hears nothing, and closes the session then.
    since = len(room.peer.log)
    room.mic.say(wake_word_pcm + silence(0.3) + await room.voice("Unlock the front door."))
    opened_at, sid = await room.listening_session(since)

    def closed() -> tuple[float, dict[str, Any]] | None:
        return next(
            (
                (at, e)
                for at, e in room.events(since)
                if e.get("type") == "session_end" and e.get("session_id") == sid
            ),
            None,
        )

    closed_at, end = await wait_until(closed, within=WINDOW_S + 10)
    assert end["reason"] == "cancel"
    assert (
        WINDOW_S - 0.5 < closed_at - opened_at < WINDOW_S + 1.0
    )  # the window, not the 5 s default
    assert room.state("lock.front_door") == "locked"

    # Asked again; this time the user ignores the question and says a new command.
    since = len(room.peer.log)
    room.mic.say(wake_word_pcm + silence(0.3) + await room.voice("Unlock the front door."))
    await room.listening_session(since)
    room.mic.say(
        wake_word_pcm
        + silence(0.3)
        + await room.voice("Turn off the bedroom light.")
        + silence(1.0)
    )
    await wait_until(lambda: room.state("light.bedroom") == "off", within=30)
    assert room.state("lock.front_door") == "locked"
