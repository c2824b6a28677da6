"""In-process HA helpers for satellite tests: MQTT, Wyoming, a pipeline, a confirmed satellite.

Everything is configured through HA's own config entries and flows, against
real services (a mosquitto, our Wyoming servers), exactly as a user would.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any
from unittest.mock import AsyncMock, patch

from homeassistant.components import mqtt, stt
from homeassistant.components.assist_pipeline.pipeline import (
    async_get_pipeline,
    async_update_pipeline,
)
from homeassistant.components.tts.helper import get_engine_instance
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component

from custom_components.local_voice.const import DOMAIN

if TYPE_CHECKING:
    from collections.abc import Callable

    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant


async def wait_until(check: Callable[[], Any], within: float = 10.0, step: float = 0.05) -> Any:
    """Poll ``check`` on the event loop until it is truthy."""
    deadline = time.monotonic() + within
    while not (result := check()):
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not met within {within} s")
        await asyncio.sleep(step)
    return result


async def setup_mqtt(hass: HomeAssistant, host: str, port: int) -> ConfigEntry:
    """HA's MQTT integration connected to a real broker."""
    # MQTT reads configuration.yaml for YAML-defined items; the test config dir has none.
    with patch("homeassistant.config.async_hass_config_yaml", AsyncMock(return_value={})):
        entry = await _user_flow(hass, "mqtt", {"broker": host, "port": port})
        await hass.async_block_till_done()
    await wait_until(lambda: mqtt.is_connected(hass))
    return entry


async def _user_flow(hass: HomeAssistant, domain: str, answers: dict[str, Any]) -> ConfigEntry:
    """Add an integration through its user flow, as the UI does."""
    result: Any = await hass.config_entries.flow.async_init(domain, context={"source": "user"})
    for _ in range(5):
        if result["type"] != "form":
            break
        fields = (
            {str(k) for k in result["data_schema"].schema} if result.get("data_schema") else set()
        )
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {k: v for k, v in answers.items() if k in fields}
        )
    if result["type"] != "create_entry":
        raise RuntimeError(f"{domain} flow did not create an entry: {result}")
    entry: ConfigEntry = result["result"]
    return entry


async def setup_wyoming(hass: HomeAssistant, host: str, port: int) -> list[str]:
    """A Wyoming config entry for a server; returns its entity ids."""
    entry = await _user_flow(hass, "wyoming", {"host": host, "port": port})
    await hass.async_block_till_done()
    return [
        e.entity_id for e in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    ]


async def setup_voice_pipeline(
    hass: HomeAssistant, asr_at: tuple[str, int], tts_at: tuple[str, int]
) -> None:
    """Make the preferred Assist pipeline use our Wyoming servers and HA's own agent."""
    assert await async_setup_component(hass, "assist_pipeline", {})
    stt_ids = [e for e in await setup_wyoming(hass, *asr_at) if e.startswith("stt.")]
    tts_ids = [e for e in await setup_wyoming(hass, *tts_at) if e.startswith("tts.")]
    assert stt_ids, "the ASR server gave HA no stt entity"
    assert tts_ids, "the TTS server gave HA no tts entity"
    tts_engine = get_engine_instance(hass, tts_ids[0])
    stt_engine = stt.async_get_speech_to_text_entity(hass, stt_ids[0])
    assert tts_engine is not None
    assert stt_engine is not None
    pipeline = async_get_pipeline(hass)
    await async_update_pipeline(
        hass,
        pipeline,
        stt_engine=stt_ids[0],
        stt_language=_english(stt_engine.supported_languages),
        tts_engine=tts_ids[0],
        tts_language=_english(tts_engine.supported_languages),
        tts_voice=None,
    )


def _english(languages: list[str]) -> str:
    """The engine's own spelling of English (``en``, ``en_US``, ``en-US``...)."""
    for lang in sorted(languages, key=len):
        if lang.lower().startswith("en"):
            return lang
    raise AssertionError(f"no English among {languages}")


async def confirm_satellite(
    hass: HomeAssistant, satellite_id: str, area_id: str | None
) -> ConfigEntry:
    """Answer the discovery flow of a satellite; returns the created entry."""

    def flow() -> dict[str, Any] | None:
        for item in hass.config_entries.flow.async_progress_by_handler(DOMAIN):
            if item["context"].get("unique_id") == satellite_id:
                return dict(item)
        return None

    found = await wait_until(flow, within=15)
    result = await hass.config_entries.flow.async_configure(
        found["flow_id"], {"area_id": area_id} if area_id else {}
    )
    assert result["type"] == "create_entry", result
    await hass.async_block_till_done()
    entry: ConfigEntry = result["result"]
    assert entry.unique_id == satellite_id
    return entry


def satellite_entity_id(hass: HomeAssistant, satellite_id: str) -> str:
    """The assist satellite entity of a satellite."""
    entity_id = er.async_get(hass).async_get_entity_id(
        "assist_satellite", DOMAIN, f"{satellite_id}-assist_satellite"
    )
    assert entity_id is not None
    return entity_id
