"""A byte-bounded LRU cache of synthesized sentences.

A house hears the same confirmations all day ("Turned on the kitchen
light."); serving them from memory costs microseconds instead of a model
run. Entries are keyed by everything that changes the audio (voice, speaker,
prosody, text) and hold the exact PCM bytes, so a hit is byte-identical to
the first answer. The bound is in bytes, not entries: one long sentence can
weigh as much as a hundred short ones.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CacheKey:
    """Everything that changes the audio of one sentence."""

    voice: str
    speaker_id: int | None
    length_scale: float
    noise_scale: float
    noise_w_scale: float
    text: str


class AudioCache:
    """Thread-safe LRU of PCM bytes bounded by total size."""

    def __init__(self, max_bytes: int) -> None:
        if max_bytes < 0:
            raise ValueError("cache size must be >= 0")
        self._max_bytes = max_bytes
        self._entries: OrderedDict[CacheKey, bytes] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @property
    def size_bytes(self) -> int:
        """Bytes of audio held now."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: CacheKey) -> bytes | None:
        """The audio for ``key`` (refreshing its recency), or None."""
        with self._lock:
            audio = self._entries.get(key)
            if audio is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return audio

    def put(self, key: CacheKey, audio: bytes) -> None:
        """Store ``audio``, evicting the least recently used entries to fit."""
        size = len(audio)
        if size > self._max_bytes:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= len(old)
            while self._entries and self._bytes + size > self._max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self._bytes -= len(evicted)
            self._entries[key] = audio
            self._bytes += size
