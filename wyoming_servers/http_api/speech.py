"""``POST /v1/audio/speech``: text in, audio out as it is synthesized.

The text goes to ``local-voice-tts`` as one ``synthesize``; the server
sends each sentence's audio as soon as it is made. The gateway encodes it
into the requested ``response_format`` (``encoding.py``, mp3 by default, as
OpenAI) in a worker thread and sends what each chunk gives at once with
chunked transfer encoding, so the first bytes reach the client after the
first sentence, not after the whole text. A format sent whole (flac) is
answered with its length once the last sentence is encoded. Errors found
before the first audio are JSON errors with a proper status; a failure
after audio has started can only cut the stream short.
"""

from __future__ import annotations

import asyncio
import math
import time
from typing import TYPE_CHECKING, Any, Final

from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.event import Event

from .config import MAX_FIELD_CHARS
from .encoding import DEFAULT_SPEECH_FORMAT, SPEECH_FORMATS, SpeechFormat
from .errors import bad_request, too_large
from .forms import read_json_object
from .speech_output import SpeechOutput
from .state import state_of

if TYPE_CHECKING:
    from aiohttp import web

    from .state import ApiState

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


def _speech_format(body: dict[str, Any]) -> SpeechFormat:
    value = body.get("response_format", DEFAULT_SPEECH_FORMAT)
    speech = SPEECH_FORMATS.get(value) if isinstance(value, str) else None
    if speech is None:
        raise bad_request(
            f"'response_format' must be one of {', '.join(SPEECH_FORMATS)}",
            "response_format",
            "unsupported-response-format",
        )
    return speech


def synthesize_event(text: str, voice: str | None, speed: float) -> Event:
    """The Wyoming ``synthesize`` for this request (speed as length scale)."""
    data: dict[str, Any] = {"text": text, "length_scale": round(1.0 / speed, 4)}
    if voice is not None:
        data["voice"] = {"name": voice}
    return Event(type="synthesize", data=data)


async def handle_speech(request: web.Request) -> web.StreamResponse:
    """OpenAI-compatible speech in the requested format (mp3 unless told)."""
    state = state_of(request)
    started = time.perf_counter()
    state.metrics.request("speech")
    body = await read_json_object(request, state.config.max_chars * 4 + 16 * 1024)
    model = _string(body, "model")
    text = _text(body, state.config.max_chars)
    voice_name = await state.catalogue.speech_voice(model, _string(body, "voice"))
    speech = _speech_format(body)
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
        return await _synthesize(request, state, event, speech, started)


async def _synthesize(
    request: web.Request, state: ApiState, event: Event, speech: SpeechFormat, started: float
) -> web.StreamResponse:
    tts = state.tts
    output: SpeechOutput | None = None
    try:
        async with asyncio.timeout(tts.timeout), tts.connect() as conn:
            await conn.send(event)
            while True:
                reply = await conn.receive()
                if AudioStart.is_type(reply.type) and output is None:
                    start = AudioStart.from_event(reply)
                    output = await SpeechOutput.open(request, state.metrics, speech, start, started)
                elif AudioChunk.is_type(reply.type) and output is not None and reply.payload:
                    await output.write(AudioChunk.from_event(reply).audio)
                elif AudioStop.is_type(reply.type) and output is not None:
                    break
            assert output is not None
            response = await output.finish()
    finally:
        if output is not None:
            await output.close()
    state.metrics.audio("out", output.seconds)
    state.metrics.latency("speech_total", time.perf_counter() - started)
    return response
