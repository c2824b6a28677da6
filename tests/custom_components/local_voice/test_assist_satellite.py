"""End to end over MQTT: a satellite speaks, HA's Assist pipeline acts and answers.

Real HA core with the demo home, a real mosquitto and HA's MQTT integration,
our real Wyoming ASR (tiny.en) and TTS (piper) servers as processes, HA's own
conversation agent, and a paho client playing the satellite with the dev
spoken commands.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any
from unittest.mock import patch

import numpy as np
import pytest
from homeassistant.components import mqtt, tts
from homeassistant.components.assist_pipeline.const import DATA_LAST_WAKE_UP, WAKE_WORD_COOLDOWN
from homeassistant.components.assist_pipeline.pipeline import (
    async_get_pipeline,
    async_update_pipeline,
)
from homeassistant.components.assist_satellite import AssistSatelliteAnnouncement
from homeassistant.components.assist_satellite.const import DATA_COMPONENT as SATELLITES
from homeassistant.helpers import area_registry as ar

from custom_components.local_voice import protocol as p
from local_voice_harness.ha_satellite import (
    confirm_satellite,
    satellite_entity_id,
    setup_mqtt,
    setup_voice_pipeline,
    wait_until,
)
from local_voice_harness.satellite_sim import OutStream, SatelliteSim, read_pcm
from local_voice_harness.tts_wire import synthesize
from wyoming_servers.core.audio import resample

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from local_voice_harness.commands import SpokenCommand
    from local_voice_harness.mosquitto import Mosquitto

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("socket_enabled"), pytest.mark.timeout(90)]
# HA: "listen for the answer, for the follow-up window" (5 s unless the options say otherwise)
_LISTEN = p.StartListening(conversation=True, window_s=5.0)


class Home:
    """HA with the demo home, MQTT, the voice pipeline and a confirmed kitchen satellite."""

    def __init__(self, hass: HomeAssistant, sim: SatelliteSim, entity_id: str) -> None:
        self.hass, self.sim, self.entity_id = hass, sim, entity_id

    async def run(self, func: Any, *args: Any) -> Any:
        """Run a blocking satellite call off the event loop."""
        return await self.hass.async_add_executor_job(func, *args)

    def light(self) -> str:
        return self.hass.states.get("light.kitchen").state


@pytest.fixture
async def home(
    demo_home: HomeAssistant, private_broker: Mosquitto, asr_server: Any, tts_server: Any
) -> AsyncIterator[Home]:
    hass = demo_home
    await setup_voice_pipeline(
        hass, (asr_server.host, asr_server.port), (tts_server.host, tts_server.port)
    )
    sim = SatelliteSim(private_broker.host, private_broker.port, "kitchen")
    await hass.async_add_executor_job(sim.connect)
    await setup_mqtt(hass, private_broker.host, private_broker.port)
    kitchen = ar.async_get(hass).async_get_area_by_name("Kitchen")
    assert kitchen is not None
    await confirm_satellite(hass, "kitchen", kitchen.id)
    entity_id = satellite_entity_id(hass, "kitchen")
    await wait_until(lambda: hass.states.get(entity_id).state == "idle")
    await _subscriptions_settled(hass)
    yield Home(hass, sim, entity_id)
    sim.close()


async def _subscriptions_settled(hass: HomeAssistant) -> None:
    """HA batches SUBSCRIBE packets (FACTS.md): let the batch go out before streaming."""
    await wait_until(lambda: mqtt.is_connected(hass))
    await hass.async_block_till_done()
    await asyncio.sleep(0.7)


def _wake_word_cooled_down(hass: HomeAssistant) -> bool:
    last = hass.data[DATA_LAST_WAKE_UP].values()
    return all(time.monotonic() - at > WAKE_WORD_COOLDOWN for at in last)


@pytest.fixture
def fast_reconnect() -> Iterator[None]:
    """HA's MQTT client retries every 10 s; 1 s keeps the restart test short."""
    with patch("homeassistant.components.mqtt.client.RECONNECT_INTERVAL_SECONDS", 1):
        yield


def _cmd01(commands: list[SpokenCommand]) -> bytes:
    cmd = next(c for c in commands if c.audio.name == "cmd01.wav")
    assert cmd.text == "turn on the kitchen light"
    return read_pcm(cmd.audio)


async def _speak_and_hear(home: Home, pcm: bytes, **kwargs: Any) -> Any:
    sid = await home.run(lambda: home.sim.speak(pcm, **kwargs))
    return await home.run(lambda: home.sim.wait_stream(sid, 45))


