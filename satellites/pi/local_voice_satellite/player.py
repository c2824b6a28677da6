"""Answer playback on its own thread, so a slow speaker never stalls MQTT.

The network thread only validates and enqueues (``start``/``chunk``/``end``
per stream); this thread opens the sink on ``start``, plays each chunk as
it arrives (scaled to the current volume) and reports a finished stream
through ``on_played``. A new stream or ``stop()`` cuts the current one off.
Awake/done tones are short streams generated in code.
"""

from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import numpy as np

from .audio_out import AudioOutputError, scale_volume

if TYPE_CHECKING:
    from collections.abc import Callable

    from .audio_out import AudioSink

_LOGGER = logging.getLogger(__name__)
MAX_QUEUED: Final = 4000  # ~4 minutes of 60 ms chunks
TONE_RATE: Final = 16000


def tone(freqs: tuple[float, ...], ms: int = 90, volume: float = 0.3) -> bytes:
    """A short chime: one faded sine per frequency, back to back (16 kHz s16le)."""
    n = TONE_RATE * ms // 1000
    t = np.arange(n) / TONE_RATE
    fade = np.minimum(1.0, np.minimum(t, t[::-1]) * 200)  # 5 ms ramps, no clicks
    parts = [np.sin(2 * np.pi * f * t) * fade for f in freqs]
    return bytes((np.concatenate(parts) * volume * 32767).astype("<i2").tobytes())


AWAKE_TONE: Final = tone((660.0, 880.0))
DONE_TONE: Final = tone((880.0, 660.0))
TIMER_TONE: Final = tone((988.0, 0.0, 988.0, 0.0, 988.0, 0.0, 1319.0), ms=150, volume=0.5)


@dataclass(frozen=True, slots=True)
class _Item:
    kind: str  # start | chunk | end
    stream_id: str
    data: bytes = b""
    rate: int = 0
    width: int = 2
    channels: int = 1
    report: bool = True


class Player:
    """Plays streams from a queue on a daemon thread."""

    def __init__(self, sink: AudioSink, on_played: Callable[[str], None], volume: float) -> None:
        self._sink = sink
        self._on_played = on_played
        self.volume = volume
        self._queue: queue.Queue[_Item | None] = queue.Queue(MAX_QUEUED)
        self._current: str | None = None
        self._report = True
        self._idle = threading.Event()
        self._idle.set()
        self._thread = threading.Thread(target=self._run, name="player", daemon=True)
        self._thread.start()

    @property
    def busy(self) -> bool:
        """True while a stream is open or queued."""
        return not self._idle.is_set() or not self._queue.empty()

    def start(
        self, stream_id: str, rate: int, width: int, channels: int, *, report: bool = True
    ) -> None:
        """Open a stream (ends any current one); ``report``: call ``on_played`` at its end."""
        self._put(
            _Item("start", stream_id, rate=rate, width=width, channels=channels, report=report)
        )

    def chunk(self, stream_id: str, pcm: bytes) -> None:
        """Queue PCM for a stream."""
        self._put(_Item("chunk", stream_id, pcm))

    def end(self, stream_id: str) -> None:
        """Close a stream once its queued audio has played."""
        self._put(_Item("end", stream_id))

    def play_tone(self, name: str, pcm: bytes) -> None:
        """Queue a generated tone as a stream of its own."""
        self.start(name, TONE_RATE, 2, 1, report=False)
        self.chunk(name, pcm)
        self.end(name)

    def stop(self) -> None:
        """Drop everything queued and cut the current stream."""
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
        self._put(_Item("end", "", b"abort"))

    def close(self) -> None:
        """Stop the thread."""
        self.stop()
        self._put(None)
        self._thread.join(timeout=5)

    def wait_idle(self, timeout: float) -> bool:
        """Block until nothing is playing or queued."""
        return self._idle.wait(timeout) and self._queue.empty()

    def _put(self, item: _Item | None) -> None:
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            _LOGGER.warning("playback queue full: dropping %s", item.kind if item else "close")

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                self._sink.abort()
                return
            try:
                self._handle(item)
            except AudioOutputError as err:
                _LOGGER.error("speaker error: %s", err)  # noqa: TRY400 - expected, no trace
                self._current = None
                self._idle.set()

    def _handle(self, item: _Item) -> None:
        if item.kind == "start":
            if self._current is not None:
                self._sink.abort()
            self._idle.clear()
            self._current = item.stream_id
            self._report = item.report
            self._sink.open(item.stream_id, item.rate, item.width, item.channels)
        elif item.kind == "chunk" and item.stream_id == self._current:
            self._sink.write(scale_volume(item.data, self.volume))
        elif item.kind == "end" and item.data == b"abort":
            if self._current is not None:
                self._sink.abort()
                self._current = None
            self._idle.set()
        elif item.kind == "end" and item.stream_id == self._current:
            self._sink.close()
            self._current = None
            self._idle.set()
            if self._report:
                self._on_played(item.stream_id)
