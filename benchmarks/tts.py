"""Benchmark: local-voice-tts against wyoming-piper 2.5.2, same run, same voice.

Both servers run as real processes on loopback with the bundled
en_US-joe-medium voice (the peer with ``--data-dir`` pointed at it and
``--local-files-only``); the client speaks the real Wyoming protocol.
Repetitions alternate between the servers so machine noise hits both alike,
with a pause of ``PAUSE_S`` after every request: onnxruntime's threads keep
spinning for 20-50 ms after a run by default (wyoming-piper's do; ours stop),
and a request that follows the peer's at once ran 20-35 ms slower on the
cores they still held (measured in-process: 136 against 100 ms right after
a default session, 98 against 100 ms after a 50 ms pause). No house sends
two servers back-to-back requests on the same two cores.
Every uncached request uses text neither server has seen (our cache works
per sentence, so repeated sentences would flatter us).

Measured: time to the first audio chunk and to ``audio-stop`` for a
1-sentence and a 3-sentence answer (medians), a repeated answer (our cache),
p95 of both with 4 concurrent clients (1- and 3-sentence answers), and
peak resident memory (VmHWM). Writes benchmarks/results/tts.json and tts.png.

Usage: benchmarks/setup_peers.sh && python benchmarks/tts.py [--reps 15]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import statistics
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure
from wyoming.event import async_read_event, async_write_event
from wyoming.tts import Synthesize

from local_voice_harness.paths import REPO_ROOT
from local_voice_harness.ports import free_port
from local_voice_harness.processes import install_stop_handlers
from local_voice_harness.servers import WyomingProcess
from wyoming_servers.models import resolve_piper_voice

RESULTS = REPO_ROOT / "benchmarks" / "results"
PEER_PYTHON = REPO_ROOT / ".venv-peers" / "bin" / "python"
VOICE = "en_US-joe-medium"
THINGS = [
    "kitchen", "bedroom", "office", "porch", "garage", "hallway", "attic", "basement",
    "garden", "bathroom", "nursery", "pantry", "study", "lounge", "balcony", "cellar",
    "library", "workshop", "laundry", "closet", "landing", "patio", "shed", "den",
]  # fmt: skip
_serial = itertools.count(1)
PAUSE_S = 0.1  # after every request, so the previous server's spinning threads are asleep


def one_sentence() -> str:
    n = next(_serial)
    return f"Turned on the {THINGS[n % len(THINGS)]} light number {n}."


def three_sentences() -> str:
    n = next(_serial)
    thing = THINGS[n % len(THINGS)]
    return (
        f"The {thing} door number {n} is locked. "
        f"The {thing} is {n % 30 + 10} degrees right now. "
        f"Goodnight from room {n}."
    )


async def request(port: int, text: str) -> tuple[float, float]:
    """(seconds to first audio chunk, seconds to audio-stop) for one synthesize."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        started = time.perf_counter()
        await async_write_event(Synthesize(text=text).event(), writer)
        first = None
        while (event := await async_read_event(reader)) is not None:
            if event.type == "audio-chunk" and first is None:
                first = time.perf_counter() - started
            elif event.type == "audio-stop":
                assert first is not None, "no audio"
                return first, time.perf_counter() - started
            elif event.type == "error":
                raise RuntimeError(event.data)
        raise ConnectionError("closed before audio-stop")
    finally:
        writer.close()


