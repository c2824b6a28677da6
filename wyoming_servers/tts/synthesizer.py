"""Sentence synthesis off the event loop, shared by every client.

wyoming-piper holds one global lock around synthesis, so a second client
waits for the first one's whole answer. Here the unit of work is one step
of a sentence (``engine.py``: the head and the first piece of audio, then
one further piece per step), run by ``--workers`` worker threads (default
one, on all cores: fastest on a small CPU, see ``engine_choice.py``) for every
client. Steps run earliest deadline first: a request's deadline is when its
listener runs out of audio (its first audio plus the seconds made so far),
and a request with no audio yet is due when it arrived. So a new request's
first piece goes before the rest of a sentence that is playing well ahead,
and a sentence about to run dry goes before a new request.

Two shortcuts: a byte-bounded cache of finished sentences, and coalescing,
so clients asking for the same uncached sentence at once share one run.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import logging
import math
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from piper import SynthesisConfig

from wyoming_servers.core.errors import InferenceError

from .cache import AudioCache, CacheKey
from .engine import SentencePieces

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from .voices import Prosody, Voice

_LOGGER = logging.getLogger(__name__)

SAMPLE_WIDTH = 2
CHANNELS = 1
# A listener with less audio than this left to play gets the short first piece.
HURRY_BELOW_S = 1.0


def default_workers() -> int:
    """One step at a time on all cores: fastest on a small CPU (see ``engine_choice.py``).

    No client waits for another's whole answer even so: the unit of work is a
    piece of a sentence, run earliest deadline first.
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


@dataclass(slots=True)
class Playback:
    """A request's audio clock: when its listener runs out of audio."""

    ticket: int
    arrived: float
    background: bool = False  # filling the cache: after everything else
    first_audio: float | None = None
    seconds: float = 0.0

    def deadline(self) -> float:
        """When the listener runs dry; a request with no audio yet is due on arrival."""
        if self.background:
            return math.inf
        if self.first_audio is None:
            return self.arrived
        return self.first_audio + self.seconds

    def hurried(self) -> bool:
        """Whether the listener has less than ``HURRY_BELOW_S`` of audio left to play."""
        return self.deadline() - time.monotonic() < HURRY_BELOW_S

    def made(self, seconds: float) -> None:
        """Count ``seconds`` more audio ready for the listener."""
        if self.first_audio is None:
            self.first_audio = time.monotonic()
        self.seconds += seconds


class SentenceRun:
    """One sentence's pieces as they are made, for every client that asked for it."""

    def __init__(self, pieces: list[bytes] | None = None) -> None:
        self.pieces: list[bytes] = pieces or []
        self.finished = pieces is not None
        self.error: BaseException | None = None
        self._changed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def add(self, pcm: bytes) -> None:
        """One more piece."""
        self.pieces.append(pcm)
        self._notify()

    def finish(self) -> None:
        """No more pieces."""
        self.finished = True
        self._notify()

    def fail(self, error: BaseException) -> None:
        """The run broke; followers raise."""
        self.error = error
        self._notify()

    def _notify(self) -> None:
        changed, self._changed = self._changed, asyncio.get_running_loop().create_future()
        changed.set_result(None)

    async def follow(self) -> AsyncIterator[bytes]:
        """Every piece from the first, as soon as it exists."""
        index = 0
        while True:
            while index < len(self.pieces):
                yield self.pieces[index]
                index += 1
            if self.error is not None:
                raise InferenceError("synthesis failed") from self.error
            if self.finished:
                return
            await asyncio.shield(self._changed)


@dataclass(frozen=True, slots=True)
class SentenceAudio:
    """16-bit mono PCM of one sentence, piece by piece, and whether it came from the cache."""

    run: SentenceRun
    cached: bool

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self.run.follow()

    async def pcm(self) -> bytes:
        """The whole sentence, once it is all made."""
        return b"".join([piece async for piece in self])


def _run_step(
    request: VoiceRequest, pieces: SentencePieces, running: int, *, queued: bool, hurry: bool
) -> bytes:
    """One step on the engine that suits ``running`` other steps (``engine_choice.py``)."""
    return pieces.step(request.voice.engines.pick(running, queued=queued), hurry=hurry)


