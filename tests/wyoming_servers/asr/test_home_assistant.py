"""HA 2025.4.4's own ``wyoming`` integration against the running server.

This also proves that a server built on wyoming 1.10.2 serves HA 2025.4.4's
integration (whose manifest asks for wyoming 1.5.4): HA sends plain
``transcribe``/audio/``audio-stop`` and waits for the first ``transcript``,
which is exactly what it gets.

Config flow: the user enters host and port. Discovery flow: the server runs
with ``--zeroconf NAME``; the test resolves ``NAME._wyoming._tcp.local.`` by
real mDNS with python-zeroconf (in a helper process) and hands HA the
ZeroconfServiceInfo it would build from that record.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import wave
from ipaddress import ip_address
from typing import TYPE_CHECKING, Any

import pytest
from homeassistant.components import stt
from homeassistant.config_entries import SOURCE_USER, SOURCE_ZEROCONF
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo

from wyoming_servers.asr.scoring import normalize
from wyoming_servers.core.zeroconf_service import SERVICE_TYPE

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from homeassistant.core import HomeAssistant

pytestmark = pytest.mark.slow


_RESOLVE = """
import asyncio, json, sys
from zeroconf import InterfaceChoice, IPVersion
from zeroconf.asyncio import AsyncZeroconf

async def main():
    zc = AsyncZeroconf(ip_version=IPVersion.V4Only, interfaces=InterfaceChoice.Default)
    info = await zc.async_get_service_info(sys.argv[1], sys.argv[2], timeout=5000)
    await zc.async_close()
    print(json.dumps(info and {"port": info.port, "server": info.server,
                               "addresses": info.parsed_addresses()}))

asyncio.run(main())
"""


def _resolve_by_mdns(name: str) -> dict[str, Any]:
    """Resolve the service by real mDNS, from a process of its own.

    The HA test plugin's socket guards break multicast inside the test
    process; HA itself resolves from its own process, as this does.
    """
    out = subprocess.run(
        [sys.executable, "-c", _RESOLVE, SERVICE_TYPE, name],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    info = json.loads(out.stdout)
    assert info is not None, f"{name} was not announced over mDNS: {out.stderr}"
    return info


async def _transcribe_through_entity(
    hass: HomeAssistant, entry_id: str, wav_path: Any
) -> str | None:
    registry = er.async_get(hass)
    entities = [e.entity_id for e in er.async_entries_for_config_entry(registry, entry_id)]
    stt_ids = [e for e in entities if e.startswith("stt.")]
    assert len(stt_ids) == 1, entities
    entity = stt.async_get_speech_to_text_entity(hass, stt_ids[0])
    assert entity is not None
    assert "en" in entity.supported_languages
    with wave.open(str(wav_path), "rb") as wav:
        pcm = wav.readframes(wav.getnframes())

    async def stream() -> AsyncIterator[bytes]:
        for offset in range(0, len(pcm), 1024):
            yield pcm[offset : offset + 1024]

    metadata = stt.SpeechMetadata(
        language="en",
        format=stt.AudioFormats.WAV,
        codec=stt.AudioCodecs.PCM,
        bit_rate=stt.AudioBitRates.BITRATE_16,
        sample_rate=stt.AudioSampleRates.SAMPLERATE_16000,
        channel=stt.AudioChannels.CHANNEL_MONO,
    )
    result = await entity.internal_async_process_audio_stream(metadata, stream())
    assert result.result is stt.SpeechResultState.SUCCESS
    return result.text


async def test_config_flow_sets_up_and_stt_transcribes(
    hass_core: HomeAssistant, asr_server: Any, dev_commands: list, socket_enabled: None
) -> None:
    hass = hass_core
    result = await hass.config_entries.flow.async_init("wyoming", context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"host": asr_server.host, "port": asr_server.port}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    assert result["title"] == "local-voice-asr"
    await hass.async_block_till_done()
    text = await _transcribe_through_entity(hass, result["result"].entry_id, dev_commands[0].audio)
    assert normalize(text or "") == dev_commands[0].text.split()
    assert await hass.config_entries.async_unload(result["result"].entry_id)


async def test_zeroconf_discovery_flow_sets_up_and_stt_transcribes(
    hass_core: HomeAssistant, small_asr_server: Any, dev_commands: list, socket_enabled: None
) -> None:
    name = f"{small_asr_server.zeroconf_name}.{SERVICE_TYPE}"
    info = await asyncio.to_thread(_resolve_by_mdns, name)
    assert info["port"] == small_asr_server.port
    addresses = [ip_address(a) for a in info["addresses"]]
    discovery = ZeroconfServiceInfo(
        ip_address=addresses[0],
        ip_addresses=addresses,
        port=info["port"],
        hostname=info["server"],
        type=SERVICE_TYPE,
        name=name,
        properties={},
    )
    hass = hass_core
    result = await hass.config_entries.flow.async_init(
        "wyoming", context={"source": SOURCE_ZEROCONF}, data=discovery
    )
    assert result["type"] is FlowResultType.FORM, result
    assert result["step_id"] == "zeroconf_confirm"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    await hass.async_block_till_done()
    entry = result["result"]
    assert entry.unique_id == f"{name}_local-voice-asr"
    text = await _transcribe_through_entity(hass, entry.entry_id, dev_commands[2].audio)
    assert normalize(text or "") == dev_commands[2].text.split()
    assert await hass.config_entries.async_unload(entry.entry_id)
