"""A turn through HA's websocket Assist path where HA's own detector ends the utterance.

This is how a satellite without VAD (and the peers' setup in FACTS.md) is
served: the command's PCM goes into ``assist_pipeline/run`` at real-time
pace, followed by room silence, until HA's voice detector says the speech
ended (``stt-vad-end``). Times are taken from the last speech sound in the
WAV (found offline), so the cost of HA's endpointing is counted as the user
feels it. The answer is fetched from HA's TTS URL, as a satellite must.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Final

from .assist_ws import _fetch_audio, _PipelineWatcher
from .turn import CHUNK_MS, SAMPLE_RATE, SAMPLE_WIDTH, TurnResult, pcm_chunks, trailing_silence_s

if TYPE_CHECKING:
    from .ha_client import HAClient

RUN_TIMEOUT_S: Final = 60.0
MAX_SILENCE_S: Final = 8.0  # HA's detector gives up well before this


async def run_turn(client: HAClient, pcm: bytes, *, pipeline_id: str) -> TurnResult:
    """Speak ``pcm`` then silence until HA's VAD ends the stream; timings as the user feels them."""
    watch = _PipelineWatcher()
    sub = await client.subscribe(
        "assist_pipeline/run",
        watch,
        start_stage="stt",
        end_stage="tts",
        pipeline=pipeline_id,
        input={"sample_rate": SAMPLE_RATE},
        timeout=RUN_TIMEOUT_S,
    )
    result = watch.result
    silence = b"\0" * (SAMPLE_RATE * SAMPLE_WIDTH * CHUNK_MS // 1000)
    try:
        prefix = bytes([await asyncio.wait_for(watch.handler, 10)])
        chunks = pcm_chunks(pcm)
        start = time.monotonic()
        sent = 0
        # Real-time pace: the last speech sound plays at a known moment (negative
        # endpoint times below mean HA's detector cut the speaker off).
        last_speech = start + len(chunks) * CHUNK_MS / 1000 - trailing_silence_s(pcm)
        while "stt-vad-end" not in watch.times and "stt-end" not in watch.times:
            if sent >= len(chunks) + MAX_SILENCE_S * 1000 / CHUNK_MS or watch.done.is_set():
                break
            await client.send_binary(prefix + (chunks[sent] if sent < len(chunks) else silence))
            sent += 1
            await asyncio.sleep(max(0.0, start + sent * CHUNK_MS / 1000 - time.monotonic()))
        await client.send_binary(prefix)  # end of the audio stream
        await asyncio.wait_for(watch.done.wait(), RUN_TIMEOUT_S)
        first = None
        if watch.tts_url:
            result.answer_audio, first = await _fetch_audio(client, watch.tts_url)
            result.answer_audio_format = watch.tts_url.rsplit(".", 1)[-1]
    finally:
        client.forget(sub)
    vad_end = watch.times.get("stt-vad-end")
    if vad_end is None:
        result.error = result.error or "HA's voice detector did not end the utterance"
        return result
    result.endpoint_ms = (vad_end - last_speech) * 1000
    result.stt_ms = _ms(watch.times.get("stt-end"), vad_end)
    result.intent_ms = _ms(watch.times.get("intent-end"), vad_end)
    result.first_audio_ms = _ms(first, vad_end)
    if first is not None:
        result.user_first_audio_ms = (first - last_speech) * 1000
    return result


def _ms(when: float | None, since: float) -> float | None:
    return None if when is None else (when - since) * 1000
