"""Word errors for ``benchmarks/asr.py``: every spoken set, both ways, ours and the peer.

Both ways: each recording sent all at once (a file) and streamed at
real-time pace in 20 ms chunks (a microphone; our server then decodes at the
first pause while audio still arrives, docs/asr.md). Every set without and
with the home's names: ours gets them per request (``context.vocabulary``),
the peer as its ``--initial-prompt`` (it has no per-request vocabulary), so
"+ names" for the peer is a second peer process. One client per server at a
time: a single speaker always gets our full decode settings. For ours at
real-time pace, the server's own counters say how often the early decode
was the answer.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

from local_voice_harness import paths
from local_voice_harness.commands import load_commands, load_transcripts
from local_voice_harness.metrics import counter_by_label, scrape
from local_voice_harness.servers import WavAudio, transcribe_wav
from wyoming_servers.asr.scoring import word_error_rate

if TYPE_CHECKING:
    from pathlib import Path

VOCABULARY = [
    "Kitchen",
    "Living Room",
    "Bedroom",
    "Office",
    "Garage",
    "Hallway",
    "Kitchen Light",
    "Living Room Lamp",
    "Bedroom Light",
    "Desk Lamp",
    "Coffee Maker",
    "Office Fan",
    "Thermostat",
    "Living Room Temperature",
    "Bedroom Humidity",
    "Garage Door",
    "Front Door",
    "Back Door",
]
# How each 84-command set is made (the same seeds as benchmarks/accuracy.py).
SET_ARGS = {
    "own_set": ["--seed", "7", "--variant", "main"],
    "heldout_set": ["--seed", "2026", "--variant", "heldout"],
    "fresh_set": ["--seed", "2027", "--variant", "fresh"],
}


@dataclass(frozen=True, slots=True)
class Listener:
    """One server as the WER runs use it: its port, and the names it is given per request."""

    port: int
    vocabulary: bool = False  # send VOCABULARY in context (ours); the peer has its prompt
    metrics_port: int | None = None  # ours: count early decodes


def make_missing_sets(sets: dict[str, Path]) -> None:
    """Generate each 84-command set that is not there yet (``local_voice_harness.command_set``)."""
    for key, directory in sets.items():
        if not (directory / "commands.jsonl").exists():
            print(f"  generating {key} in {directory}", flush=True)
            subprocess.run(
                [sys.executable, "-m", "local_voice_harness.command_set", "--out", str(directory),
                 *SET_ARGS[key]],
                check=True,
            )  # fmt: skip


def spoken_items(sets: dict[str, Path]) -> dict[str, list]:
    """Every set by result key: the two dev sets, then the 84-command sets."""
    items = {
        "commands": load_commands(paths.dev_commands_dir()),
        "real": load_transcripts(paths.dev_real_speech_dir()),
    }
    items.update({key: load_commands(directory) for key, directory in sets.items()})
    return items


def _early_counts(listener: Listener) -> dict[str, float]:
    if listener.metrics_port is None:
        return {}
    text = scrape(listener.metrics_port)
    return counter_by_label(text, "local_voice_early_decodes_total", "outcome", "used", "final")


async def wer_run(listener: Listener, items: list, *, realtime: bool) -> dict:
    """Errors over ``items``, the hypotheses, and (real-time pace) the latency after audio-stop."""
    context = {"vocabulary": VOCABULARY} if listener.vocabulary else None
    before = _early_counts(listener)
    pairs, latencies = [], []
    for item in items:
        audio = WavAudio.load(item.audio)
        result = await transcribe_wav(
            "127.0.0.1", listener.port, audio, realtime=realtime, context=context
        )
        pairs.append((item.text, result.transcript.text))
        latencies.append(result.latency)
    rate, errors, words = word_error_rate(pairs)
    out: dict = {"wer": rate, "errors": errors, "words": words, "hypotheses": [h for _, h in pairs]}
    if realtime:
        ordered = sorted(latencies)
        out["latency"] = {
            "median_s": statistics.median(ordered),
            "p90_s": ordered[round(0.9 * (len(ordered) - 1))],
            "max_s": ordered[-1],
            "all_s": latencies,
        }
        if before:
            after = _early_counts(listener)
            out["early_decodes"] = {k: int(after[k] - before[k]) for k in ("used", "final")}
    return out


async def wer_both_ways(listeners: dict[str, Listener], items: dict[str, list]) -> dict:
    """{"all_at_once"|"realtime": {server: {set[_vocabulary]: result}}}, one run each."""
    out: dict = {"all_at_once": {}, "realtime": {}, "load_average_at_start": {}}
    for mode in ("all_at_once", "realtime"):
        out["load_average_at_start"][mode] = os.getloadavg()
        print(f"  word errors, {mode} (load average {os.getloadavg()})", flush=True)
        for name, listener in listeners.items():
            suffix = "_vocabulary" if name.endswith("_vocabulary") else ""
            server = name.removesuffix("_vocabulary")
            for key, set_items in items.items():
                result = await wer_run(listener, set_items, realtime=mode == "realtime")
                out[mode].setdefault(server, {})[key + suffix] = result
                print(f"    {mode} {name} {key}: {result['errors']}/{result['words']}", flush=True)
    return out


def differing(wer: dict, wer_realtime: dict, server: str) -> dict[str, int]:
    """Per set: recordings whose transcript at real-time pace differs from the one sent at once."""
    return {
        key: sum(a != b for a, b in zip(at_once["hypotheses"], wer_realtime[server][key]["hypotheses"],
                                         strict=True))
        for key, at_once in wer[server].items()
        if key in wer_realtime[server]
    }  # fmt: skip


def wer_totals(wer: dict) -> dict:
    """Errors over every set both servers were measured on, without and with the names.

    One set of 47 or 65 words moves by a word either way; the totals are what
    "equal or better word error rate" is judged on.
    """
    plain = [k for k in wer["peer"] if not k.endswith("_vocabulary")]
    out = {}
    for name in ("ours", "peer"):
        for suffix in ("", "_vocabulary"):
            keys = [k + suffix for k in plain if k + suffix in wer[name]]
            errors = sum(wer[name][k]["errors"] for k in keys)
            words = sum(wer[name][k]["words"] for k in keys)
            out[f"{name}{suffix}"] = {"errors": errors, "words": words, "wer": errors / words,
                                      "sets": keys}  # fmt: skip
    return out