async def test_spoken_command_turns_on_the_light_and_the_answer_is_heard(
    home: Home, dev_commands: list[SpokenCommand]
) -> None:
    assert home.light() == "off"
    # Spoken at real-time pace; the satellite ends the session 300 ms after the words.
    sid = await home.run(lambda: home.sim.speak(_cmd01(dev_commands), chunk_ms=30, realtime=1.0))
    ended = time.monotonic()
    stream = await home.run(lambda: home.sim.wait_stream(sid, 45))
    await wait_until(lambda: home.light() == "on")
    # HA's own detector is pushed out to 30 s for a satellite with VAD, so an answer
    # within seconds means the session end closed the audio stream at once.
    assert stream.first_audio_at is not None
    latency = stream.first_audio_at - ended
    print(f"session end -> first answer audio at the satellite: {latency * 1000:.0f} ms")
    assert latency < 10
    # A command for the satellite's own area: HA answers with its acknowledge sound
    # (an mp3 HA converts to WAV: 44.1 kHz stereo), passed on as PCM.
    entity = home.hass.data[SATELLITES].get_entity(home.entity_id)
    assert entity is not None
    assert entity.tts_options == {"preferred_format": "wav"}
    assert stream.start is not None
    assert stream.start.kind == "answer"
    assert stream.start.audio.rate in p.OUT_RATES
    assert stream.end is not None
    assert stream.end.chunks == stream.chunks
    assert not stream.pcm.startswith(b"RIFF")
    seen = [s.state for s in home.sim.states]
    assert seen[:3] == ["listening", "processing", "responding"], seen
    await wait_until(lambda: home.sim.states[-1].state == "idle")
    await wait_until(lambda: home.hass.states.get(home.entity_id).state == "idle")
    assert all(s.error_code is None for s in home.sim.states)
    # A command for another room is answered in words: PCM in the TTS voice's own
    # rate (no ffmpeg), announced in `start`.
    await wait_until(lambda: _wake_word_cooled_down(home.hass))
    desk = next(c for c in dev_commands if c.audio.name == "cmd08.wav")
    stream = await _speak_and_hear(home, read_pcm(desk.audio), chunk_ms=30, realtime=1.0)
    await wait_until(lambda: home.hass.states.get("light.desk_lamp").state == "on")
    assert stream.start is not None
    assert stream.start.audio == p.AudioFormat(22050, 2, 1)
    assert stream.start.text
    assert len(stream.pcm) / (22050 * 2) > 0.3  # a spoken sentence, not an empty WAV


async def _synthesize_16k(home: Home, tts_server: Any, text: str) -> bytes:
    """Speech for ``text`` from our piper server as 16 kHz mono PCM, the same every run.

    Piper samples its noise afresh for each synthesis unless both noise scales are
    0; with its noise, "Turn on the light." is now and then heard as "... the white".
    """
    reply = await home.run(
        lambda: synthesize(
            tts_server.host, tts_server.port, text, noise_scale=0.0, noise_w_scale=0.0
        )
    )
    assert reply.error is None
    assert (reply.width, reply.channels) == (2, 1)
    assert reply.rate is not None
    samples = np.frombuffer(reply.pcm, np.int16).astype(np.float32) / 32768
    pcm16k = np.clip(resample(samples, reply.rate, 16000) * 32767, -32768, 32767)
    return pcm16k.astype(np.int16).tobytes()


async def test_a_command_without_an_area_acts_in_the_satellites_area(
    home: Home, tts_server: Any
) -> None:
    """The satellite's device id reaches the agent: "the light" is the kitchen's."""
    before = {s.entity_id: s.state for s in home.hass.states.async_all("light")}
    assert before["light.kitchen"] == "off"
    pcm = await _synthesize_16k(home, tts_server, "Turn on the light.")
    stream = await _speak_and_hear(home, pcm, chunk_ms=40)
    try:
        await wait_until(lambda: home.light() == "on")
    except TimeoutError as err:  # say what was heard and answered
        heard = home.hass.states.get("sensor.kitchen_satellite_last_transcript")
        answer = stream.start.text if stream.start else None
        raise AssertionError(
            f"kitchen light still off; transcript {heard.state if heard else None!r},"
            f" answer {answer!r}"
        ) from err
    after = {s.entity_id: s.state for s in home.hass.states.async_all("light")}
    assert {k for k in after if after[k] != before[k]} == {"light.kitchen"}


