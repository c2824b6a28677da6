"""How much work one decode gets: beam, encoder window, threads, and retries.

A lone speaker gets the full decode. When decodes overlap on a small CPU the
last one waits for all of them, so a decode that starts beside another gets
cheaper settings (measured in docs/asr.md).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from .window import FULL_WINDOW_FRAMES, LONG_WINDOW_FRAMES, feature_frames


@dataclass(frozen=True, slots=True)
class DecodeSettings:
    """Beam and encoder window (mel frames) of one decode."""

    beam_size: int
    window: int
    under_load: bool = False


def decode_threads(workers: int, cores: int | None = None) -> int:
    """Threads per decode: the cores shared among the workers, at least one.

    Measured on 2 cores (12 dev commands x 3, beam 5, 15 s window): one
    thread per decode 181 ms, two 207 ms, four (wyoming-faster-whisper's
    default) 206 ms; base: 337 against 330 ms for one and two. Threads beyond
    a decode's share of the cores only make it wait for cores the other
    decode holds.
    """
    cores = cores or os.cpu_count() or 1
    return max(1, cores // max(workers, 1))


def decode_settings(
    idle: DecodeSettings, busy: DecodeSettings, samples: int, *, in_flight: int
) -> DecodeSettings:
    """The cheaper settings when another decode is in flight, in a window the audio fits.

    ``in_flight`` counts this decode, the others running or queued, and the
    other clients sending audio now (each a decode about to come). On 2
    cores, four decodes at once take four times the CPU of one, and the last
    to finish waits for all of them: with beam 5 and the 15 s window its
    latency was 2.5 times one client's. Greedy decoding in a 10 s window
    takes about two thirds of the CPU (tiny.en, a 3 s command: 217 against
    337 ms) at the word-error cost measured in docs/asr.md. One speaker alone
    always gets the full decode. Audio longer than the busy window keeps the
    idle window: the encoder would otherwise see the full 30 s.
    """
    if in_flight <= 1 or (busy.beam_size, busy.window) == (idle.beam_size, idle.window):
        return idle
    if feature_frames(samples) > busy.window:
        return DecodeSettings(busy.beam_size, idle.window, under_load=True)
    return busy


def wider_windows(window: int, idle_window: int, samples: int) -> list[int]:
    """The encoder windows to try in turn: a repetition sends the decode to the next one.

    A short window sometimes makes the decoder say the command twice
    (``window.py``). The idle window repeated itself on none of 180 commands
    where the 10 s busy window did on 3, and costs half the full 30 s window.
    A 15 s window comes before the full one too, when it is wider than the
    decode's own.
    """
    frames = feature_frames(samples)
    steps = (window, idle_window, LONG_WINDOW_FRAMES)
    fitting = [w for w in steps if max(frames, window) <= w < FULL_WINDOW_FRAMES]
    return [*sorted(set(fitting)), FULL_WINDOW_FRAMES]