def peak_rss_mb(pid: int) -> float:
    with Path(f"/proc/{pid}/status").open(encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def server_side(metrics_port: int) -> dict[str, float]:
    """Mean time inside our server from request to first chunk written (its own metric).

    The client-side numbers include the machine's scheduling latency for two
    processes; this one shows what the server itself spends.
    """
    url = f"http://127.0.0.1:{metrics_port}/metrics"
    with urllib.request.urlopen(url, timeout=10) as response:
        text = response.read().decode()
    values: dict[str, float] = {}
    for line in text.splitlines():
        for stage in ("first_audio", "first_audio_cached"):
            for part in ("sum", "count"):
                prefix = f'local_voice_latency_seconds_{part}{{server="tts",stage="{stage}"}} '
                if line.startswith(prefix):
                    values[f"{stage}_{part}"] = float(line[len(prefix) :])
    return {
        f"server_side_{stage}_mean_ms": ms(values[f"{stage}_sum"] / values[f"{stage}_count"])
        for stage in ("first_audio", "first_audio_cached")
        if values.get(f"{stage}_count")
    }


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def ms(value: float) -> float:
    return round(value * 1000, 1)


Samples = dict[str, dict[str, list[float]]]


async def sequential(servers: dict[str, WyomingProcess], reps: int, samples: Samples) -> None:
    names = list(servers)
    for rep in range(reps):
        order = names if rep % 2 == 0 else names[::-1]
        for kind, make in (("1_sentence", one_sentence), ("3_sentences", three_sentences)):
            text = make()
            for name in order:
                first, total = await request(servers[name].port, text)
                await asyncio.sleep(PAUSE_S)
                samples[name].setdefault(f"{kind}_first_audio", []).append(first)
                samples[name].setdefault(f"{kind}_total", []).append(total)
        for name in order:
            first, total = await request(servers[name].port, "Turned on the kitchen light.")
            await asyncio.sleep(PAUSE_S)
            if rep > 0:  # rep 0 fills our cache
                samples[name].setdefault("cached_first_audio", []).append(first)
                samples[name].setdefault("cached_total", []).append(total)
        print(f"rep {rep + 1}/{reps} done", flush=True)


async def concurrent(servers: dict[str, WyomingProcess], rounds: int, samples: Samples) -> None:
    names = list(servers)
    for rnd in range(rounds):
        order = names if rnd % 2 == 0 else names[::-1]
        for kind, make in (("1_sentence", one_sentence), ("3_sentences", three_sentences)):
            texts = [make() for _ in range(4)]
            for name in order:
                port = servers[name].port
                results = await asyncio.gather(*(request(port, t) for t in texts))
                await asyncio.sleep(PAUSE_S)
                for first, total in results:
                    samples[name].setdefault(f"concurrent4_{kind}_first_audio", []).append(first)
                    samples[name].setdefault(f"concurrent4_{kind}_total", []).append(total)
        print(f"concurrent round {rnd + 1}/{rounds} done", flush=True)


def summarise(values_by_key: dict[str, list[float]]) -> dict[str, Any]:
    stats: dict[str, Any] = {}
    for key, values in values_by_key.items():
        if key.startswith("concurrent4"):
            stats[f"{key}_p95_ms"] = ms(p95(values))
        stats[f"{key}_median_ms"] = ms(statistics.median(values))
        stats[f"{key}_n"] = len(values)
    return stats


async def measure(servers: dict[str, WyomingProcess], reps: int, rounds: int) -> dict[str, Any]:
    samples: Samples = {name: {} for name in servers}
    for server in servers.values():  # warm-up: the peer loads its voice on the first request
        for _ in range(2):
            await request(server.port, one_sentence())
    await sequential(servers, reps, samples)
    await concurrent(servers, rounds, samples)
    return {
        name: {**summarise(samples[name]), "peak_rss_mb": round(peak_rss_mb(server.pid), 1)}
        for name, server in servers.items()
    }


def chart(report: dict[str, Any], path: Path) -> None:
    keys = [
        ("1_sentence_first_audio_median_ms", "1 sent.\nfirst audio"),
        ("1_sentence_total_median_ms", "1 sent.\ntotal"),
        ("3_sentences_first_audio_median_ms", "3 sent.\nfirst audio"),
        ("3_sentences_total_median_ms", "3 sent.\ntotal"),
        ("cached_first_audio_median_ms", "repeated\nfirst audio"),
        ("concurrent4_3_sentences_first_audio_p95_ms", "4 clients p95\nfirst audio"),
        ("concurrent4_3_sentences_total_p95_ms", "4 clients p95\ntotal"),
    ]
    names = list(report)
    fig = Figure(figsize=(13, 4.5))
    ax, mem = fig.subplots(1, 2, gridspec_kw={"width_ratios": [5, 1]})
    width = 0.8 / len(names)
    for i, name in enumerate(names):
        xs = [k + i * width for k in range(len(keys))]
        values = [report[name][key] for key, _ in keys]
        bars = ax.bar(xs, values, width, label=name)
        ax.bar_label(bars, fmt="%.0f", fontsize=7)
        mem.bar([i], [report[name]["peak_rss_mb"]], 0.6, label=name)
    ax.set_xticks([k + width * (len(names) - 1) / 2 for k in range(len(keys))])
    ax.set_xticklabels([label for _, label in keys], fontsize=8)
    ax.set_ylabel("ms (lower is better)")
    ax.set_title("Wyoming TTS, en_US-joe-medium, same machine, same run")
    ax.legend()
    mem.set_xticks(range(len(names)))
    mem.set_xticklabels(names, fontsize=7, rotation=15)
    mem.set_title("peak RSS (MB)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=40)
    parser.add_argument(
        "--rounds", type=int, default=30, help="4-client rounds per kind (30: 120 samples per p95)"
    )
    args = parser.parse_args()
    if not PEER_PYTHON.exists():
        sys.exit("run benchmarks/setup_peers.sh first (installs wyoming-piper 2.5.2)")
    voice = resolve_piper_voice(VOICE)
    metrics_port = free_port()
    ours = WyomingProcess.tts("--voice", VOICE, "--metrics-port", str(metrics_port))
    peer = WyomingProcess(
        [
            str(PEER_PYTHON), "-m", "wyoming_piper", "--voice", VOICE,
            "--data-dir", str(voice.model.parent), "--local-files-only",
        ]
    )  # fmt: skip
    servers = {"local-voice-tts": ours, "wyoming-piper 2.5.2": peer}
    load_before = os.getloadavg()
    with ours, peer:
        print(f"servers up: ours pid {ours.pid}, peer pid {peer.pid}", flush=True)
        report = asyncio.run(measure(servers, args.reps, args.rounds))
        report["local-voice-tts"].update(server_side(metrics_port))
    result = {
        "benchmark": "tts",
        "voice": VOICE,
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            # Other work on the machine slows both servers alike (requests alternate).
            "load_average_1m_before_after": [
                round(load_before[0], 2),
                round(os.getloadavg()[0], 2),
            ],
        },
        "reps": args.reps,
        "concurrent_rounds": args.rounds,
        "results": report,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "tts.json").write_text(json.dumps(result, indent=2) + "\n")
    chart(report, RESULTS / "tts.png")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    install_stop_handlers()
    main()
