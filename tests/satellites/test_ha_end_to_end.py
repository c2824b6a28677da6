"""The real Pi satellite program against real Home Assistant: "okay nabu, turn on the kitchen light".

HA core with the demo home, HA's MQTT integration on a real mosquitto, our
Wyoming ASR (tiny.en) and TTS (piper) servers as processes, and the
``local-voice-satellite`` process with its microphone on stdin (espeak's
"okay nabu" + dev cmd01) and its speaker writing WAV files. The satellite
ends the session with its own VAD; the light turns on and the spoken answer
is played.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
import wave
from typing import TYPE_CHECKING, Any

import local_voice_protocol as p
import pytest
from homeassistant.components import mqtt
from homeassistant.helpers import area_registry as ar
from local_voice_satellite.audio_in import read_wav
from satellite_helpers import satellite_cmd, satellite_env, silence

from local_voice_harness.ha_satellite import (
    confirm_satellite,
    satellite_entity_id,
    setup_mqtt,
    setup_voice_pipeline,
    wait_until,
)

if TYPE_CHECKING:
    from pathlib import Path

    from homeassistant.core import HomeAssistant

    from local_voice_harness.commands import SpokenCommand
    from local_voice_harness.mosquitto import Mosquitto

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("socket_enabled"), pytest.mark.timeout(120)]


def _feed(proc: subprocess.Popen[bytes], pcm: bytes) -> None:
    """Real-time pace, 10 ms frames, like a microphone."""
    assert proc.stdin is not None
    start = time.monotonic()
    for index, offset in enumerate(range(0, len(pcm), 320)):
        delay = start + index * 0.01 - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        proc.stdin.write(pcm[offset : offset + 320])
        proc.stdin.flush()


def _start_satellite(broker: Mosquitto, out: Path, log_path: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        satellite_cmd(
            *("--satellite-id", "kitchen", "--name", "Kitchen satellite", "--area", "Kitchen"),
            *("--host", broker.host, "--port", str(broker.port)),
            *("--input", "-", "--output", f"dir:{out}", "--exit-on-eof"),
        ),
        env=satellite_env(),
        stdin=subprocess.PIPE,
        stdout=log_path.open("wb"),
        stderr=subprocess.STDOUT,
    )


async def test_pi_satellite_turns_on_the_kitchen_light(  # noqa: PLR0917 - pytest fixtures
    demo_home: HomeAssistant,
    private_broker: Mosquitto,
    asr_server: Any,
    tts_server: Any,
    wake_word_pcm: bytes,
    dev_commands: list[SpokenCommand],
    tmp_path: Path,
) -> None:
    hass = demo_home
    await setup_voice_pipeline(
        hass, (asr_server.host, asr_server.port), (tts_server.host, tts_server.port)
    )
    out = tmp_path / "speaker"
    log_path = tmp_path / "satellite.log"
    proc = await hass.async_add_executor_job(_start_satellite, private_broker, out, log_path)
    try:
        await setup_mqtt(hass, private_broker.host, private_broker.port)
        kitchen = ar.async_get(hass).async_get_area_by_name("Kitchen")
        assert kitchen is not None
        await confirm_satellite(hass, "kitchen", kitchen.id)
        entity_id = satellite_entity_id(hass, "kitchen")
        await wait_until(lambda: hass.states.get(entity_id).state == "idle")
        await wait_until(lambda: mqtt.is_connected(hass))
        await hass.async_block_till_done()
        await asyncio.sleep(0.7)  # HA batches SUBSCRIBE packets (FACTS.md)
        assert hass.states.get("light.kitchen").state == "off"

        cmd01 = next(c for c in dev_commands if c.audio.name == "cmd01.wav")
        mic = silence(0.3) + wake_word_pcm + silence(0.2) + read_wav(cmd01.audio) + silence(1.0)
        await hass.async_add_executor_job(_feed, proc, mic)
        await wait_until(lambda: hass.states.get("light.kitchen").state == "on", within=30)
        answer = await wait_until(lambda: sorted(out.glob("*.wav")), within=30)
        with wave.open(str(answer[0])) as wav:
            # HA's own agent acted in the satellite's own area: HA answers with its
            # acknowledge sound (44.1 kHz stereo), which the satellite plays as PCM.
            assert wav.getframerate() in p.OUT_RATES
            assert wav.getnframes() / wav.getframerate() > 0.1
        await wait_until(lambda: hass.states.get(entity_id).state == "idle", within=20)
        assert proc.stdin is not None
        proc.stdin.close()
        assert await hass.async_add_executor_job(proc.wait, 20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
    log = log_path.read_text()
    assert "ended (vad)" in log, log  # the satellite's VAD ended the session, not HA's
    assert "Traceback" not in log, log
