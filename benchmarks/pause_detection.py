"""Pause detection in noise: where the ASR server finds the pause after the speech, old rule and new.

The speech-to-text server notes a pause after 150 ms of quiet after speech
(``wyoming_servers/asr/utterance.py``); semantic endpointing ends a turn at
it. This feeds spoken commands through ``Utterance.add`` chunk by chunk, as
a client streams them, with the current rule (``speech_level``) and the
previous one (a chunk's RMS against 12 % of the speech level, nothing
else), and says where the pauses fell against where the speech really is.

The commands are the four generated sets (``command_set``: main, held-out,
fresh, pauses), each rendition spoken once, clean, and cached; then each is
mixed with the sets' pink noise at every SNR (clean, 20, 15, 10 dB), padded
like a set file (0.3 s before) with 1.8 s of the same noise after (the
file's 0.8 s and 1 s more), so the same words are compared clean and noisy.
The truth comes from the clean rendition: the last speech sound is the end
of the last 10 ms frame within 35 dB of its loudest; the deliberate pauses
of the pauses set are where ``render`` put them. Chunks of 20 ms and 64 ms
(1024 samples, what satellites send), and streams that start 0.3 s before
the speech or right at it (no lead-in).

Per SNR: found (a pause reached at or after the last speech sound), the
delay from the last speech sound to that pause (median / p95), false pauses
(utterances with a pause before the last speech sound while speech within
20 dB of the loudest was still to come, deliberate pauses aside), pauses
just before a faint ending (only sound 20-35 dB down after it), deliberate
pauses found, and re-triggers (noise after the end's pause taken for speech
again, so the transcript no longer ends there). Also the cost per chunk.

Usage: python benchmarks/pause_detection.py [--cache DIR] [--limit N]
Writes benchmarks/results/pause_detection.json.
"""

from __future__ import annotations

import argparse
import bisect
import json
import math
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from common import RESULTS, header  # noqa: E402

from local_voice_harness import command_set  # noqa: E402
from local_voice_harness.synthetic_speech import RATE, Rendition, mixed, render  # noqa: E402
from wyoming_servers.asr import speech_level  # noqa: E402
from wyoming_servers.asr.utterance import Utterance  # noqa: E402
from wyoming_servers.core.audio import AudioFormat  # noqa: E402

SETS = (("main", 7), ("heldout", 2026), ("fresh", 2027), ("pauses", 7))
SNRS: tuple[float | None, ...] = (None, 20.0, 15.0, 10.0)
CHUNKS = (320, 1024)
LEAD_S, TAIL_S = 0.3, 1.8
END_DB, LOUD_DB = 35.0, 20.0  # the last speech sound; speech that makes a pause false
FMT = AudioFormat(rate=RATE, width=2, channels=1)


# --- the previous rule, as it was: RMS per chunk against 12 % of the speech level ------------


def _old_is_speech(rms: float, levels: list[float]) -> bool:
    return rms > min(0.03, 0.12 * speech_level.percentile_90(levels)) and rms >= 1e-4


class OldUtterance(Utterance):
    """``Utterance`` with the previous per-chunk rule."""

    __slots__ = ()

    def _track_level(self, samples: np.ndarray) -> None:
        rms = float(np.sqrt(np.dot(samples, samples) / samples.size)) if samples.size else 0.0
        bisect.insort(self.levels, rms)
        if _old_is_speech(rms, self.levels):
            self.speech_end = self.frames
        elif self.speech_end > self.pause_at and self.trailing_silence() >= self.pause_seconds:
            self.pause_at = self.frames


RULES: dict[str, Any] = {"old": OldUtterance, "new": Utterance}


# --- the commands, clean, with the truth ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Spoken:
    """One clean rendition and where its speech is (samples of the unpadded speech)."""

    key: str
    speech: np.ndarray  # 16-bit scale
    start: int
    end: int  # after the last speech sound
    loud: np.ndarray  # per 10 ms frame: within LOUD_DB of the loudest
    pauses: list[tuple[int, int]]


def _spoken(key: str, speech: np.ndarray, pauses: list[tuple[int, int]]) -> Spoken:
    count = speech.size // 160
    rms = np.sqrt((speech[: count * 160].reshape(count, 160) ** 2).mean(axis=1))
    db = 20 * np.log10(rms / rms.max() + 1e-12)
    active = np.flatnonzero(db > -END_DB)
    return Spoken(
        key, speech, int(active[0]) * 160, int(active[-1] + 1) * 160, db > -LOUD_DB, pauses
    )


