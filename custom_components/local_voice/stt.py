"""Speech-to-text that knows the home: Wyoming with the home's names in every request.

Users pick this entity as the speech-to-text engine of their Assist
pipeline (see docs/understanding.md); ``speech`` does the talking.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components import stt
from wyoming.asr import Transcribe

from .const import LOGGER
from .runtime import async_get_home
from .satellite.endpointing import LISTENING
from .speech import ServerInfo, SpeechServerError, async_describe, async_transcribe

if TYPE_CHECKING:
    from collections.abc import AsyncIterable

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .models import SpeechEntry


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001
    entry: SpeechEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the speech-to-text entity of a speech entry."""
    async_add_entities([LocalVoiceSpeechToText(entry)])


class LocalVoiceSpeechToText(stt.SpeechToTextEntity):
    """Wyoming STT that sends the home's vocabulary to our server."""

    _attr_has_entity_name = True
    _attr_name = None

    def __init__(self, entry: SpeechEntry) -> None:
        self.host, self.port = entry.runtime_data.host, entry.runtime_data.port
        self._attr_unique_id = f"{entry.entry_id}-stt"
        self.info: ServerInfo | None = None  # None until describe answered

    async def async_added_to_hass(self) -> None:
        """Ask the server what it is (languages, whether it takes a vocabulary)."""
        await super().async_added_to_hass()
        await self._async_describe()

    async def _async_describe(self) -> ServerInfo | None:
        try:
            self.info = await async_describe(self.host, self.port)
        except SpeechServerError as err:
            self._reachable(error=err)
        else:
            self._reachable()
        return self.info

    def _reachable(self, *, error: Exception | None = None) -> None:
        """Available while the server answers; logged once per outage and once when back."""
        reachable = error is None
        if reachable == self._attr_available:
            return
        if reachable:
            LOGGER.info("Speech server %s:%s is back", self.host, self.port)
        else:
            LOGGER.warning("Speech server %s:%s is unavailable: %s", self.host, self.port, error)
        self._attr_available = reachable
        if self.hass is not None and self.entity_id:
            self.async_write_ha_state()

    @property
    def supported_languages(self) -> list[str]:
        """Languages of the server's models (from describe)."""
        return (self.info.languages if self.info else None) or ["en"]

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

    @property
    def audio_processing(self) -> Any:
        """What the audio needs before it comes here (HA 2026.3+ reads it).

        Whisper cannot tell when speech ends, so a voice detector must (the
        satellite's or HA's); gain and noise reduction as the server asks.
        """
        info = self.info
        return getattr(stt, "SpeechAudioProcessing")(  # noqa: B009 - HA 2026.3+ only
            requires_external_vad=info.requires_external_vad if info else True,
            prefers_auto_gain_enabled=info.prefers_auto_gain if info else True,
            prefers_noise_reduction_enabled=info.prefers_noise_reduction if info else True,
        )

    def transcribe_request(self, language: str, *, pauses: bool = False) -> Transcribe:
        """``transcribe`` with the vocabulary for our server, plain for any other.

        ``pauses``: also ask our server for the words heard up to each pause
        (a satellite's semantic endpointing, ``satellite/endpointing.py``).
        """
        home = async_get_home(self.hass)
        if not (self.info and self.info.ours) or home is None:
            return Transcribe(language=language)
        context: dict[str, Any] = {"vocabulary": home.vocabulary.snapshot.phrases()}
        if pauses:
            context["pause_transcripts"] = True
        return Transcribe(language=language, context=context)

    async def async_process_audio_stream(
        self, metadata: stt.SpeechMetadata, stream: AsyncIterable[bytes]
    ) -> stt.SpeechResult:
        """Stream the audio, then wait (bounded) for the transcript."""
        if self.info is None:
            await self._async_describe()
        listening = LISTENING.get()  # a satellite that ends its turn on a complete command
        pauses = listening is not None and self.info is not None and self.info.ours
        if listening is not None:
            listening.language = metadata.language
        request = self.transcribe_request(metadata.language, pauses=pauses)
        try:
            text = await async_transcribe(
                self.host,
                self.port,
                request,
                stream,
                listening.heard if pauses and listening is not None else None,
            )
        except SpeechServerError as err:
            self._reachable(error=err)
            return stt.SpeechResult(None, stt.SpeechResultState.ERROR)
        self._reachable()
        return stt.SpeechResult(text, stt.SpeechResultState.SUCCESS)
