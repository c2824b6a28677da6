"""The synthesizer's order of work: earliest deadline first, one step at a time.

The steps are fakes that a test lets run one by one, so the order is exact
and no timing can make it pass or fail by luck.
"""

from __future__ import annotations

import asyncio
import threading
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import pytest

from wyoming_servers.core.errors import InferenceError
from wyoming_servers.tts import synthesizer as synthesizer_module
from wyoming_servers.tts.cache import AudioCache
from wyoming_servers.tts.synthesizer import Synthesizer, VoiceRequest

if TYPE_CHECKING:
    from wyoming_servers.tts.engine import SentencePieces

RATE = 1000  # samples per second: a piece of N bytes is N / 2000 s of audio


class Steps:
    """Fake steps: ``"name:3"`` has three pieces; each waits for the test's go-ahead."""

    def __init__(self, piece_seconds: float = 1.0) -> None:
        self.seen: list[tuple[str, int, bool]] = []
        self.go = threading.Semaphore(0)
        self.piece = b"\0\0" * int(RATE * piece_seconds)
        self.fail: set[str] = set()
        self.released = 0
        self.hurried: list[tuple[str, int, bool]] = []

    def __call__(
        self,
        _request: object,
        pieces: SentencePieces,
        _running: int,
        *,
        queued: bool,
        hurry: bool,
    ) -> bytes:
        name, count = pieces.text.split(":")
        made = getattr(pieces, "made", 0) + 1
        pieces.made = made  # type: ignore[attr-defined]
        self.seen.append((name, made, queued))
        self.hurried.append((name, made, hurry))
        assert self.go.acquire(timeout=5), "the test never let this step run"
        if name in self.fail:
            raise RuntimeError("model broke")
        pieces.done = made >= int(count)
        return self.piece

    async def run(self, count: int) -> None:
        """Let ``count`` more steps run, each once it has started."""
        for _ in range(count):
            await _until(lambda: len(self.seen) > self.released)
            self.released += 1
            self.go.release()


async def _until(check: Any) -> None:
    for _ in range(500):
        if check():
            return
        await asyncio.sleep(0.01)
    raise TimeoutError


def _request() -> VoiceRequest:
    voice = SimpleNamespace(name="fake", sample_rate=RATE, engines=SimpleNamespace(gain=1.0))
    prosody = SimpleNamespace(length_scale=1.0, noise_scale=0.0, noise_w_scale=0.0)
    return VoiceRequest(voice, None, prosody)  # type: ignore[arg-type]


@pytest.fixture
def steps(monkeypatch: pytest.MonkeyPatch) -> Steps:
    fake = Steps()
    monkeypatch.setattr(synthesizer_module, "_run_step", fake)
    return fake


async def _collect(synthesizer: Synthesizer, text: str, playback: Any) -> bytes:
    return await synthesizer.sentence(_request(), text, playback=playback).pcm()


async def test_new_requests_go_before_the_rest_of_a_sentence_that_plays_ahead(
    steps: Steps,
) -> None:
    synthesizer = Synthesizer(AudioCache(1 << 20))
    try:
        a = asyncio.create_task(_collect(synthesizer, "a:3", synthesizer.playback()))
        await _until(lambda: steps.seen)  # a's first step is running
        b = asyncio.create_task(_collect(synthesizer, "b:2", synthesizer.playback()))
        c = asyncio.create_task(_collect(synthesizer, "c:1", synthesizer.playback()))
        await asyncio.sleep(0.05)
        await steps.run(6)
        await asyncio.gather(a, b, c)
    finally:
        await synthesizer.close()
    # Everyone's first piece first (a has a second of audio playing), then by deadline.
    assert [(name, n) for name, n, _ in steps.seen] == [
        ("a", 1), ("b", 1), ("c", 1), ("a", 2), ("b", 2), ("a", 3),
    ]  # fmt: skip
    # The first started alone; the two that waited behind it are a burst of our own work.
    assert [queued for _, n, queued in steps.seen if n == 1] == [False, True, True]


