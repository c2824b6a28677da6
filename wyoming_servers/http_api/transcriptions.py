"""``POST /v1/audio/transcriptions``: OpenAI's form in, one Wyoming ``transcribe`` out.

The uploaded audio goes to ``local-voice-asr``: a PCM WAV in its own
format (the server converts and enforces ``--max-seconds``), compressed
audio decoded first (``uploads.py``). ``prompt`` is OpenAI's way
to bias recognition; it becomes the server's vocabulary (split at commas
and new lines: "desk lamp, office fan") and its initial prompt.
"""

from __future__ import annotations

import asyncio
import re
import time
from typing import TYPE_CHECKING, Any, Final

from aiohttp import web
from wyoming.asr import Transcribe, Transcript

from wyoming_servers.asr.vocabulary import MAX_NAME_CHARS, MAX_NAMES

from .config import MAX_FIELD_CHARS, MAX_PROMPT_CHARS
from .errors import bad_request
from .forms import read_upload_form
from .state import state_of
from .uploads import read_upload
from .upstream import event_text

if TYPE_CHECKING:
    from .uploads import UploadedAudio
    from .upstream import Upstream

RESPONSE_FORMATS: Final = ("json", "text", "verbose_json")
_LANGUAGE: Final = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
_VOCABULARY_SPLIT: Final = re.compile(r"[,;\n]+")


def _pieces(text: str) -> list[str]:
    """Cut a long phrase at spaces into pieces the server accepts as names."""
    pieces: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if len(candidate) <= MAX_NAME_CHARS:
            current = candidate
            continue
        if current:
            pieces.append(current)
        current = word[:MAX_NAME_CHARS]
    if current:
        pieces.append(current)
    return pieces


def vocabulary_from_prompt(prompt: str) -> list[str]:
    """Names in an OpenAI prompt ("desk lamp, office fan") as the server's vocabulary."""
    names: list[str] = []
    for phrase in _VOCABULARY_SPLIT.split(prompt):
        names.extend(_pieces(phrase))
    return names[:MAX_NAMES]


def _field(fields: dict[str, str], name: str, *, required: bool = False) -> str | None:
    value = fields.get(name)
    if value is None or value == "":
        if required:
            raise bad_request(f"'{name}' is required", name, "missing-required-parameter")
        return None
    if len(value) > (MAX_PROMPT_CHARS if name == "prompt" else MAX_FIELD_CHARS):
        raise bad_request(f"'{name}' is too long", name)
    return value


def _checked_fields(fields: dict[str, str]) -> tuple[str, str | None, str | None, str]:
    model = _field(fields, "model", required=True)
    assert model is not None
    language = _field(fields, "language")
    if language is not None and not _LANGUAGE.match(language):
        raise bad_request("'language' must be an ISO-639 code such as 'en'", "language")
    prompt = _field(fields, "prompt")
    response_format = _field(fields, "response_format") or "json"
    if response_format not in RESPONSE_FORMATS:
        raise bad_request(f"'response_format' must be one of {RESPONSE_FORMATS}", "response_format")
    temperature = _field(fields, "temperature")
    if temperature is not None:
        try:
            valid = 0.0 <= float(temperature) <= 1.0
        except ValueError:
            valid = False
        if not valid:
            raise bad_request("'temperature' must be a number in [0, 1]", "temperature")
    return model, language, prompt, response_format


def _segments(data: dict[str, Any]) -> list[dict[str, Any]] | None:
    """Segments, where the server reports them (in the event or its context)."""
    context = data.get("context")
    segments = data.get("segments")
    if segments is None and isinstance(context, dict):
        segments = context.get("segments")
    if not isinstance(segments, list):
        return None
    return [segment for segment in segments if isinstance(segment, dict)]


async def transcribe(
    asr: Upstream, audio: UploadedAudio, model: str | None, language: str | None, prompt: str | None
) -> Transcript:
    """Send the audio to the speech-to-text server and wait for its transcript."""
    context: dict[str, Any] = {}
    if prompt:
        context = {"vocabulary": vocabulary_from_prompt(prompt)}
    fmt = audio.fmt
    async with asyncio.timeout(asr.timeout), asr.connect() as conn:
        await conn.send(Transcribe(name=model, language=language, context=context or None).event())
        await conn.send_audio(audio.pcm, fmt.rate, fmt.width, fmt.channels)
        while True:
            event = await conn.receive()
            if Transcript.is_type(event.type):
                language_seen = event_text(event, "language") or language
                segments = _segments(event.data)
                return Transcript(
                    text=event_text(event),
                    language=language_seen or None,
                    context={"segments": segments} if segments is not None else None,
                )


async def handle_transcriptions(request: web.Request) -> web.StreamResponse:
    """OpenAI-compatible transcription of one uploaded file."""
    state = state_of(request)
    started = time.perf_counter()
    state.metrics.request("transcriptions")
    form = await read_upload_form(request, state.config.max_upload_bytes)
    if form.file is None:
        raise bad_request("'file' is required", "file", "missing-required-parameter")
    model, language, prompt, response_format = _checked_fields(form.fields)
    model_name = await state.catalogue.transcription_model(model)
    async with state.slots:
        # Decoding takes a while: in a worker thread, and only with a slot, so
        # the gateway decodes no more files at once than --max-clients. The
        # decoded audio may not outgrow what a WAV upload of the cap holds.
        cap = state.config.max_upload_bytes
        audio = await asyncio.to_thread(read_upload, form.file, form.filename, cap)
        sent = time.perf_counter()
        transcript = await transcribe(state.asr, audio, model_name, language, prompt)
    state.metrics.latency("asr_upstream", time.perf_counter() - sent)
    state.metrics.audio("in", audio.seconds)
    state.metrics.latency("transcription_total", time.perf_counter() - started)
    text = transcript.text.strip()
    if response_format == "text":
        return web.Response(text=text, content_type="text/plain")
    if response_format == "json":
        return web.json_response({"text": text})
    body: dict[str, Any] = {
        "task": "transcribe",
        "language": transcript.language or "",
        "duration": round(audio.seconds, 3),
        "text": text,
    }
    segments = (transcript.context or {}).get("segments")
    if segments is not None:
        body["segments"] = segments
    return web.json_response(body)
