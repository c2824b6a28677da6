"""HA's own ``wyoming`` integration sets up against our server and speaks."""

from __future__ import annotations

import io
import wave

import pytest
from homeassistant import config_entries
from homeassistant.components import tts
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.setup import async_setup_component

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("socket_enabled")]


async def test_wyoming_integration_tts_entity_returns_audio(hass_core, tts_server) -> None:
    hass = hass_core
    assert await async_setup_component(hass, "tts", {})
    result = await hass.config_entries.flow.async_init(
        "wyoming", context={"source": config_entries.SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"host": tts_server.host, "port": tts_server.port}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    assert result["title"] == "local-voice-tts"
    await hass.async_block_till_done()

    entity_ids = [s.entity_id for s in hass.states.async_all("tts")]
    assert len(entity_ids) == 1, entity_ids
    entity = hass.data[tts.DATA_COMPONENT].get_entity(entity_ids[0])
    assert entity.supported_languages == ["en_US"]
    voices = entity.async_get_supported_voices("en_US")
    assert [v.voice_id for v in voices] == ["en_US-joe-medium"]

    media_id = tts.generate_media_source_id(
        hass,
        "Turned on the kitchen light.",
        engine=entity_ids[0],
        language="en_US",
        options={tts.ATTR_VOICE: "en_US-joe-medium", tts.ATTR_PREFERRED_FORMAT: "wav"},
        cache=False,
    )
    extension, data = await tts.async_get_media_source_audio(hass, media_id)
    assert extension == "wav"
    with wave.open(io.BytesIO(data), "rb") as wav:
        assert wav.getframerate() == 22050
        assert wav.getsampwidth() == 2
        assert wav.getnchannels() == 1
    # HA's Wyoming TTS streams: its WAV header is written before the length is known
    # (it says 0 frames), so the audio's length is what follows the 44-byte header.
    assert data[36:40] == b"data"
    seconds = (len(data) - 44) / (22050 * 2)
    assert 0.8 < seconds < 4.0, seconds