async def test_a_sentence_about_to_run_dry_goes_before_a_new_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    steps = Steps(piece_seconds=0.001)  # a's pieces are a millisecond each: always due
    monkeypatch.setattr(synthesizer_module, "_run_step", steps)
    synthesizer = Synthesizer(AudioCache(1 << 20))
    try:
        a = asyncio.create_task(_collect(synthesizer, "a:3", synthesizer.playback()))
        await steps.run(1)
        await _until(lambda: len(steps.seen) == 2)  # a's second step is running
        await asyncio.sleep(0.01)  # b arrives after a's audio has run out
        b = asyncio.create_task(_collect(synthesizer, "b:1", synthesizer.playback()))
        await asyncio.sleep(0.05)
        await steps.run(3)
        await asyncio.gather(a, b)
    finally:
        await synthesizer.close()
    assert [(name, n) for name, n, _ in steps.seen] == [("a", 1), ("a", 2), ("a", 3), ("b", 1)]


async def test_cache_filling_waits_and_a_listener_takes_over_its_run(steps: Steps) -> None:
    synthesizer = Synthesizer(AudioCache(1 << 20))
    try:
        background = synthesizer.playback(background=True)
        warm = [
            asyncio.create_task(_collect(synthesizer, text, background))
            for text in ("w1:1", "w2:1", "w3:1")
        ]
        await _until(lambda: steps.seen)  # w1 is running
        listener = synthesizer.playback()
        mine = asyncio.create_task(_collect(synthesizer, "x:1", listener))
        shared = asyncio.create_task(_collect(synthesizer, "w3:1", listener))
        await asyncio.sleep(0.05)
        await steps.run(4)
        results = await asyncio.gather(*warm, mine, shared)
    finally:
        await synthesizer.close()
    # x and w3 (a listener waits for both now) go before w2; w3 ran once for both.
    names = [name for name, _, _ in steps.seen]
    assert names[0] == "w1"
    assert set(names[1:3]) == {"x", "w3"}
    assert names[3:] == ["w2"]
    assert results[2] == results[4] == steps.piece


async def test_a_failed_run_fails_every_follower_and_the_next_sentence_works(
    steps: Steps,
) -> None:
    steps.fail.add("bad")
    synthesizer = Synthesizer(AudioCache(1 << 20))
    try:
        playback = synthesizer.playback()
        first = asyncio.create_task(_collect(synthesizer, "bad:2", playback))
        second = asyncio.create_task(_collect(synthesizer, "bad:2", playback))
        await steps.run(1)
        for task in (first, second):
            with pytest.raises(InferenceError):
                await task
        good = asyncio.create_task(_collect(synthesizer, "good:2", playback))
        await steps.run(2)
        assert await good == steps.piece * 2
    finally:
        await synthesizer.close()
    # Cached now: no step runs.
    again = synthesizer.sentence(_request(), "good:2", playback=synthesizer.playback())
    assert again.cached
    assert await again.pcm() == steps.piece * 2


async def test_only_a_waiting_listener_gets_short_first_pieces(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    steps = Steps(piece_seconds=5.0)  # after one piece the listener has 5 s to play
    monkeypatch.setattr(synthesizer_module, "_run_step", steps)
    synthesizer = Synthesizer(AudioCache(1 << 20))
    try:
        playback = synthesizer.playback()
        first = asyncio.create_task(_collect(synthesizer, "one:2", playback))
        await steps.run(2)
        await first
        second = asyncio.create_task(_collect(synthesizer, "two:1", playback))
        warm = asyncio.create_task(
            _collect(synthesizer, "warm:1", synthesizer.playback(background=True))
        )
        await steps.run(2)
        await asyncio.gather(second, warm)
    finally:
        await synthesizer.close()
    assert steps.hurried == [
        ("one", 1, True),
        ("one", 2, False),
        ("two", 1, False),
        ("warm", 1, False),
    ]