async def test_announcement_reaches_the_satellite_as_audio(home: Home) -> None:
    await home.hass.services.async_call(
        "assist_satellite",
        "announce",
        {"entity_id": home.entity_id, "message": "Dinner is ready", "preannounce": False},
        blocking=True,
    )
    cmd = next(c for c in home.sim.commands if isinstance(c, p.AnnounceText))
    assert cmd.text == "Dinner is ready"
    stream = await home.run(lambda: home.sim.wait_stream(cmd.stream_id, 5))
    assert stream.start is not None
    assert stream.start.kind == "announcement"
    assert len(stream.pcm) > 22050  # more than half a second of speech
    assert home.hass.states.get(home.entity_id).state == "idle"

    # Start conversation: the announcement, then the satellite is asked to listen.
    entity = home.hass.data[SATELLITES].get_entity(home.entity_id)
    pipeline = async_get_pipeline(home.hass)
    assert pipeline.tts_engine is not None
    question = tts.async_create_stream(
        home.hass,
        engine=pipeline.tts_engine,
        language=pipeline.tts_language,
        options={tts.ATTR_PREFERRED_FORMAT: "wav"},
    )
    question.async_set_message("Shall I close the garage?")
    await entity.async_start_conversation(
        AssistSatelliteAnnouncement(
            message="Shall I close the garage?",
            media_id=question.url,
            original_media_id=question.url,
            tts_token=question.token,
            media_id_source="tts",
        )
    )
    asked = [c for c in home.sim.commands if isinstance(c, p.AnnounceText)][-1]
    assert asked.start_conversation
    assert (await home.run(lambda: home.sim.wait_stream(asked.stream_id, 5))).pcm
    assert home.sim.commands[-1] == _LISTEN


async def _asked_before_unlocking(
    home: Home, agent_entry: MockConfigEntry, tts_server: Any
) -> OutStream:
    """The question's audio stream, once HA has told the satellite to listen for the answer.

    Our agent answers the pipeline; it asks before unlocking the front door.
    """
    from agent_helpers import agent_id

    engine = agent_id(home.hass, agent_entry)
    await async_update_pipeline(
        home.hass, async_get_pipeline(home.hass), conversation_engine=engine
    )
    before = len(home.sim.commands)
    pcm = await _synthesize_16k(home, tts_server, "Unlock the front door.")
    asked = await _speak_and_hear(home, pcm, chunk_ms=40)
    await home.run(lambda: home.sim.wait_for(lambda: _LISTEN in home.sim.commands[before:], 10))
    return asked


async def test_a_question_opens_the_microphone_and_the_spoken_answer_is_heard(
    home: Home, agent_entry: MockConfigEntry, tts_server: Any
) -> None:
    """Our agent asks before unlocking; the satellite listens for "yes" without a wake word.

    HA's esphome satellites do the same on ``continue_conversation``. A plain answer
    leaves the microphone closed.
    """
    hass = home.hass
    assert hass.states.get("lock.front_door").state == "locked"
    asked = await _asked_before_unlocking(home, agent_entry, tts_server)
    assert asked.start is not None
    assert "?" in asked.start.text, asked.start.text
    assert hass.states.get("lock.front_door").state == "locked"

    # The satellite opens a session for the answer, as it does on StartListening.
    before = len(home.sim.commands)
    yes = await _synthesize_16k(home, tts_server, "Yes.")
    done = await _speak_and_hear(home, yes, chunk_ms=40, reason="conversation")
    await wait_until(lambda: hass.states.get("lock.front_door").state == "unlocked")
    assert done.start is not None
    assert "?" not in done.start.text, done.start.text
    await wait_until(lambda: home.hass.states.get(home.entity_id).state == "idle")
    await asyncio.sleep(0.5)  # a StartListening would follow the idle state at once
    assert _LISTEN not in home.sim.commands[before:]


async def test_a_new_command_instead_of_the_answer_is_heard(
    home: Home, agent_entry: MockConfigEntry, tts_server: Any, dev_commands: list[SpokenCommand]
) -> None:
    """The user ignores "Are you sure ...?" and says the wake word and a new command.

    The satellite cancels the answer session it opened and starts a wake-word
    session (as the Pi satellite does); the new command must run.
    """
    hass = home.hass
    await _asked_before_unlocking(home, agent_entry, tts_server)
    # The answer session: the satellite hears the wake word in it and cancels it.
    answer_sid = await home.run(
        lambda: home.sim.speak(b"\0" * 16000, reason="conversation", end=False)
    )
    await wait_until(lambda: _wake_word_cooled_down(hass))  # HA drops a repeat within 2 s

    def cancel_and_speak() -> str:  # back to back, as the satellite sends them
        home.sim.event(p.SessionEnd(answer_sid, 16, "cancel"))
        return home.sim.speak(_cmd01(dev_commands), chunk_ms=40)

    sid = await home.run(cancel_and_speak)
    await wait_until(lambda: home.light() == "on")
    await home.run(lambda: home.sim.wait_stream(sid, 20))
    # The cancelled run's end must not reach the new session (a satellite stops
    # streaming on any state but "listening" for its session).
    states = [s.state for s in home.sim.states if s.session_id == sid]
    assert states[:3] == ["listening", "processing", "responding"], states
    assert hass.states.get("lock.front_door").state == "locked"


