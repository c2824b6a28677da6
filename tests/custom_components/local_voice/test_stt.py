"""The speech entry's STT entity against our real ASR server (tiny.en) and a plain Wyoming server.

No model server is set up in these tests: speech to text needs none.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Self

import pytest
from homeassistant.components import stt
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry
from wyoming.asr import Transcribe, Transcript
from wyoming.audio import AudioStop
from wyoming.event import async_read_event, async_write_event
from wyoming.info import AsrModel, AsrProgram, Attribution, Describe, Info

from custom_components.local_voice.const import CONF_ASR_URI, CONF_KIND, DOMAIN, KIND_SPEECH
from custom_components.local_voice.speech import parse_asr_uri
from custom_components.local_voice.stt import LocalVoiceSpeechToText
from local_voice_harness import paths
from local_voice_harness.ports import free_port
from local_voice_harness.servers import WavAudio

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from homeassistant.core import HomeAssistant

pytestmark = pytest.mark.timeout(90)


@pytest.fixture
async def speech_entry(
    request: pytest.FixtureRequest, demo_home: HomeAssistant
) -> AsyncIterator[MockConfigEntry]:
    """A speech entry at the server the test asks for (our ASR server by default)."""
    server = request.getfixturevalue(getattr(request, "param", "asr_server"))
    entry = MockConfigEntry(
        domain=DOMAIN, version=2, data={CONF_KIND: KIND_SPEECH, CONF_ASR_URI: server.uri}
    )
    entry.add_to_hass(demo_home)
    assert await demo_home.config_entries.async_setup(entry.entry_id)
    await demo_home.async_block_till_done()
    yield entry
    await demo_home.config_entries.async_unload(entry.entry_id)


def stt_entity(hass: HomeAssistant, entry: MockConfigEntry) -> LocalVoiceSpeechToText:
    """The entry's STT entity object."""
    entity_id = er.async_get(hass).async_get_entity_id("stt", DOMAIN, f"{entry.entry_id}-stt")
    assert entity_id is not None
    entity = stt.async_get_speech_to_text_entity(hass, entity_id)
    assert isinstance(entity, LocalVoiceSpeechToText)
    return entity


async def chunks(pcm: bytes, size: int = 3200) -> AsyncIterator[bytes]:
    """Audio in 100 ms chunks, as a pipeline streams it."""
    for start in range(0, len(pcm), size):
        yield pcm[start : start + size]


METADATA = stt.SpeechMetadata(
    language="en",
    format=stt.AudioFormats.WAV,
    codec=stt.AudioCodecs.PCM,
    bit_rate=stt.AudioBitRates.BITRATE_16,
    sample_rate=stt.AudioSampleRates.SAMPLERATE_16000,
    channel=stt.AudioChannels.CHANNEL_MONO,
)


async def test_our_server_gets_the_vocabulary_and_hears_the_names(
    asr_server: Any,  # session-scoped: started before the test's event loop
    demo_home: HomeAssistant,
    socket_enabled: None,
    speech_entry: MockConfigEntry,
) -> None:
    entity = stt_entity(demo_home, speech_entry)
    assert entity.info is not None
    assert entity.info.ours is True
    assert "en" in entity.supported_languages
    event = entity.transcribe_request("en")
    assert event.context is not None
    assert "Desk Lamp" in event.context["vocabulary"]
    assert "Basement Light" not in event.context["vocabulary"]
    audio = WavAudio.load(paths.dev_commands_dir() / "cmd08.wav")
    assert (audio.rate, audio.width, audio.channels) == (16000, 2, 1)
    result = await entity.async_process_audio_stream(METADATA, chunks(audio.pcm))
    assert result.result is stt.SpeechResultState.SUCCESS
    assert "desk lamp" in (result.text or "").lower()


