"""Speech-to-text that knows the home: Wyoming with the vocabulary in every request.

HA's own ``wyoming`` STT sends a bare ``transcribe``, so the server never
learns the names of the devices it should hear ("desk lamp", not "best
lamp"). This entity speaks the same Wyoming protocol, and when the server's
``describe`` says it is our ``local-voice-asr`` it adds
``context: {"vocabulary": [...]}`` with the exposed names, aliases and areas
current at that moment (``vocabulary.py``). Any other Wyoming server gets
plain Wyoming, exactly as HA's integration sends it. Users pick it as the
speech-to-text engine of their Assist pipeline (see docs/understanding.md).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Final
from urllib.parse import urlsplit

from homeassistant.components import stt
from wyoming.asr import Transcribe, Transcript
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.client import AsyncTcpClient
from wyoming.error import Error
from wyoming.info import Describe, Info

from .const import LOGGER
from .vocabulary import async_get_vocabulary

if TYPE_CHECKING:
    from collections.abc import AsyncIterable

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .agent_data import AgentConfigEntry

OUR_PROGRAM: Final = "local-voice-asr"
DESCRIBE_TIMEOUT: Final = 5.0
ANSWER_TIMEOUT: Final = 30.0  # after audio-stop, for the transcript
RATE: Final = 16000
WIDTH: Final = 2
CHANNELS: Final = 1


def parse_asr_uri(uri: str) -> tuple[str, int]:
    """``tcp://host:port`` or ``host:port`` -> (host, port); ValueError otherwise."""
    parts = urlsplit(uri.strip() if "://" in uri else f"tcp://{uri.strip()}")
    if parts.scheme != "tcp" or not parts.hostname or parts.path not in {"", "/"}:
        raise ValueError(f"not a tcp://host:port address: {uri!r}")
    port = parts.port  # raises ValueError when out of range
    if port is None or port <= 0:
        raise ValueError(f"no port in {uri!r}")
    return parts.hostname, port


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001
    entry: AgentConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the STT entity when the agent's options name an ASR server."""
    uri = entry.runtime_data.settings.asr_uri
    if uri:
        host, port = parse_asr_uri(uri)
        async_add_entities([LocalVoiceSpeechToText(entry, host, port)])


class LocalVoiceSpeechToText(stt.SpeechToTextEntity):
    """Wyoming STT that sends the home's vocabulary to our server."""

    _attr_has_entity_name = True
    _attr_name = "Speech-to-text"

    def __init__(self, entry: AgentConfigEntry, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._attr_unique_id = f"{entry.entry_id}-stt"
        self._languages: list[str] = ["en"]
        self.ours: bool | None = None  # None until describe answered

    async def async_added_to_hass(self) -> None:
        """Ask the server what it is (languages, whether it takes a vocabulary)."""
        await super().async_added_to_hass()
        async_get_vocabulary(self.hass)  # start following the names now
        await self.async_describe()

    async def async_describe(self) -> bool:
        """Read the server's ``info``; False when it did not answer."""
        try:
            async with asyncio.timeout(DESCRIBE_TIMEOUT):
                async with AsyncTcpClient(self.host, self.port) as client:
                    await client.write_event(Describe().event())
                    while (event := await client.read_event()) is not None:
                        if Info.is_type(event.type):
                            break
        except (OSError, TimeoutError) as err:
            LOGGER.warning(
                "ASR server %s:%s did not describe itself: %s", self.host, self.port, err
            )
            return False
        if event is None:
            return False
        programs = [p for p in Info.from_event(event).asr if p.installed]
        self.ours = any(p.name == OUR_PROGRAM for p in programs)
        languages = sorted({lang for p in programs for m in p.models for lang in m.languages})
        self._languages = languages or ["en"]
        return True

    @property
    def supported_languages(self) -> list[str]:
        """Languages of the server's models (from describe)."""
        return self._languages

    @property
    def supported_formats(self) -> list[stt.AudioFormats]:
        """WAV only (as HA's Wyoming STT)."""
        return [stt.AudioFormats.WAV]

    @property
    def supported_codecs(self) -> list[stt.AudioCodecs]:
        """PCM only."""
        return [stt.AudioCodecs.PCM]

    @property
    def supported_bit_rates(self) -> list[stt.AudioBitRates]:
        """16-bit samples."""
        return [stt.AudioBitRates.BITRATE_16]

    @property
    def supported_sample_rates(self) -> list[stt.AudioSampleRates]:
        """16 kHz."""
        return [stt.AudioSampleRates.SAMPLERATE_16000]

    @property
    def supported_channels(self) -> list[stt.AudioChannels]:
        """Mono."""
        return [stt.AudioChannels.CHANNEL_MONO]

    def transcribe_event(self, language: str) -> Transcribe:
        """``transcribe`` with the vocabulary for our server, plain for any other."""
        if not self.ours:
            return Transcribe(language=language)
        phrases = async_get_vocabulary(self.hass).snapshot.phrases()
        return Transcribe(language=language, context={"vocabulary": phrases})

    async def async_process_audio_stream(
        self, metadata: stt.SpeechMetadata, stream: AsyncIterable[bytes]
    ) -> stt.SpeechResult:
        """Stream the audio, then wait (bounded) for the transcript."""
        if self.ours is None:
            await self.async_describe()
        fmt = {"rate": RATE, "width": WIDTH, "channels": CHANNELS}
        try:
            async with AsyncTcpClient(self.host, self.port) as client:
                await client.write_event(self.transcribe_event(metadata.language).event())
                await client.write_event(AudioStart(**fmt).event())
                async for audio in stream:
                    await client.write_event(AudioChunk(audio=audio, **fmt).event())
                await client.write_event(AudioStop().event())
                async with asyncio.timeout(ANSWER_TIMEOUT):
                    while (event := await client.read_event()) is not None:
                        if Transcript.is_type(event.type):
                            text = Transcript.from_event(event).text
                            return stt.SpeechResult(text, stt.SpeechResultState.SUCCESS)
                        if Error.is_type(event.type):
                            LOGGER.warning("ASR server error: %s", Error.from_event(event).text)
                            break
        except (OSError, TimeoutError) as err:
            LOGGER.warning("ASR server %s:%s failed: %s", self.host, self.port, err)
        return stt.SpeechResult(None, stt.SpeechResultState.ERROR)