async def test_bad_inputs_end_only_their_session_and_the_next_utterance_works(
    home: Home, dev_commands: list[SpokenCommand], caplog: pytest.LogCaptureFixture
) -> None:
    sim = home.sim

    async def error(code: str, since: int) -> p.State:
        def check() -> p.State | None:
            return next((s for s in sim.states[since:] if s.error_code == code), None)

        state: p.State = await home.run(lambda: sim.wait_for(check, 10))
        assert state.state == "idle"
        return state

    # Malformed JSON and an unknown event type are dropped.
    n = len(sim.states)
    await home.run(sim.event, b"{not json")
    await error("bad_event", n)
    # Audio for a session that never started.
    n = len(sim.states)
    await home.run(sim.chunk, "ghost", b"\0" * 640)
    await error("unknown_session", n)
    # A chunk over the 100 ms cap ends its session.
    n = len(sim.states)
    await home.run(sim.event, p.SessionStart("big"))
    await home.run(sim.chunk, "big", b"\0" * (p.MAX_CHUNK_BYTES + 2))
    await error("chunk_too_large", n)
    # Late chunks of the ended session are dropped quietly.
    await home.run(sim.chunk, "big", b"\0" * 640)
    # A session over the utterance cap (sent faster than real time) ends.
    n = len(sim.states)
    await home.run(sim.event, p.SessionStart("long"))
    silence = b"\0" * p.MAX_CHUNK_BYTES
    for _ in range(p.MAX_UTTERANCE_SECONDS * 10 + 1):
        sim.client.publish(p.audio_in_topic("kitchen", "long"), silence, qos=0)
    await error("session_too_long", n)
    # A session whose audio stops (its end never comes) times out.
    n = len(sim.states)
    await home.run(sim.event, p.SessionStart("stalled"))
    await home.run(sim.chunk, "stalled", b"\0" * 640)
    await error("session_timeout", n)

    # Audio from a satellite nobody confirmed reaches no pipeline.
    stranger = SatelliteSim(sim.host, sim.port, "hall")
    await home.run(stranger.connect)
    try:
        await home.run(lambda: stranger.speak(_cmd01(dev_commands), chunk_ms=40))
        await asyncio.sleep(1.0)
        assert stranger.states == []
        assert stranger.streams == {}
    finally:
        stranger.close()

    assert home.light() == "off"
    # HA is healthy and the next utterance works; a duplicate session_start is ignored.
    sid = "again"
    await home.run(sim.event, p.SessionStart(sid))
    stream = await _speak_and_hear(home, _cmd01(dev_commands), session_id=sid, chunk_ms=20)
    await wait_until(lambda: home.light() == "on")
    assert stream.end is not None
    assert not [s for s in sim.states if s.session_id == sid and s.error_code]
    assert "Late chunk for ended session big dropped" in caplog.text


async def test_broker_restart_mid_utterance_recovers(
    fast_reconnect: None,
    home: Home,
    private_broker: Mosquitto,
    dev_commands: list[SpokenCommand],
    caplog: pytest.LogCaptureFixture,
) -> None:
    pcm = _cmd01(dev_commands)
    # HA publishes its birth message a little after connecting; a broker that dies
    # before that makes HA's own birth task raise, which is not what is tested here.
    await wait_until(lambda: "birth message sent" in caplog.text, within=15)
    await home.run(lambda: home.sim.speak(pcm[: len(pcm) // 2], session_id="cut", end=False))
    await home.run(private_broker.stop)
    # HA notices the lost broker (or the satellite's will) and ends the session.
    await wait_until(lambda: not mqtt.is_connected(home.hass), within=10)
    await wait_until(
        lambda: home.hass.states.get(home.entity_id).state in {"idle", "unavailable"}, within=10
    )
    assert "session cut" in caplog.text
    await home.run(private_broker.start)
    await wait_until(lambda: mqtt.is_connected(home.hass), within=15)
    await home.run(home.sim.wait_connected)
    await wait_until(lambda: home.hass.states.get(home.entity_id).state == "idle", within=10)
    await _subscriptions_settled(home.hass)
    assert home.light() == "off"
    # HA drops a wake word heard again within its cooldown as a second satellite's
    # echo ("duplicate wake-up"); a quick restart leaves the cut session inside it.
    await wait_until(lambda: _wake_word_cooled_down(home.hass), within=5)
    stream = await _speak_and_hear(home, pcm, chunk_ms=40)
    await wait_until(lambda: home.light() == "on")
    assert stream.end is not None