class PlainWyoming:
    """A Wyoming ASR server that is not ours: records what it was sent."""

    def __init__(self) -> None:
        self.port = free_port()
        self.uri = f"tcp://127.0.0.1:{self.port}"
        self.transcribes: list[Transcribe] = []
        self._server: asyncio.Server | None = None

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while (event := await async_read_event(reader)) is not None:
            if Describe.is_type(event.type):
                by = Attribution(name="x", url="y")
                model = AsrModel(
                    name="m", attribution=by, installed=True, description=None,
                    version="1", languages=["en", "de"],
                )  # fmt: skip
                program = AsrProgram(
                    name="other-asr", attribution=by, installed=True, description=None,
                    version="1", models=[model],
                )  # fmt: skip
                await async_write_event(Info(asr=[program]).event(), writer)
            elif Transcribe.is_type(event.type):
                self.transcribes.append(Transcribe.from_event(event))
            elif AudioStop.is_type(event.type):
                await async_write_event(Transcript("plain text").event(), writer)
        writer.close()

    async def __aenter__(self) -> Self:
        self._server = await asyncio.start_server(self._client, "127.0.0.1", self.port)
        return self

    async def __aexit__(self, *_exc: object) -> None:
        assert self._server is not None
        self._server.close()


@pytest.fixture
async def plain_server(socket_enabled: None) -> AsyncIterator[PlainWyoming]:
    """A plain Wyoming server on loopback."""
    async with PlainWyoming() as server:
        yield server


@pytest.mark.parametrize("speech_entry", ["plain_server"], indirect=True)
async def test_other_servers_get_plain_wyoming(
    demo_home: HomeAssistant, plain_server: PlainWyoming, speech_entry: MockConfigEntry
) -> None:
    entity = stt_entity(demo_home, speech_entry)
    assert entity.info is not None
    assert entity.info.ours is False
    assert entity.supported_languages == ["de", "en"]
    result = await entity.async_process_audio_stream(METADATA, chunks(b"\0" * 6400))
    assert result.text == "plain text"
    assert len(plain_server.transcribes) == 1
    assert plain_server.transcribes[0].context is None
    assert plain_server.transcribes[0].language == "en"


async def test_an_unreachable_server_is_an_error_result(
    demo_home: HomeAssistant, socket_enabled: None
) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN,
        version=2,
        data={CONF_KIND: KIND_SPEECH, CONF_ASR_URI: f"tcp://127.0.0.1:{free_port()}"},
    )
    entry.add_to_hass(demo_home)
    assert await demo_home.config_entries.async_setup(entry.entry_id)
    entity = stt_entity(demo_home, entry)
    assert entity.info is None
    result = await entity.async_process_audio_stream(METADATA, chunks(b"\0" * 6400))
    assert result.result is stt.SpeechResultState.ERROR
    await demo_home.config_entries.async_unload(entry.entry_id)


@pytest.mark.parametrize(
    ("uri", "parsed"),
    [("tcp://127.0.0.1:10300", ("127.0.0.1", 10300)), ("asr.local:10300", ("asr.local", 10300))],
)
def test_parse_asr_uri(uri: str, parsed: tuple[str, int]) -> None:
    assert parse_asr_uri(uri) == parsed


@pytest.mark.parametrize("uri", ["http://x:1", "tcp://x", "tcp://x:0", "tcp://x:99999", "x:1/p"])
def test_parse_asr_uri_refuses(uri: str) -> None:
    with pytest.raises(ValueError, match=r"."):
        parse_asr_uri(uri)


async def test_the_entity_is_unavailable_while_the_server_is_down(
    demo_home: HomeAssistant, socket_enabled: None, caplog: pytest.LogCaptureFixture
) -> None:
    """Unavailable and logged once while the server is down; available and logged once when back."""
    port = free_port()
    entry = MockConfigEntry(
        domain=DOMAIN,
        version=2,
        data={CONF_KIND: KIND_SPEECH, CONF_ASR_URI: f"tcp://127.0.0.1:{port}"},
    )
    entry.add_to_hass(demo_home)
    assert await demo_home.config_entries.async_setup(entry.entry_id)
    entity = stt_entity(demo_home, entry)
    assert demo_home.states.get(entity.entity_id).state == "unavailable"
    for _ in range(3):
        await entity.async_process_audio_stream(METADATA, chunks(b"\0" * 6400))
    assert caplog.text.count("is unavailable") == 1
    server = PlainWyoming()
    server.port = port
    async with server:
        result = await entity.async_process_audio_stream(METADATA, chunks(b"\0" * 6400))
        assert result.text == "plain text"
        assert demo_home.states.get(entity.entity_id).state != "unavailable"
        assert caplog.text.count("is back") == 1
    await demo_home.config_entries.async_unload(entry.entry_id)
