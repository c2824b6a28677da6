"""Speech-to-text benchmark: local-voice-asr against wyoming-faster-whisper 3.8.1.

Same machine, same run, same bundled tiny.en model (int8, CPU) and the same
audio. Runs alternate between the two servers so both see the same load.
Reports (median of >= 5 runs): latency from audio-stop to transcript for a
~3 s command sent at real-time pace and all at once, real-time factor,
p95 latency with 4 concurrent clients, word errors on the dev sets and our
three 84-command sets (`--own-set`, `--heldout-set`, `--fresh-set`; generated
when missing) without and with the home's names, each recording sent all at
once and streamed at real-time pace (``asr_wer.py``), the totals over all of
them, and peak RSS of each server process.

Usage: benchmarks/setup_peers.sh && .venv/bin/python benchmarks/asr.py [--runs 7]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import matplotlib as mpl

mpl.use("Agg")
import matplotlib.pyplot as plt

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from asr_wer import (  # noqa: E402 - a script beside this one
    VOCABULARY,
    Listener,
    differing,
    make_missing_sets,
    spoken_items,
    wer_both_ways,
    wer_run,
    wer_totals,
)

from local_voice_harness import paths  # noqa: E402
from local_voice_harness.commands import load_commands  # noqa: E402
from local_voice_harness.peer_servers import peer_asr  # noqa: E402
from local_voice_harness.ports import free_port  # noqa: E402
from local_voice_harness.processes import install_stop_handlers  # noqa: E402
from local_voice_harness.servers import (  # noqa: E402
    TranscribeResult,
    WavAudio,
    WyomingProcess,
    transcribe_wav,
)
from wyoming_servers.asr.scoring import word_error_rate  # noqa: E402
from wyoming_servers.models import resolve_whisper_model  # noqa: E402

RESULTS = REPO / "benchmarks" / "results"
OWN_SET = Path("/tmp/lv-accuracy-set")
HELDOUT_SET = Path("/tmp/lv-accuracy-heldout")
FRESH_SET = Path("/tmp/lv-accuracy-fresh")
COMMAND = "cmd05.wav"  # "what is the living room temperature", 3.15 s


SERIES = ((-0.27, "ours"), (0.0, "ours_greedy"), (0.27, "peer"))
LABELS = {
    "ours": "local-voice-asr (beam 5)",
    "ours_greedy": "local-voice-asr --beam-size 1",
    "peer": "wyoming-faster-whisper 3.8.1 (beam 5)",
}


def peak_rss(pid: int) -> int:
    with Path(f"/proc/{pid}/status").open(encoding="ascii") as file:
        for line in file:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


async def one(
    port: int, audio: WavAudio, *, realtime: bool, context: dict | None = None
) -> TranscribeResult:
    return await transcribe_wav("127.0.0.1", port, audio, realtime=realtime, context=context)


async def latency_runs(
    ports: dict[str, int], audio: WavAudio, runs: int, realtime: bool
) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {name: [] for name in ports}
    for i in range(runs + 1):  # the first round warms both up and is dropped
        for name, port in ports.items():
            result = await one(port, audio, realtime=realtime)
            if i:
                out[name].append(result.latency)
        print(
            f"  {'realtime' if realtime else 'at once'} round {i}: "
            + ", ".join(f"{n} {v[-1]:.3f}s" for n, v in out.items() if v and i),
            flush=True,
        )
    return out


async def concurrent_runs(
    ports: dict[str, int], commands: list, rounds: int, realtime: bool
) -> tuple[dict[str, list[float]], dict[str, list[tuple[str, str]]]]:
    """Latencies, and (reference, transcript) pairs: decodes under load may be cheaper."""
    audios = [WavAudio.load(c.audio) for c in commands]
    out: dict[str, list[float]] = {name: [] for name in ports}
    pairs: dict[str, list[tuple[str, str]]] = {name: [] for name in ports}
    for i in range(rounds):
        for name, port in ports.items():
            results = await asyncio.gather(*(one(port, a, realtime=realtime) for a in audios))
            out[name].extend(r.latency for r in results)
            pairs[name] += [
                (c.text, r.transcript.text) for c, r in zip(commands, results, strict=True)
            ]
        print(
            f"  4 clients {'realtime' if realtime else 'at once'} round {i}: "
            + ", ".join(f"{n} max {max(v[-4:]):.3f}s" for n, v in out.items()),
            flush=True,
        )
    return out, pairs


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def summary(values: list[float]) -> dict:
    return {
        "median_s": statistics.median(values),
        "p95_s": p95(values),
        "runs": len(values),
        "all_s": values,
    }


async def measure(ports: dict[str, int], args: argparse.Namespace) -> dict:
    command = WavAudio.load(paths.dev_commands_dir() / COMMAND)
    commands = load_commands(paths.dev_commands_dir())
    four = commands[:4]
    result: dict = {"command": COMMAND, "command_seconds": command.seconds}
    for realtime in (True, False):
        key = "realtime" if realtime else "all_at_once"
        lat = await latency_runs(ports, command, args.runs, realtime)
        result[f"latency_{key}"] = {n: summary(v) for n, v in lat.items()}
        conc, heard = await concurrent_runs(ports, four, args.rounds, realtime)
        result[f"concurrent4_{key}"] = {
            n: {**summary(v), "word_errors": word_error_rate(heard[n])[1:]} for n, v in conc.items()
        }
    for name in ports:
        at_once = result["latency_all_at_once"][name]["median_s"]
        result.setdefault("rtf_all_at_once", {})[name] = at_once / command.seconds
    return result


async def measure_wer(listeners: dict[str, Listener], greedy_port: int, sets: dict) -> dict:
    """Word errors both ways on every set (``asr_wer``), and greedy on the dev sets at once."""
    items = spoken_items(sets)
    both = await wer_both_ways(listeners, items)
    greedy, greedy_names = Listener(greedy_port), Listener(greedy_port, vocabulary=True)
    both["all_at_once"]["ours_greedy"] = {
        key + suffix: await wer_run(listener, items[key], realtime=False)
        for key in ("commands", "real")
        for suffix, listener in (("", greedy), ("_vocabulary", greedy_names))
    }
    return both


def chart(result: dict, path: Path) -> None:
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 4))
    groups = [
        ("real-time pace", "latency_realtime", "median_s"),
        ("all at once", "latency_all_at_once", "median_s"),
        ("4 clients p95\n(real-time)", "concurrent4_realtime", "p95_s"),
        ("4 clients p95\n(all at once)", "concurrent4_all_at_once", "p95_s"),
    ]
    xs = range(len(groups))
    for offset, name in ((-0.2, "ours"), (0.2, "peer")):
        ax1.bar(
            [x + offset for x in xs],
            [result[k][name][m] for _, k, m in groups],
            0.4,
            label="local-voice-asr" if name == "ours" else "wyoming-faster-whisper 3.8.1",
        )
    ax1.set_xticks(list(xs), [g for g, _, _ in groups])
    ax1.set_ylabel("seconds from audio-stop to transcript")
    ax1.set_title(f"Latency, {result['command_seconds']:.1f} s command, tiny.en int8")
    ax1.legend()
    wer = result["wer"]
    totals = result["wer_totals"]
    realtime = result["wer_totals_realtime"]
    labels = ["dev\ncommands", "+names", "dev real\nspeech", "+names", "all sets\nat once",
              "+names", "all sets\nreal-time", "+names"]  # fmt: skip
    for offset, name in ((-0.2, "ours"), (0.2, "peer")):
        values = [wer[name][k]["wer"] for k in ("commands", "commands_vocabulary")]
        values += [wer[name][k]["wer"] for k in ("real", "real_vocabulary")]
        values += [totals[name]["wer"], totals[f"{name}_vocabulary"]["wer"]]
        values += [realtime[name]["wer"], realtime[f"{name}_vocabulary"]["wer"]]
        ax2.bar([x + offset for x in range(len(labels))], [100 * v for v in values], 0.4)
    ax2.set_xticks(range(len(labels)), labels, fontsize=8)
    ax2.set_ylabel("WER %")
    words = totals["ours"]["words"]
    ax2.set_title(f"Word error rate (all sets: {words} words)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=5)
    for flag, default in (("--own-set", OWN_SET), ("--heldout-set", HELDOUT_SET),
                          ("--fresh-set", FRESH_SET)):  # fmt: skip
        parser.add_argument(
            flag,
            type=Path,
            default=default,
            help=f"84-command set directory (default {default}; generated when missing with"
            " python -m local_voice_harness.command_set and benchmarks/accuracy.py's seeds)",
        )
    args = parser.parse_args()
    sets = {"own_set": args.own_set, "heldout_set": args.heldout_set, "fresh_set": args.fresh_set}
    make_missing_sets(sets)
    model_dir = resolve_whisper_model("tiny.en").path
    peer = peer_asr(model_dir)
    peer_names = peer_asr(model_dir)  # the peer's own biasing: --initial-prompt with the names
    peer_names.argv += ["--initial-prompt", ", ".join(VOCABULARY) + "."]
    load_at_start = os.getloadavg()
    print(f"starting the servers (load average {load_at_start})", flush=True)
    log = Path(tempfile.gettempdir()) / "lv-bench-asr.log"
    print(f"our server logs to {log}; the peer's to {peer.log_file}", flush=True)
    metrics_port = free_port()
    ours_server = WyomingProcess.asr(
        "--max-clients", "8", "--metrics-port", str(metrics_port), log_path=log
    )
    greedy = WyomingProcess.asr("--max-clients", "8", "--beam-size", "1")
    with ours_server as ours, greedy:
        peer.start()
        peer_names.start()
        try:
            started = time.perf_counter()
            ports = {"ours": ours.port, "ours_greedy": greedy.port, "peer": peer.port}
            result = asyncio.run(measure(ports, args))
            listeners = {
                "ours": Listener(ours.port, metrics_port=metrics_port),
                "ours_vocabulary": Listener(ours.port, vocabulary=True, metrics_port=metrics_port),
                "peer": Listener(peer.port),
                "peer_vocabulary": Listener(peer_names.port),
            }
            both = asyncio.run(measure_wer(listeners, greedy.port, sets))
            result["peak_rss_bytes"] = {
                "ours": peak_rss(ours.pid),
                "ours_greedy": peak_rss(greedy.pid),
                "peer": peak_rss(peer.pid),
            }
        finally:
            peer.stop()
            peer_names.stop()
    result["wer"] = both["all_at_once"]
    result["wer_realtime"] = both["realtime"]
    result["wer_totals"] = wer_totals(result["wer"])
    result["wer_totals_realtime"] = wer_totals(result["wer_realtime"])
    result["wer_realtime_differs"] = {
        name: differing(result["wer"], result["wer_realtime"], name) for name in ("ours", "peer")
    }
    result["setup"] = {
        "model": "tiny.en (bundled, int8, cpu; ours 1 thread per decode by default, the peer 4)",
        "ours": "local-voice-asr (defaults: beam 5, 15 s encoder window, early decode at pauses;"
        " a decode that starts while another is in flight: beam 1, 10 s window)",
        "ours_greedy": "local-voice-asr --beam-size 1",
        "peer": "wyoming-faster-whisper==3.8.1 --beam-size 5 --local-files-only"
        " (+ names: a second one with --initial-prompt)",
        "wer": "each set once per server and way, one client at a time; real-time pace:"
        " 20 ms chunks as spoken",
        "cpus": os.cpu_count(),
        "seconds": time.perf_counter() - started,
        "load_average_at_start": load_at_start,
        "load_average_at_wer_start": both["load_average_at_start"],
        "load_average_at_end": os.getloadavg(),
        "note": "shared machine: a load average above the CPU count means other work competed",
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "asr.json").write_text(json.dumps(result, indent=2) + "\n")
    chart(result, RESULTS / "asr.png")
    report(result)


def report(result: dict) -> None:
    """Print the measured numbers."""
    for key in ("latency_realtime", "latency_all_at_once"):
        print(key, {n: round(v["median_s"], 3) for n, v in result[key].items()})
    for key in ("concurrent4_realtime", "concurrent4_all_at_once"):
        print(key, "p95", {n: round(v["p95_s"], 3) for n, v in result[key].items()})
        print(key, "word errors", {n: v["word_errors"] for n, v in result[key].items()})
    print("rtf", {n: round(v, 3) for n, v in result["rtf_all_at_once"].items()})
    for way in ("wer", "wer_realtime"):
        for name, sets in result[way].items():
            print(way, name, {k: f"{v['errors']}/{v['words']}" for k, v in sets.items()})
    for key, sets in result["wer_realtime"]["ours"].items():
        latency, early = sets["latency"], sets.get("early_decodes")
        print(f"ours real-time {key}: audio-stop -> transcript median"
              f" {1000 * latency['median_s']:.0f} ms, p90 {1000 * latency['p90_s']:.0f} ms;"
              f" early decode answered {early}")  # fmt: skip
    for way in ("wer_totals", "wer_totals_realtime"):
        for name, total in result[way].items():
            print(way, name, f"{total['errors']}/{total['words']}")
    print("real-time transcript differs from all at once", result["wer_realtime_differs"])
    print("peak rss MB", {n: round(v / 1e6) for n, v in result["peak_rss_bytes"].items()})


if __name__ == "__main__":
    install_stop_handlers()
    main()
