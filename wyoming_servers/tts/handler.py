"""One text-to-speech client connection over the Wyoming protocol.

Plain form (what HA 2025.4 sends): ``synthesize`` → ``audio-start``,
``audio-chunk``... ``audio-stop``. The text is cut into sentences and each
sentence's audio goes out as soon as it is synthesized, in small chunks, so
the first audio never waits for the last sentence.

Streaming form: ``synthesize-start``, ``synthesize-chunk``...,
``synthesize-stop`` → one ``audio-start``, the audio of every sentence as
soon as that sentence is complete in the text so far, ``audio-stop``, then
``synthesize-stopped``. Clients of the wyoming library also send a plain
``synthesize`` with the whole text inside a stream (for old servers); it is
ignored there, as wyoming-piper does.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.info import Attribution, Describe, Info, TtsProgram, TtsVoice, TtsVoiceSpeaker
from wyoming.tts import (
    Synthesize,
    SynthesizeChunk,
    SynthesizeStart,
    SynthesizeStop,
    SynthesizeStopped,
)

from wyoming_servers.core.connection import Connection
from wyoming_servers.core.errors import UnexpectedEventError

from .requests import ServerDefaults, checked_text, resolve_request
from .sentences import SentenceStream, split_sentences
from .synthesizer import CHANNELS, SAMPLE_WIDTH, Playback, Synthesizer, VoiceRequest

if TYPE_CHECKING:
    import asyncio

    from wyoming.event import Event

    from wyoming_servers.core.connection import ConnectionContext

    from .voices import VoiceCatalogue

PROGRAM_NAME: Final = "local-voice-tts"
SAMPLES_PER_CHUNK: Final = 1024
_PIPER_ATTRIBUTION: Final = Attribution(
    name="rhasspy / OHF-Voice", url="https://github.com/OHF-Voice/piper1-gpl"
)


def build_info(catalogue: VoiceCatalogue, version: str) -> Info:
    """``info`` listing exactly the voices that loaded, with languages and speakers."""
    voices = [
        TtsVoice(
            name=voice.name,
            description=voice.name,
            attribution=_PIPER_ATTRIBUTION,
            installed=True,
            version=None,
            languages=list(voice.languages),
            speakers=[TtsVoiceSpeaker(name=name) for name in voice.speakers] or None,
        )
        for voice in catalogue
    ]
    program = TtsProgram(
        name=PROGRAM_NAME,
        description="Local Voice text to speech (piper)",
        attribution=_PIPER_ATTRIBUTION,
        installed=True,
        version=version,
        voices=voices,
        supports_synthesize_streaming=True,
    )
    return Info(tts=[program])


@dataclass(frozen=True, slots=True)
class TtsService:
    """What every connection shares: voices, the synthesizer, defaults and ``info``."""

    catalogue: VoiceCatalogue
    synthesizer: Synthesizer
    defaults: ServerDefaults
    info: Info


@dataclass(slots=True)
class _Stream:
    """State of one ``synthesize-start`` ... ``synthesize-stop`` exchange."""

    request: VoiceRequest
    sentences: SentenceStream
    playback: Playback
    chars: int = 0
    started: float = 0.0
    audio_started: bool = False


class TtsConnection(Connection):
    """Serves describe, plain synthesize and streaming synthesize for one client."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        context: ConnectionContext,
        service: TtsService,
    ) -> None:
        super().__init__(reader, writer, context)
        self.service = service
        self._stream: _Stream | None = None
        self._first_audio_at: float | None = None

    async def handle_event(self, event: Event) -> bool:
        """Dispatch one event; unknown types are ignored."""
        if Describe.is_type(event.type):
            self.metrics.request("describe")
            await self.write_event(self.service.info.event())
        elif SynthesizeStart.is_type(event.type):
            await self._start_stream(event.data)
        elif SynthesizeChunk.is_type(event.type):
            await self._stream_chunk(event.data)
        elif SynthesizeStop.is_type(event.type):
            await self._stop_stream()
        elif Synthesize.is_type(event.type) and self._stream is None:
            await self._synthesize(event.data)
        return True

    async def _synthesize(self, data: dict[str, Any]) -> None:
        started = time.perf_counter()
        self.metrics.request("synthesize")
        text = checked_text(data, self.service.defaults.max_chars)
        request = resolve_request(data, self.service.catalogue, self.service.defaults)
        self._first_audio_at = None
        await self._audio_start(request)
        playback = self.service.synthesizer.playback()
        for sentence in split_sentences(text):
            await self._speak(request, sentence, started, playback)
        await self.write_event(AudioStop().event())
        self.metrics.latency("total", time.perf_counter() - started)

    async def _start_stream(self, data: dict[str, Any]) -> None:
        if self._stream is not None:
            raise UnexpectedEventError("synthesize-start inside a stream")
        self.metrics.request("synthesize-stream")
        request = resolve_request(data, self.service.catalogue, self.service.defaults)
        self._stream = _Stream(
            request,
            SentenceStream(),
            playback=self.service.synthesizer.playback(),
            started=time.perf_counter(),
        )
        self._first_audio_at = None

    async def _stream_chunk(self, data: dict[str, Any]) -> None:
        stream = self._stream
        if stream is None:
            raise UnexpectedEventError("synthesize-chunk before synthesize-start")
        remaining = self.service.defaults.max_chars - stream.chars
        text = checked_text(data, remaining)
        stream.chars += len(text)
        for sentence in stream.sentences.add(text):
            await self._stream_sentence(stream, sentence)

    async def _stop_stream(self) -> None:
        stream = self._stream
        if stream is None:
            raise UnexpectedEventError("synthesize-stop before synthesize-start")
        for sentence in stream.sentences.finish():
            await self._stream_sentence(stream, sentence)
        if not stream.audio_started:
            await self._audio_start(stream.request)
        await self.write_event(AudioStop().event())
        await self.write_event(SynthesizeStopped().event())
        self.metrics.latency("total", time.perf_counter() - stream.started)
        self._stream = None

    async def _stream_sentence(self, stream: _Stream, sentence: str) -> None:
        if not stream.audio_started:
            await self._audio_start(stream.request)
            stream.audio_started = True
        await self._speak(stream.request, sentence, stream.started, stream.playback)

    async def _audio_start(self, request: VoiceRequest) -> None:
        await self.write_event(
            AudioStart(
                rate=request.voice.sample_rate, width=SAMPLE_WIDTH, channels=CHANNELS
            ).event()
        )

    async def _speak(
        self, request: VoiceRequest, sentence: str, started: float, playback: Playback
    ) -> None:
        """Send one sentence's audio in chunks, each piece as soon as it is made."""
        audio = self.service.synthesizer.sentence(request, sentence, playback=playback)
        rate = request.voice.sample_rate
        step = SAMPLES_PER_CHUNK * SAMPLE_WIDTH * CHANNELS
        sent = 0
        async for pcm in audio:
            for offset in range(0, len(pcm), step):
                await self.write_event(
                    AudioChunk(
                        rate=rate,
                        width=SAMPLE_WIDTH,
                        channels=CHANNELS,
                        audio=pcm[offset : offset + step],
                    ).event()
                )
                if self._first_audio_at is None:
                    self._first_audio_at = time.perf_counter()
                    stage = "first_audio_cached" if audio.cached else "first_audio"
                    self.metrics.latency(stage, self._first_audio_at - started)
            sent += len(pcm)
        self.metrics.audio("out", sent / (SAMPLE_WIDTH * CHANNELS * rate))
