"""Answer audio straight from our streaming TTS server, sentence by sentence.

The real TTS server (piper, bundled voice) over a real socket. ``publish`` is
a recorder here (the MQTT hop is covered by the satellite tests, which now
take this path too): it notes when each message went out, so the test can
see the first sentence leave before the last one is made.
"""

from __future__ import annotations

import time
import uuid
from typing import TYPE_CHECKING, Any

import pytest
from homeassistant.components.assist_pipeline.pipeline import async_get_pipeline
from homeassistant.components.assist_satellite.const import DATA_COMPONENT as SATELLITES
from homeassistant.helpers import area_registry as ar

from custom_components.local_voice import protocol as p
from custom_components.local_voice.answer_stream import (
    DirectTts,
    DirectTtsError,
    answer_text,
    direct_tts_for,
    stream_answer,
)
from custom_components.local_voice.assist_satellite import MqttAssistSatellite
from local_voice_harness.ha_satellite import (
    confirm_satellite,
    satellite_entity_id,
    setup_mqtt,
    setup_voice_pipeline,
    wait_until,
)
from local_voice_harness.ports import free_port
from local_voice_harness.satellite_sim import SatelliteSim, read_pcm

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from local_voice_harness.commands import SpokenCommand
    from local_voice_harness.mosquitto import Mosquitto

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("socket_enabled"), pytest.mark.timeout(90)]


class Recorder:
    """Stands in for the MQTT publish: (monotonic time, topic, payload) per message."""

    def __init__(self) -> None:
        self.sent: list[tuple[float, str, bytes]] = []

    async def __call__(self, topic: str, payload: bytes, qos: int) -> None:
        self.sent.append((time.monotonic(), topic, payload))

    def audio(self) -> list[tuple[float, bytes]]:
        return [
            (t, b) for t, topic, b in self.sent if topic.rsplit("/", 1)[-1] not in {"start", "end"}
        ]


def _three_sentences() -> str:
    tag = uuid.uuid4().hex[:6]  # new text every run: the server's cache must not answer
    return (
        f"The kitchen light is on, code {' '.join(tag)}. "
        "The front door is locked and the garage door is closed. "
        "The living room is twenty one degrees and the bedroom humidity is forty five percent."
    )


async def test_first_sentence_goes_out_before_the_last_is_made_and_cached_at_once(
    tts_server: Any,
) -> None:
    target = DirectTts(tts_server.host, tts_server.port)
    text = _three_sentences()
    rec = Recorder()
    began = time.monotonic()
    seconds = await stream_answer(rec, "kitchen", "s1", target, text)
    done = time.monotonic()
    assert rec.sent[0][1] == p.audio_out_topic("kitchen", "s1", "start")
    assert rec.sent[-1][1] == p.audio_out_topic("kitchen", "s1", "end")
    audio = rec.audio()
    pcm = b"".join(b for _, b in audio)
    assert not pcm.startswith(b"RIFF")
    assert seconds == pytest.approx(len(pcm) / (22050 * 2), abs=0.02)
    assert seconds > 4  # three spoken sentences
    first = audio[0][0] - began
    total = done - began
    print(f"first PCM after {first * 1000:.0f} ms, whole answer after {total * 1000:.0f} ms")
    # Sentence by sentence: the first audio leaves well before the answer is complete
    # (a WAV-first path could not send anything before `total`).
    assert first < 0.6 * total
    # The same answer again comes from the server's cache: it starts at once.
    again = Recorder()
    began = time.monotonic()
    await stream_answer(again, "kitchen", "s2", target, text)
    cached_first = again.audio()[0][0] - began
    print(f"cached: first PCM after {cached_first * 1000:.0f} ms")
    assert cached_first < first / 2
    assert b"".join(b for _, b in again.audio()) == pcm


async def test_unreachable_server_raises_before_anything_is_sent() -> None:
    rec = Recorder()
    with pytest.raises(DirectTtsError):
        await stream_answer(rec, "kitchen", "s", DirectTts("127.0.0.1", free_port()), "Hello.")
    assert rec.sent == []


def test_answer_text_from_intent_end() -> None:
    data = {"intent_output": {"response": {"speech": {"plain": {"speech": " Turned on. "}}}}}
    assert answer_text(data) == "Turned on."
    assert answer_text({}) == ""
    assert answer_text({"intent_output": {"response": {"speech": {}}}}) == ""
    assert answer_text({"intent_output": {"response": {"speech": {"plain": {"speech": 3}}}}}) == ""


@pytest.fixture
async def voice_home(demo_home: HomeAssistant, asr_server: Any, tts_server: Any) -> HomeAssistant:
    """The demo home with an Assist pipeline on our real ASR and TTS servers."""
    await setup_voice_pipeline(
        demo_home, (asr_server.host, asr_server.port), (tts_server.host, tts_server.port)
    )
    return demo_home


@pytest.mark.parametrize("reachable", [True, False], ids=["direct", "fallback-to-ha-tts"])
async def test_satellite_answer_comes_from_the_direct_stream(
    reachable: bool,
    voice_home: HomeAssistant,
    private_broker: Mosquitto,
    dev_commands: list[SpokenCommand],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """cmd01 from a satellite: the answer reaches it, straight from the TTS or via HA's."""
    hass = voice_home
    target = direct_tts_for(hass, async_get_pipeline(hass))
    assert target is not None
    if not reachable:  # a streaming server that went away: HA's own TTS path answers
        target = DirectTts("127.0.0.1", free_port())
        monkeypatch.setattr(f"{MqttAssistSatellite.__module__}.direct_tts_for", lambda *_: target)
    sim = SatelliteSim(private_broker.host, private_broker.port, "kitchen")
    await hass.async_add_executor_job(sim.connect)
    try:
        await setup_mqtt(hass, private_broker.host, private_broker.port)
        kitchen = ar.async_get(hass).async_get_area_by_name("Kitchen")
        assert kitchen is not None
        await confirm_satellite(hass, "kitchen", kitchen.id)
        entity_id = satellite_entity_id(hass, "kitchen")
        await wait_until(lambda: hass.states.get(entity_id).state == "idle")
        await hass.async_block_till_done()
        cmd = next(c for c in dev_commands if c.audio.name == "cmd01.wav")
        pcm = read_pcm(cmd.audio)
        sid = await hass.async_add_executor_job(lambda: sim.speak(pcm, chunk_ms=40))
        stream = await hass.async_add_executor_job(lambda: sim.wait_stream(sid, 45))
        await wait_until(lambda: hass.states.get("light.kitchen").state == "on")
        entity = hass.data[SATELLITES].get_entity(entity_id)
        assert entity is not None
        assert entity._direct == target
        assert stream.start is not None
        assert stream.start.audio == p.AudioFormat(22050, 2, 1)
        assert stream.start.text
        assert stream.end is not None
        assert stream.end.chunks == stream.chunks
        assert len(stream.pcm) / (22050 * 2) > 0.3
        seen = [s.state for s in sim.states]
        assert seen[:3] == ["listening", "processing", "responding"], seen
        await wait_until(lambda: hass.states.get(entity_id).state == "idle")
    finally:
        sim.close()
