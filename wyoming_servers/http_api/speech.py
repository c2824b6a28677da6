"""``POST /v1/audio/speech``: text in, audio streamed out as it is synthesized.

The text goes to ``local-voice-tts`` as one ``synthesize``; the server
sends each sentence's audio as soon as it is made, and the gateway passes
every chunk straight on with chunked transfer encoding, so the first bytes
reach the client after the first sentence, not after the whole text.
Errors found before the first audio are JSON errors with a proper status;
a failure after audio has started can only cut the stream short.
"""

from __future__ import annotations

import asyncio
import math
import time
from typing import TYPE_CHECKING, Any, Final

from aiohttp import web
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.event import Event

from .config import MAX_FIELD_CHARS
from .errors import bad_request, too_large
from .forms import read_json_object
from .state import STREAMING, state_of
from .wav import streaming_wav_header

if TYPE_CHECKING:
    from .state import ApiState

RESPONSE_FORMATS: Final = ("wav", "pcm")
MAX_INSTRUCTIONS_CHARS: Final = 4096
SPEED_RANGE: Final = (0.25, 4.0)  # OpenAI's range; 1/speed is piper's length scale


def _string(body: dict[str, Any], name: str, *, default: str | None = None) -> str:
    value = body.get(name, default)
    if value is None:
        raise bad_request(f"'{name}' is required", name, "missing-required-parameter")
    if not isinstance(value, str) or not value or len(value) > MAX_FIELD_CHARS:
        raise bad_request(f"'{name}' must be a non-empty string", name)
    return value


def _speed(body: dict[str, Any]) -> float:
    value = body.get("speed", 1.0)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise bad_request("'speed' must be a number", "speed")
    low, high = SPEED_RANGE
    if not low <= value <= high:
        raise bad_request(f"'speed' must be in [{low}, {high}]", "speed")
    return float(value)


def _text(body: dict[str, Any], max_chars: int) -> str:
    text = body.get("input")
    if not isinstance(text, str) or not text.strip():
        raise bad_request("'input' must be a non-empty string", "input")
    if len(text) > max_chars:
        raise too_large(f"'input' of {len(text)} characters is over {max_chars}", "input")
    return text


def synthesize_event(text: str, voice: str | None, speed: float) -> Event:
    """The Wyoming ``synthesize`` for this request (speed as length scale)."""
    data: dict[str, Any] = {"text": text, "length_scale": round(1.0 / speed, 4)}
    if voice is not None:
        data["voice"] = {"name": voice}
    return Event(type="synthesize", data=data)


async def handle_speech(request: web.Request) -> web.StreamResponse:
    """OpenAI-compatible speech, streamed."""
    state = state_of(request)
    started = time.perf_counter()
    state.metrics.request("speech")
    body = await read_json_object(request, state.config.max_chars * 4 + 16 * 1024)
    model = _string(body, "model")
    text = _text(body, state.config.max_chars)
    voice_name = await state.catalogue.speech_voice(model, _string(body, "voice"))
    response_format = _string(body, "response_format", default="wav")
    if response_format not in RESPONSE_FORMATS:
        raise bad_request(
            f"'response_format' must be one of {RESPONSE_FORMATS} (no encoders here)",
            "response_format",
            "unsupported-response-format",
        )
    if body.get("stream_format", "audio") != "audio":
        raise bad_request("only stream_format 'audio' is supported", "stream_format")
    instructions = body.get("instructions", "")  # accepted for compatibility, not used
    if not isinstance(instructions, str) or len(instructions) > MAX_INSTRUCTIONS_CHARS:
        raise bad_request(
            f"'instructions' must be a string of at most {MAX_INSTRUCTIONS_CHARS} characters",
            "instructions",
        )
    event = synthesize_event(text, voice_name, _speed(body))
    async with state.slots:
        return await _stream(request, state, event, response_format, started)


async def _stream(
    request: web.Request, state: ApiState, event: Event, response_format: str, started: float
) -> web.StreamResponse:
    tts = state.tts
    response: web.StreamResponse | None = None
    seconds = 0.0
    async with asyncio.timeout(tts.timeout), tts.connect() as conn:
        await conn.send(event)
        while True:
            reply = await conn.receive()
            if AudioStart.is_type(reply.type) and response is None:
                start = AudioStart.from_event(reply)
                response = await _start_response(request, start, response_format)
            elif AudioChunk.is_type(reply.type) and response is not None and reply.payload:
                chunk = AudioChunk.from_event(reply)
                if seconds == 0.0:
                    state.metrics.latency("speech_first_byte", time.perf_counter() - started)
                seconds += len(chunk.audio) / (chunk.rate * chunk.width * chunk.channels)
                await response.write(chunk.audio)
            elif AudioStop.is_type(reply.type) and response is not None:
                break
    assert response is not None
    await response.write_eof()
    state.metrics.audio("out", seconds)
    state.metrics.latency("speech_total", time.perf_counter() - started)
    return response


async def _start_response(
    request: web.Request, start: AudioStart, response_format: str
) -> web.StreamResponse:
    headers = {
        "X-Sample-Rate": str(start.rate),
        "X-Sample-Width": str(start.width),
        "X-Channels": str(start.channels),
    }
    response = web.StreamResponse(headers=headers)
    response.content_type = "audio/wav" if response_format == "wav" else "audio/pcm"
    response.enable_chunked_encoding()
    await response.prepare(request)
    request[STREAMING] = True  # from here on an error can only cut the stream
    if response_format == "wav":
        await response.write(streaming_wav_header(start.rate, start.width, start.channels))
    return response
