"""A Wyoming speech-to-text server: its address, what it is, and one transcription.

HA's own ``wyoming`` STT sends a bare ``transcribe``, so the server never
learns the names of the devices it should hear ("desk lamp", not "best
lamp"). When ``describe`` says the server is our ``local-voice-asr``, the
request adds ``context: {"vocabulary": [...]}`` with the exposed names,
aliases and areas current at that moment; any other Wyoming server gets
plain Wyoming, exactly as HA sends it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final
from urllib.parse import urlsplit

from wyoming.asr import Transcribe, Transcript, TranscriptChunk
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.client import AsyncTcpClient
from wyoming.error import Error
from wyoming.info import Describe, Info

from .const import LOGGER

if TYPE_CHECKING:
    from collections.abc import AsyncIterable, Callable

OUR_PROGRAM: Final = "local-voice-asr"
DESCRIBE_TIMEOUT: Final = 5.0
ANSWER_TIMEOUT: Final = 30.0  # after audio-stop, for the transcript
AUDIO: Final = {"rate": 16000, "width": 2, "channels": 1}


class SpeechServerError(Exception):
    """The server could not be reached or did not answer."""


def parse_asr_uri(uri: str) -> tuple[str, int]:
    """``tcp://host:port`` or ``host:port`` -> (host, port); ValueError otherwise."""
    parts = urlsplit(uri.strip() if "://" in uri else f"tcp://{uri.strip()}")
    if parts.scheme != "tcp" or not parts.hostname or parts.path not in {"", "/"}:
        raise ValueError(f"not a tcp://host:port address: {uri!r}")
    port = parts.port  # raises ValueError when out of range
    if port is None or port <= 0:
        raise ValueError(f"no port in {uri!r}")
    return parts.hostname, port


@dataclass(frozen=True, slots=True)
class ServerInfo:
    """What ``describe`` said."""

    ours: bool  # takes the home's vocabulary
    languages: list[str]
    requires_external_vad: bool = True
    prefers_auto_gain: bool = True
    prefers_noise_reduction: bool = True


async def async_describe(host: str, port: int) -> ServerInfo:
    """Ask the server what it is; raises ``SpeechServerError``."""
    try:
        async with asyncio.timeout(DESCRIBE_TIMEOUT), AsyncTcpClient(host, port) as client:
            await client.write_event(Describe().event())
            while (event := await client.read_event()) is not None:
                if Info.is_type(event.type):
                    break
    except (OSError, TimeoutError) as err:
        raise SpeechServerError(f"{host}:{port} did not describe itself: {err}") from err
    if event is None:
        raise SpeechServerError(f"{host}:{port} closed the connection")
    programs = [p for p in Info.from_event(event).asr if p.installed]
    if not programs:
        raise SpeechServerError(f"{host}:{port} has no speech-to-text program installed")
    first = programs[0]
    return ServerInfo(
        ours=any(p.name == OUR_PROGRAM for p in programs),
        languages=sorted({lang for p in programs for m in p.models for lang in m.languages}),
        requires_external_vad=getattr(first, "requires_external_vad", True),
        prefers_auto_gain=getattr(first, "prefers_auto_gain_enabled", True),
        prefers_noise_reduction=getattr(first, "prefers_noise_reduction_enabled", True),
    )


async def async_transcribe(
    host: str,
    port: int,
    request: Transcribe,
    audio: AsyncIterable[bytes],
    on_words: Callable[[str], None] | None = None,
) -> str:
    """Stream 16 kHz 16-bit mono PCM, then wait (bounded) for the transcript.

    The server's events are read while the audio goes out: ``on_words`` gets
    the text of each ``transcript-chunk`` (all the words heard up to a pause,
    when the request asked for ``pause_transcripts``), and an error the
    server sends mid-stream ends the stream at once.
    """
    try:
        async with AsyncTcpClient(host, port) as client:
            await client.write_event(request.event())
            await client.write_event(AudioStart(**AUDIO).event())
            answer = asyncio.create_task(_read_answer(client, on_words))
            try:
                async for chunk in audio:
                    if answer.done():
                        break  # the server gave up (an error): no point sending more
                    await client.write_event(AudioChunk(audio=chunk, **AUDIO).event())
                if not answer.done():
                    await client.write_event(AudioStop().event())
                async with asyncio.timeout(ANSWER_TIMEOUT):
                    text = await asyncio.shield(answer)
            finally:
                answer.cancel()
    except (OSError, TimeoutError) as err:
        raise SpeechServerError(f"{host}:{port} failed: {err}") from err
    if text is None:
        LOGGER.warning("Speech server %s:%s closed without a transcript", host, port)
        raise SpeechServerError(f"{host}:{port} closed without a transcript")
    return text


async def _read_answer(
    client: AsyncTcpClient, on_words: Callable[[str], None] | None
) -> str | None:
    """The transcript (None: the connection closed first); chunks go to ``on_words``."""
    while (event := await client.read_event()) is not None:
        if Transcript.is_type(event.type):
            return Transcript.from_event(event).text
        if TranscriptChunk.is_type(event.type):
            if on_words is not None:
                on_words(TranscriptChunk.from_event(event).text)
        elif Error.is_type(event.type):
            raise SpeechServerError(f"server error: {Error.from_event(event).text}")
    return None
