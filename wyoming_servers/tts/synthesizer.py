"""Sentence synthesis off the event loop, shared by every client.

wyoming-piper holds one global lock around synthesis, so a second client
waits for the first one's whole answer. Here the unit of work is one
sentence, run by ``--workers`` worker threads (default one, on all cores:
fastest on a small CPU, see ``sessions.py``) for every client. Sentences
wait in a priority queue: every
request's first sentence goes before anybody's later sentences (everyone
hears something early), and later sentences go in order of request arrival
(early requests also finish early, as under FIFO).

Two shortcuts: a byte-bounded cache of finished sentences, and coalescing,
so clients asking for the same uncached sentence at once share one run.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import logging
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
    """One sentence at a time on all cores: fastest on a small CPU (see ``sessions.py``).

    No client waits for another's whole answer even so: the unit of work is a
    sentence, and every request's first sentence goes first.
    """
    return 1


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


def _run_piper(request: VoiceRequest, sentence: str, running: int, *, queued: bool) -> bytes:
    """Synthesize on the session that suits ``running`` other sentences (``sessions.py``)."""
    config = SynthesisConfig(
        speaker_id=request.speaker_id,
        length_scale=request.prosody.length_scale,
        noise_scale=request.prosody.noise_scale,
        noise_w_scale=request.prosody.noise_w_scale,
    )
    session = request.voice.sessions.pick(running, queued=queued)
    return b"".join(chunk.audio_int16_bytes for chunk in session.synthesize(sentence, config))


# priority, ticket, order, whether it queued behind another sentence, request, sentence, result
type _Job = tuple[int, int, int, bool, VoiceRequest, str, asyncio.Future[bytes]]


class Synthesizer:
    """Turns sentences into PCM with a shared worker pool, cache and coalescing."""

    def __init__(self, cache: AudioCache, workers: int | None = None) -> None:
        self.cache = cache
        self.workers = workers or default_workers()
        self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="piper")
        self._in_flight: dict[CacheKey, asyncio.Future[bytes]] = {}
        self._queue: asyncio.PriorityQueue[_Job] | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._tickets = itertools.count()
        self._order = itertools.count()
        self._running = 0  # sentences being synthesized now (only the event loop changes it)

    @property
    def queued(self) -> int:
        """Sentences waiting for a free worker (the queue-depth metric)."""
        return self._queue.qsize() if self._queue is not None else 0

    def ticket(self) -> int:
        """A request's place in line (taken once per request, at its start)."""
        return next(self._tickets)

    async def sentence(
        self, request: VoiceRequest, sentence: str, *, ticket: int, first: bool
    ) -> SentenceAudio:
        """PCM for one sentence: from the cache, a run already under way, or a new run."""
        key = request.key(sentence)
        if (pcm := self.cache.get(key)) is not None:
            return SentenceAudio(pcm, cached=True)
        future = self._in_flight.get(key)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            self._in_flight[key] = future
            future.add_done_callback(lambda _: self._in_flight.pop(key, None))
            queue = self._workers_queue()
            behind = self._running > 0 or queue.qsize() > 0
            queue.put_nowait(
                (0 if first else 1, ticket, next(self._order), behind, request, sentence, future)
            )
        try:
            pcm = await asyncio.shield(future)
        except Exception as err:
            raise InferenceError("synthesis failed") from err
        self.cache.put(key, pcm)
        return SentenceAudio(pcm, cached=False)

    def _workers_queue(self) -> asyncio.PriorityQueue[_Job]:
        if self._queue is None:
            self._queue = asyncio.PriorityQueue()
            self._tasks = [
                asyncio.create_task(self._work(self._queue), name=f"piper worker {i}")
                for i in range(self.workers)
            ]
        return self._queue

    async def _work(self, queue: asyncio.PriorityQueue[_Job]) -> None:
        loop = asyncio.get_running_loop()
        while True:
            *_, queued, request, sentence, future = await queue.get()
            running = self._running
            self._running += 1
            try:
                run = functools.partial(_run_piper, request, sentence, running, queued=queued)
                pcm = await loop.run_in_executor(self._pool, run)
            except Exception as err:
                _LOGGER.exception("synthesis failed for a %d-character sentence", len(sentence))
                if not future.done():
                    future.set_exception(err)
            else:
                if not future.done():
                    future.set_result(pcm)
            finally:
                self._running -= 1

    async def close(self) -> None:
        """Stop the workers and the threads."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._pool.shutdown(wait=True, cancel_futures=True)
