"""Answer audio straight from a streaming Wyoming TTS, sentence by sentence.

HA 2025.4's Wyoming TTS provider collects the server's whole answer into a
WAV before HA hands out the first byte, so the satellite hears nothing until
the last sentence is synthesized. When the pipeline's TTS engine is a
Wyoming server that announces streaming synthesis (ours does), the satellite
entity instead ends the pipeline after the intent and asks that server itself
with ``synthesize-start/chunk/stop``: the server sends each sentence's PCM as
soon as it is made (or at once from its cache), in the voice's own rate, and
it goes to the satellite as it arrives (no WAV file, no ffmpeg). Chunking,
padding and pacing are ``answer_audio``'s, fed a header whose length is
unknown. Any other engine keeps HA's path; so does a server that cannot be
reached (the caller falls back to HA's TTS stream).
"""

from __future__ import annotations

import asyncio
import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from homeassistant.components.tts.helper import get_engine_instance
from homeassistant.components.wyoming.tts import WyomingTtsProvider
from homeassistant.exceptions import HomeAssistantError
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.client import AsyncTcpClient
from wyoming.error import Error
from wyoming.tts import (
    SynthesizeChunk,
    SynthesizeStart,
    SynthesizeStop,
    SynthesizeStopped,
    SynthesizeVoice,
)

from . import protocol as p
from .answer_audio import publish_answer

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from homeassistant.components.assist_pipeline.pipeline import Pipeline
    from homeassistant.core import HomeAssistant

    from .answer_audio import Publish

CONNECT_TIMEOUT_S: Final = 2.0
EVENT_TIMEOUT_S: Final = 15.0  # longest wait for the next sentence's audio


class DirectTtsError(ConnectionError):
    """The TTS server could not be reached or broke off before any audio."""


@dataclass(frozen=True, slots=True)
class DirectTts:
    """Where and how to ask a streaming Wyoming TTS for an answer."""

    host: str
    port: int
    voice: str | None = None
    speaker: str | None = None


def direct_tts_for(hass: HomeAssistant, pipeline: Pipeline) -> DirectTts | None:
    """The pipeline's TTS server, if it is a Wyoming server that streams; else ``None``."""
    if not pipeline.tts_engine:
        return None
    engine = get_engine_instance(hass, pipeline.tts_engine)
    if not isinstance(engine, WyomingTtsProvider):
        return None
    service = engine.service
    if not any(t.installed and t.supports_synthesize_streaming for t in service.info.tts):
        return None
    return DirectTts(service.host, service.port, voice=pipeline.tts_voice)


def answer_text(intent_end: dict[str, Any]) -> str:
    """The speech of an ``intent-end`` event's response ('' when there is none)."""
    output = intent_end.get("intent_output") or {}
    speech = ((output.get("response") or {}).get("speech") or {}).get("plain") or {}
    text = speech.get("speech")
    return text.strip()[: p.MAX_TEXT_CHARS * 4] if isinstance(text, str) else ""


async def stream_answer(
    publish: Publish,
    satellite_id: str,
    stream_id: str,
    target: DirectTts,
    text: str,
    *,
    kind: str = "answer",
) -> float:
    """Synthesize ``text`` on the server and publish it as it comes; return its seconds.

    Raises :class:`DirectTtsError` when nothing could be published, so the
    caller can take HA's path instead, and ``HomeAssistantError`` when the
    stream broke off after audio went out.
    """
    try:
        client = AsyncTcpClient(target.host, target.port)
        await asyncio.wait_for(client.connect(), CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError) as err:
        raise DirectTtsError(f"TTS at {target.host}:{target.port}: {err}") from err
    try:
        voice = SynthesizeVoice(name=target.voice, speaker=target.speaker) if target.voice else None
        await client.write_event(SynthesizeStart(voice=voice).event())
        await client.write_event(SynthesizeChunk(text=text).event())
        await client.write_event(SynthesizeStop().event())
        header = await _first_audio(client)
        try:
            return await publish_answer(
                publish, satellite_id, stream_id, _as_wav(header, client), kind=kind, text=text
            )
        except DirectTtsError as err:  # audio already went out: no second answer
            raise HomeAssistantError(f"answer stream broke off: {err}") from err
    except OSError as err:
        raise DirectTtsError(f"TTS at {target.host}:{target.port}: {err}") from err
    finally:
        await client.disconnect()


async def _read(client: AsyncTcpClient) -> Any:
    try:
        event = await asyncio.wait_for(client.read_event(), EVENT_TIMEOUT_S)
    except TimeoutError as err:
        raise DirectTtsError("TTS server stopped sending audio") from err
    if event is None:
        raise DirectTtsError("TTS server closed the connection")
    if Error.is_type(event.type):
        raise DirectTtsError(f"TTS server error: {Error.from_event(event).text}")
    return event


async def _first_audio(client: AsyncTcpClient) -> AudioStart:
    """Wait for ``audio-start`` (before it, failing lets the caller fall back)."""
    while True:
        event = await _read(client)
        if AudioStart.is_type(event.type):
            return AudioStart.from_event(event)


def _wav_header(start: AudioStart) -> bytes:
    """A WAV header for a stream of unknown length (sizes set to the maximum)."""
    if start.width != 2 or not 1 <= start.channels <= 2:  # noqa: PLR2004 - 16-bit mono/stereo
        raise DirectTtsError(f"unsupported TTS audio {start.width * 8} bit x{start.channels}")
    align = start.width * start.channels
    fmt = struct.pack(
        "<HHIIHH", 1, start.channels, start.rate, start.rate * align, align, start.width * 8
    )
    return (
        b"RIFF"
        + struct.pack("<I", 0xFFFFFFFF)
        + b"WAVEfmt "
        + struct.pack("<I", len(fmt))
        + fmt
        + b"data"
        + struct.pack("<I", 0xFFFFFFFF)
    )


async def _as_wav(start: AudioStart, client: AsyncTcpClient) -> AsyncIterator[bytes]:
    """The header, then each chunk's PCM until the stream ends."""
    yield _wav_header(start)
    while True:
        event = await _read(client)
        if AudioChunk.is_type(event.type):
            yield AudioChunk.from_event(event).audio
        elif AudioStop.is_type(event.type) or SynthesizeStopped.is_type(event.type):
            return
