"""A satellite on HA's websocket Assist audio path (what the browser's microphone uses).

Streams a command's PCM into ``assist_pipeline/run`` (stt -> tts) at real-time
pace, ends the stream itself like a satellite with its own endpointing
(``no_vad``), and fetches the answer audio from HA's TTS proxy URL. Used when
no MQTT satellite platform is available, and as a cross-check of it.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any, Final

from .turn import CHUNK_MS, TurnResult, pcm_chunks

if TYPE_CHECKING:
    from .ha_client import HAClient

_RUN_TIMEOUT_S: Final = 60.0


class _PipelineWatcher:
    """Collects pipeline events into a :class:`TurnResult` with arrival times."""

    def __init__(self) -> None:
        self.result = TurnResult()
        self.done = asyncio.Event()
        self.handler: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self.times: dict[str, float] = {}
        self.tts_url = ""

    def __call__(self, event: dict[str, Any]) -> None:
        kind, data = event.get("type", ""), event.get("data") or {}
        now = time.monotonic()
        self.result.events.append({"type": kind, "t": now, "data": data})
        self.times.setdefault(kind, now)
        handler_id = (data.get("runner_data") or {}).get("stt_binary_handler_id")
        if kind == "run-start" and handler_id is not None and not self.handler.done():
            self.handler.set_result(int(handler_id))  # none for a run from text
        elif kind == "stt-end":
            self.result.transcript = str((data.get("stt_output") or {}).get("text", "")).strip()
        elif kind == "intent-end":
            self.result.answer = _speech(data)
        elif kind == "tts-end":
            self.tts_url = str((data.get("tts_output") or {}).get("url", ""))
        elif kind == "error":
            self.result.error = f"{data.get('code')}: {data.get('message')}"
            self.done.set()
        elif kind == "run-end":
            self.done.set()


def _speech(data: dict[str, Any]) -> str:
    response = (data.get("intent_output") or {}).get("response") or {}
    return str(((response.get("speech") or {}).get("plain") or {}).get("speech", ""))


async def run_turn(
    client: HAClient,
    pcm: bytes,
    *,
    pipeline_id: str,
    realtime: bool = True,
    device_id: str | None = None,
) -> TurnResult:
    """Speak ``pcm`` into the pipeline; return transcript, answer, audio and timings."""
    watch = _PipelineWatcher()
    sub = await client.subscribe(
        "assist_pipeline/run",
        watch,
        start_stage="stt",
        end_stage="tts",
        pipeline=pipeline_id,
        input={"sample_rate": 16000, "no_vad": True},
        device_id=device_id,
        timeout=_RUN_TIMEOUT_S,
    )
    result = watch.result
    try:
        prefix = bytes([await asyncio.wait_for(watch.handler, 10)])
        start = time.monotonic()
        for i, chunk in enumerate(pcm_chunks(pcm)):
            await client.send_binary(prefix + chunk)
            if realtime:
                await asyncio.sleep(max(0.0, start + (i + 1) * CHUNK_MS / 1000 - time.monotonic()))
        speech_end = time.monotonic()
        await client.send_binary(prefix)  # empty chunk: end of the audio stream
        await asyncio.wait_for(watch.done.wait(), _RUN_TIMEOUT_S)
        if watch.tts_url:
            result.answer_audio, first = await _fetch_audio(client, watch.tts_url)
            result.answer_audio_format = watch.tts_url.rsplit(".", 1)[-1]
            result.first_audio_ms = _ms(first, speech_end)
    finally:
        client.forget(sub)
    result.stt_ms = _ms(watch.times.get("stt-end"), speech_end)
    result.intent_ms = _ms(watch.times.get("intent-end"), speech_end)
    return result


def _ms(when: float | None, since: float) -> float | None:
    return None if when is None else (when - since) * 1000


async def _fetch_audio(client: HAClient, url: str) -> tuple[bytes, float | None]:
    """GET the TTS proxy URL; return the audio and when its first byte arrived."""
    first: float | None = None
    body = bytearray()
    async with client.session.get(client.base_url + url) as resp:
        resp.raise_for_status()
        async for piece in resp.content.iter_any():
            if first is None and piece:
                first = time.monotonic()
            body += piece
    return bytes(body), first


async def run_text(
    client: HAClient,
    text: str,
    *,
    pipeline_id: str,
    device_id: str | None = None,
    limit_s: float = 120.0,
) -> dict[str, Any]:
    """``text`` through a pipeline's conversation agent, as heard by ``device_id``.

    What a satellite's turn gives the agent after speech to text (the device,
    so its area), which HA's ``conversation/process`` cannot carry. Returns
    the agent's ``intent_output`` (the conversation result as a dict).
    """
    watch = _PipelineWatcher()
    sub = await client.subscribe(
        "assist_pipeline/run",
        watch,
        start_stage="intent",
        end_stage="intent",
        pipeline=pipeline_id,
        input={"text": text},
        device_id=device_id,
        timeout=limit_s,
    )
    try:
        await asyncio.wait_for(watch.done.wait(), limit_s)
    finally:
        client.forget(sub)
    if watch.result.error:
        raise RuntimeError(f"the pipeline failed: {watch.result.error}")
    end = next((e for e in watch.result.events if e["type"] == "intent-end"), None)
    if end is None:
        raise RuntimeError("the pipeline ended without an answer")
    return dict(end["data"].get("intent_output") or {})