def load(cache: Path, limit: int | None) -> list[Spoken]:
    """Every rendition of the four sets, spoken once and cached in ``cache``."""
    spoken = []
    for variant, seed in SETS:
        for item in command_set.plan(seed, variant)[:limit]:
            path = cache / variant / (item.name.removesuffix(".wav") + ".npz")
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                clean = Rendition(
                    item.rendition.engine, item.rendition.voice, item.rendition.speed, None
                )
                with tempfile.TemporaryDirectory() as tmp:
                    speech, pauses = render(item.text, clean, Path(tmp) / "speech.wav")
                np.savez(path, speech=speech, pauses=np.array(pauses, np.int64).reshape(-1, 2))
                sys.stderr.write(f"\r[pause-detection] spoke {variant}/{item.name}   ")
            stored = np.load(path)
            pauses = [(int(a), int(b)) for a, b in stored["pauses"]]
            spoken.append(_spoken(f"{variant}/{item.name}", stored["speech"], pauses))
    sys.stderr.write("\n")
    return spoken


# --- one stream through an Utterance -------------------------------------------------------------


@dataclass(slots=True)
class Outcome:
    """Pauses reached (quiet from, pause at) and the frames where chunks were speech."""

    pauses: list[tuple[int, int]]
    speech_ends: list[int]


def stream(pcm: bytes, chunk: int, rule: str) -> Outcome:
    utterance = RULES[rule](fmt=FMT, max_seconds=60.0)
    outcome = Outcome([], [])
    step = chunk * 2
    for offset in range(0, len(pcm), step):
        speech_end, pause_at = utterance.speech_end, utterance.pause_at
        utterance.add(pcm[offset : offset + step], FMT)
        if utterance.speech_end != speech_end:
            outcome.speech_ends.append(utterance.speech_end)
        if utterance.pause_at != pause_at:
            outcome.pauses.append((utterance.speech_end, utterance.pause_at))
    return outcome


def _pcm(audio: np.ndarray) -> bytes:
    return np.clip(np.round(audio), -32768, 32767).astype("<i2").tobytes()


