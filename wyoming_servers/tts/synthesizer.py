"""Sentence synthesis off the event loop, shared by every client.

wyoming-piper holds one global lock around synthesis, so a second client
waits for the first one's whole answer. Here the unit of work is one
sentence and a pool of worker threads runs them: onnxruntime's
``InferenceSession.run`` is thread-safe, so all workers share one loaded
voice. Because each session submits its next sentence only when the
previous one is done, the pool's FIFO interleaves clients sentence by
sentence and everyone's first sentence is served early.

Two more shortcuts: a byte-bounded cache of finished sentences, and
coalescing, so two clients asking for the same uncached sentence at the
same moment share one model run.
"""

from __future__ import annotations

import asyncio
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from piper import SynthesisConfig

from wyoming_servers.core.errors import InferenceError

from .cache import AudioCache, CacheKey

if TYPE_CHECKING:
    from .voices import Prosody, Voice

_LOGGER = logging.getLogger(__name__)

SAMPLE_WIDTH = 2
CHANNELS = 1


def default_workers() -> int:
    """One worker per core, at least two (so one long sentence never blocks all)."""
    return max(2, os.cpu_count() or 1)


@dataclass(frozen=True, slots=True)
class VoiceRequest:
    """A voice, speaker and prosody resolved for one request."""

    voice: Voice
    speaker_id: int | None
    prosody: Prosody

    def key(self, sentence: str) -> CacheKey:
        """The cache key of ``sentence`` spoken this way."""
        return CacheKey(
            self.voice.name,
            self.speaker_id,
            self.prosody.length_scale,
            self.prosody.noise_scale,
            self.prosody.noise_w_scale,
            sentence,
        )


@dataclass(frozen=True, slots=True)
class SentenceAudio:
    """16-bit mono PCM of one sentence and whether it came from the cache."""

    pcm: bytes
    cached: bool


def _run_piper(request: VoiceRequest, sentence: str) -> bytes:
    config = SynthesisConfig(
        speaker_id=request.speaker_id,
        length_scale=request.prosody.length_scale,
        noise_scale=request.prosody.noise_scale,
        noise_w_scale=request.prosody.noise_w_scale,
    )
    return b"".join(
        chunk.audio_int16_bytes for chunk in request.voice.piper.synthesize(sentence, config)
    )


class Synthesizer:
    """Turns sentences into PCM with a shared worker pool, cache and coalescing."""

    def __init__(self, cache: AudioCache, workers: int | None = None) -> None:
        self.cache = cache
        self.workers = workers or default_workers()
        self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="piper")
        self._in_flight: dict[CacheKey, asyncio.Future[bytes]] = {}

    async def sentence(self, request: VoiceRequest, sentence: str) -> SentenceAudio:
        """PCM for one sentence: from the cache, a run already under way, or a new run."""
        key = request.key(sentence)
        if (pcm := self.cache.get(key)) is not None:
            return SentenceAudio(pcm, cached=True)
        if (running := self._in_flight.get(key)) is not None:
            return SentenceAudio(await asyncio.shield(running), cached=False)
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._pool, _run_piper, request, sentence)
        self._in_flight[key] = future
        try:
            pcm = await asyncio.shield(future)
        except Exception as err:
            _LOGGER.exception("synthesis failed for a %d-character sentence", len(sentence))
            raise InferenceError("synthesis failed") from err
        finally:
            self._in_flight.pop(key, None)
        self.cache.put(key, pcm)
        return SentenceAudio(pcm, cached=False)

    def close(self) -> None:
        """Stop the workers (waits for runs under way)."""
        self._pool.shutdown(wait=True, cancel_futures=True)