@dataclass(slots=True)
class _Job:
    request: VoiceRequest
    playback: Playback
    pieces: SentencePieces
    run: SentenceRun
    key: CacheKey
    queued: bool  # it waited behind another step of ours when it arrived
    order: int

    def priority(self) -> tuple[float, int, int]:
        return (self.playback.deadline(), self.playback.ticket, self.order)


class Synthesizer:
    """Turns sentences into PCM with a shared worker pool, cache and coalescing."""

    def __init__(self, cache: AudioCache, workers: int | None = None) -> None:
        self.cache = cache
        self.workers = workers or default_workers()
        self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="piper")
        self._in_flight: dict[CacheKey, _Job] = {}
        self._ready: list[_Job] = []
        self._wake: asyncio.Event | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._tickets = itertools.count()
        self._order = itertools.count()
        self._running = 0  # steps being run now (only the event loop changes it)

    @property
    def queued(self) -> int:
        """Steps waiting for a free worker (the queue-depth metric)."""
        return len(self._ready)

    def playback(self, *, background: bool = False) -> Playback:
        """A new request's clock (taken once per request, at its start)."""
        return Playback(next(self._tickets), time.monotonic(), background)

    def sentence(
        self, request: VoiceRequest, sentence: str, *, playback: Playback
    ) -> SentenceAudio:
        """One sentence: from the cache, a run already under way, or a new run."""
        key = request.key(sentence)
        if (pcm := self.cache.get(key)) is not None:
            playback.made(len(pcm) / (SAMPLE_WIDTH * CHANNELS * request.voice.sample_rate))
            return SentenceAudio(SentenceRun([pcm]), cached=True)
        job = self._in_flight.get(key)
        if job is not None:
            # The more urgent listener sets the pace (a warm-up run must not starve a request).
            if playback.deadline() < job.playback.deadline():
                job.playback = playback
            return SentenceAudio(job.run, cached=False)
        config = SynthesisConfig(
            speaker_id=request.speaker_id,
            length_scale=request.prosody.length_scale,
            noise_scale=request.prosody.noise_scale,
            noise_w_scale=request.prosody.noise_w_scale,
        )
        pieces = SentencePieces(sentence, config, request.voice.engines.gain)
        queued = self._running > 0 or bool(self._ready)
        job = _Job(request, playback, pieces, SentenceRun(), key, queued, next(self._order))
        self._in_flight[key] = job
        self._push(job)
        return SentenceAudio(job.run, cached=False)

    def _push(self, job: _Job) -> None:
        if self._wake is None:
            self._wake = asyncio.Event()
            self._tasks = [
                asyncio.create_task(self._work(self._wake), name=f"piper worker {i}")
                for i in range(self.workers)
            ]
        self._ready.append(job)
        self._wake.set()

    async def _take(self, wake: asyncio.Event) -> _Job:
        while not self._ready:
            wake.clear()
            await wake.wait()
        job = min(self._ready, key=_Job.priority)
        self._ready.remove(job)
        return job

    async def _work(self, wake: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        while True:
            job = await self._take(wake)
            running = self._running
            self._running += 1
            try:
                step = functools.partial(
                    _run_step,
                    job.request,
                    job.pieces,
                    running,
                    queued=job.queued,
                    hurry=job.playback.hurried(),
                )
                pcm = await loop.run_in_executor(self._pool, step)
            except Exception as err:
                _LOGGER.exception(
                    "synthesis failed for a %d-character sentence", len(job.pieces.text)
                )
                self._in_flight.pop(job.key, None)
                job.run.fail(err)
            else:
                rate = job.request.voice.sample_rate
                job.playback.made(len(pcm) / (SAMPLE_WIDTH * CHANNELS * rate))
                job.run.add(pcm)
                if job.pieces.done:
                    self._in_flight.pop(job.key, None)
                    self.cache.put(job.key, b"".join(job.run.pieces))
                    job.run.finish()
                else:
                    self._push(job)
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