@dataclass(slots=True)
class Tally:
    """Counts for one (rule, chunk, lead, SNR)."""

    n: int = 0
    found: int = 0
    false: int = 0
    faint: int = 0
    deliberate: int = 0
    deliberate_found: int = 0
    retriggered: int = 0
    delays: list[float] = field(default_factory=list)

    def add(self, outcome: Outcome, spoken: Spoken, offset: int, chunk: int) -> None:
        """Score one stream; ``offset``: where the unpadded speech starts in the stream."""
        self.n += 1
        end = offset + spoken.end
        gaps = [(offset + a, offset + b) for a, b in spoken.pauses]
        after = [pause for pause in outcome.pauses if pause[1] >= end]
        if after:
            self.found += 1
            self.delays.append((after[0][1] - end) * 1000 / RATE)
            later_speech = any(frame > after[0][1] for frame in outcome.speech_ends)
            self.retriggered += len(after) > 1 or later_speech
        false = faint = False
        for _, at in outcome.pauses:
            if at >= end or any(a <= at <= b + chunk for a, b in gaps):
                continue
            frame = max(0, (at - offset) // 160)
            if spoken.loud[frame:].any():
                false = True
            else:
                faint = True
        self.false += false
        self.faint += faint
        for a, b in gaps:
            self.deliberate += 1
            self.deliberate_found += any(a <= at <= b + chunk for _, at in outcome.pauses)

    def summary(self) -> dict[str, Any]:
        delays = sorted(self.delays)
        return {
            "n": self.n,
            "found": self.found,
            "delay_ms": {
                "median": round(statistics.median(delays)) if delays else None,
                "p95": round(delays[math.ceil(0.95 * len(delays)) - 1]) if delays else None,
            },
            "false_pause_utterances": self.false,
            "pause_before_faint_end": self.faint,
            "deliberate_pauses_found": self.deliberate_found,
            "deliberate_pauses": self.deliberate,
            "retriggered": self.retriggered,
        }


def pauses(spoken: list[Spoken]) -> list[dict[str, Any]]:
    """Every rule x chunk x lead-in x SNR."""
    tallies: dict[tuple[str, int, str, float | None], Tally] = {}
    for index, item in enumerate(spoken):
        for snr in SNRS:
            audio = mixed(item.speech, snr, np.random.default_rng([11, index]), tail_s=TAIL_S)
            lead = round(LEAD_S * RATE)
            streams = {
                "0.3 s": (_pcm(audio), lead),
                "none": (_pcm(audio[lead + item.start :]), -item.start),
            }
            for (lead_in, (pcm, offset)), chunk, rule in _product(streams.items(), CHUNKS, RULES):
                tally = tallies.setdefault((rule, chunk, lead_in, snr), Tally())
                tally.add(stream(pcm, chunk, rule), item, offset, chunk)
        sys.stderr.write(f"\r[pause-detection] {index + 1}/{len(spoken)} streamed   ")
    sys.stderr.write("\n")
    return [
        {"rule": rule, "chunk_samples": chunk, "lead_in": lead_in, "snr_db": snr, **t.summary()}
        for (rule, chunk, lead_in, snr), t in tallies.items()
    ]


def _product(*groups: Any) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = [()]
    for group in groups:
        out = [(*head, item) for head in out for item in group]
    return out


def cost_us(spoken: list[Spoken]) -> dict[str, float]:
    """Microseconds of ``Utterance.add`` per chunk (the best of 5 runs over 10 noisy commands)."""
    pcms = [
        _pcm(mixed(item.speech, 10.0, np.random.default_rng([17, index])))
        for index, item in enumerate(spoken[:10])
    ]
    costs = {}
    for rule, chunk in _product(RULES, CHUNKS):
        best = math.inf
        for _ in range(5):
            count, started = 0, time.perf_counter()
            for pcm in pcms:
                utterance = RULES[rule](fmt=FMT, max_seconds=60.0)
                for offset in range(0, len(pcm), chunk * 2):
                    utterance.add(pcm[offset : offset + chunk * 2], FMT)
                    count += 1
            best = min(best, (time.perf_counter() - started) / count * 1e6)
        costs[f"{rule}_{chunk}"] = round(best, 1)
    return costs


def _table(rows: list[dict[str, Any]]) -> None:
    def cell(row: dict[str, Any]) -> str:
        delay = row["delay_ms"]
        found = 100 * row["found"] / row["n"]
        median = "-" if delay["median"] is None else delay["median"]
        p95 = "-" if delay["p95"] is None else delay["p95"]
        return (
            f"{found:5.1f}% {median:>4}/{p95:<4} F{row['false_pause_utterances']:>3}"
            f" R{row['retriggered']:>3} D{row['deliberate_pauses_found']:>2}"
        )

    names = ["clean" if s is None else f"{s:g} dB" for s in SNRS]
    sys.stdout.write(
        "found: pause at/after the last speech sound; delay median/p95 ms after it;\n"
        "F: utterances with a false pause; R: re-triggered in the noise after;"
        " D: deliberate pauses found\n"
    )
    sys.stdout.write(
        f"{'lead-in chunk rule':22s}| " + " | ".join(f"{n:^31s}" for n in names) + "\n"
    )
    for lead_in, chunk, rule in _product(("0.3 s", "none"), CHUNKS, RULES):
        cells = [
            next(
                r
                for r in rows
                if (r["lead_in"], r["chunk_samples"], r["rule"], r["snr_db"])
                == (lead_in, chunk, rule, snr)
            )
            for snr in SNRS
        ]
        label = f"{lead_in:5s} {chunk:4d} {rule}"
        sys.stdout.write(f"{label:22s}| " + " | ".join(cell(c) for c in cells) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cache", type=Path, default=Path("/tmp/lv-pause-detection-clean"))
    parser.add_argument("--limit", type=int, help="files per set (a quick look)")
    args = parser.parse_args()
    spoken = load(args.cache, args.limit)
    rows = pauses(spoken)
    _table(rows)
    costs = cost_us(spoken)
    sys.stdout.write(f"cost per chunk (us): {json.dumps(costs)}\n")
    result = {
        **header("pause_detection"),
        "params": {
            "sets": [f"{variant} (seed {seed})" for variant, seed in SETS],
            "renditions": len(spoken),
            "snr_db": list(SNRS),
            "chunk_samples": list(CHUNKS),
            "lead_in_s": LEAD_S,
            "tail_s": TAIL_S,
            "noise": "pink (command_set), SNR against the speech's RMS",
            "last_speech_sound_db": -END_DB,
            "false_pause_speech_db": -LOUD_DB,
        },
        "pauses": rows,
        "cost_us_per_chunk": costs,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "pause_detection.json"
    out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    sys.stdout.write(f"wrote {out}\n")


if __name__ == "__main__":
    main()
