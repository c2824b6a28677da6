"""The audio cache: bounded in bytes, least recently used goes first."""

from __future__ import annotations

import pytest

from wyoming_servers.tts.cache import AudioCache, CacheKey


def key(text: str, length: float = 1.0, speaker: int | None = None) -> CacheKey:
    return CacheKey("en_US-joe-medium", speaker, length, 0.667, 0.8, text)


def test_bounded_in_bytes_and_evicts_least_recently_used() -> None:
    cache = AudioCache(max_bytes=1000)
    cache.put(key("a"), b"\0" * 400)
    cache.put(key("b"), b"\1" * 400)
    assert cache.get(key("a")) == b"\0" * 400  # a is now the most recent
    cache.put(key("c"), b"\2" * 400)  # 1200 > 1000: b goes
    assert cache.get(key("b")) is None
    assert cache.get(key("a")) is not None
    assert cache.get(key("c")) is not None
    assert cache.size_bytes == 800
    assert len(cache) == 2


def test_every_parameter_is_part_of_the_key() -> None:
    cache = AudioCache(max_bytes=10_000)
    cache.put(key("a"), b"x")
    assert cache.get(key("a", length=1.2)) is None
    assert cache.get(key("a", speaker=1)) is None
    assert cache.get(key("A")) is None
    assert cache.get(key("a")) == b"x"


def test_oversized_entries_and_zero_size() -> None:
    cache = AudioCache(max_bytes=10)
    cache.put(key("big"), b"x" * 11)
    assert cache.get(key("big")) is None
    assert cache.size_bytes == 0
    off = AudioCache(max_bytes=0)
    off.put(key("a"), b"x")
    assert off.get(key("a")) is None
    with pytest.raises(ValueError, match=">= 0"):
        AudioCache(max_bytes=-1)


def test_replacing_an_entry_keeps_the_byte_count_right() -> None:
    cache = AudioCache(max_bytes=100)
    cache.put(key("a"), b"x" * 60)
    cache.put(key("a"), b"y" * 30)
    assert cache.size_bytes == 30
    assert cache.get(key("a")) == b"y" * 30
