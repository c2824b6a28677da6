"""Answers on the room's own media player, and the room's music turned down meanwhile.

Real HA with a house that has media players (the demo home plus a kitchen
speaker that takes announcements, a kitchen radio and a living room TV), a
real mosquitto, our Wyoming ASR and TTS servers, HA's own agent, and a paho
client speaking the protocol as the Pi satellite does.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import pytest
import yaml
from homeassistant.components import mqtt
from homeassistant.helpers import area_registry as ar
from homeassistant.setup import async_setup_component

from local_voice_harness import paths
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
    from pathlib import Path

    from homeassistant.core import HomeAssistant

    from local_voice_harness.commands import SpokenCommand
    from local_voice_harness.mosquitto import Mosquitto

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("socket_enabled"), pytest.mark.timeout(120)]
SPEAKER, RADIO, TV = "media_player.kitchen_speaker", "media_player.kitchen_radio", "media_player.tv"
PLAYERS = [
    {"entity_id": SPEAKER, "name": "Kitchen Speaker", "area": "Kitchen", "state": "playing",
     "volume": 0.6, "announce": True, "exposed": False},
    {"entity_id": RADIO, "name": "Kitchen Radio", "area": "Kitchen", "state": "playing",
     "volume": 0.3, "exposed": False},
    {"entity_id": TV, "name": "TV", "area": "Living Room", "state": "playing", "volume": 0.4,
     "exposed": False},
]  # fmt: skip


@pytest.fixture
async def kitchen(
    hass_core: HomeAssistant,
    private_broker: Mosquitto,
    asr_server: Any,
    tts_server: Any,
    tmp_path: Path,
) -> AsyncIterator[tuple[HomeAssistant, SatelliteSim, Any]]:
    spec = yaml.safe_load(paths.demo_home_file().read_text(encoding="utf-8"))
    spec["entities"] += PLAYERS
    house = tmp_path / "home.yaml"
    house.write_text(yaml.safe_dump(spec), encoding="utf-8")
    hass = hass_core
    assert await async_setup_component(hass, "demo_home", {"demo_home": {"home": str(house)}})
    await hass.async_block_till_done()
    await setup_voice_pipeline(
        hass, (asr_server.host, asr_server.port), (tts_server.host, tts_server.port)
    )
    sim = SatelliteSim(private_broker.host, private_broker.port, "kitchen")
    await hass.async_add_executor_job(sim.connect)
    await setup_mqtt(hass, private_broker.host, private_broker.port)
    area = ar.async_get(hass).async_get_area_by_name("Kitchen")
    assert area is not None
    entry = await confirm_satellite(hass, "kitchen", area.id)
    await wait_until(lambda: hass.states.get(satellite_entity_id(hass, "kitchen")).state == "idle")
    await wait_until(lambda: mqtt.is_connected(hass))
    yield hass, sim, entry
    sim.close()


async def _options(hass: HomeAssistant, entry: Any, **changes: Any) -> dict[str, Any]:
    result = await hass.config_entries.options.async_init(entry.entry_id)
    values = {"endpointing_silence_ms": 300, "arbitration_window_ms": 100,
              "follow_up_seconds": 5, "duck_media_players": True, "duck_percent": 20, **changes}  # fmt: skip
    result = await hass.config_entries.options.async_configure(result["flow_id"], values)
    await hass.async_block_till_done()
    return dict(result)


def _volume(hass: HomeAssistant, player: str) -> float:
    return float(hass.states.get(player).attributes["volume_level"])


async def test_an_answer_player_must_be_in_the_satellites_area(
    kitchen: tuple[HomeAssistant, SatelliteSim, Any],
) -> None:
    hass, _sim, entry = kitchen
    result = await _options(hass, entry, answer_media_player=TV)
    assert result["type"] == "form"
    assert result["errors"] == {"answer_media_player": "player_not_in_area"}
    result = await _options(hass, entry, answer_media_player=SPEAKER)
    assert result["type"] == "create_entry"
    assert entry.options["answer_media_player"] == SPEAKER


async def test_the_answer_plays_on_the_rooms_speaker_and_the_music_comes_back(
    kitchen: tuple[HomeAssistant, SatelliteSim, Any], dev_commands: list[SpokenCommand]
) -> None:
    hass, sim, entry = kitchen
    assert (await _options(hass, entry, answer_media_player=SPEAKER))["type"] == "create_entry"
    await wait_until(lambda: hass.states.get(satellite_entity_id(hass, "kitchen")).state == "idle")
    await asyncio.sleep(0.7)  # the reloaded entry's subscriptions go out in a batch
    cmd = next(c for c in dev_commands if c.audio.name == "cmd08.wav")  # the desk lamp: words
    # The session opens: the kitchen's music goes down at once, the living room's does not.
    sid = await hass.async_add_executor_job(
        lambda: sim.speak(read_pcm(cmd.audio)[:3200], end=False)
    )
    await wait_until(lambda: abs(_volume(hass, SPEAKER) - 0.12) < 1e-6, within=10)
    await wait_until(lambda: abs(_volume(hass, RADIO) - 0.06) < 1e-6, within=10)
    assert _volume(hass, TV) == 0.4
    # Someone turns the radio up meanwhile: it is theirs now, left as they set it.
    await hass.services.async_call(
        "media_player", "volume_set", {"entity_id": RADIO, "volume_level": 0.8}, blocking=True
    )
    rest = read_pcm(cmd.audio)[3200:]
    # The rest of the command in the same session (a repeated session_start is ignored).
    await hass.async_add_executor_job(lambda: sim.speak(rest, session_id=sid))
    await wait_until(lambda: hass.states.get("light.desk_lamp").state == "on", within=30)
    played = await wait_until(lambda: hass.states.get(SPEAKER).attributes["played"], within=30)
    assert played[0]["announce"] is True
    assert "/api/tts_proxy/" in played[0]["media_id"]
    # Heard on the speaker, not on the satellite: no answer stream went to it.
    await wait_until(lambda: abs(_volume(hass, SPEAKER) - 0.6) < 1e-6, within=20)
    assert _volume(hass, RADIO) == 0.8
    assert _volume(hass, TV) == 0.4
    assert not sim.streams
    assert all(s.error_code is None for s in sim.states)
    # The speaker went down and back exactly once; the TV was never touched.
    assert hass.states.get(SPEAKER).attributes["volumes"] == [0.12, 0.6]
    assert hass.states.get(TV).attributes["volumes"] == []
