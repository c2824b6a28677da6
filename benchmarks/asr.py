"""Speech-to-text benchmark: local-voice-asr against wyoming-faster-whisper 3.8.1.

Same machine, same run, same bundled tiny.en model (int8, CPU) and the same
audio. Runs alternate between the two servers so both see the same load.
Reports (median of >= 5 runs): latency from audio-stop to transcript for a
~3 s command sent at real-time pace and all at once, real-time factor,
p95 latency with 4 concurrent clients, WER on the dev sets (and on our three
84-command sets when generated: `--own-set`, `--heldout-set`, `--fresh-set`)
with and without vocabulary, the totals over all of them, and peak RSS of each
server process.

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

from local_voice_harness import paths  # noqa: E402
from local_voice_harness.commands import load_commands, load_transcripts  # noqa: E402
from local_voice_harness.peer_servers import peer_asr  # noqa: E402
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


async def wer_runs(port: int, items: list, context: dict | None) -> dict:
    pairs = []
    for item in items:
        result = await one(port, WavAudio.load(item.audio), realtime=False, context=context)
        pairs.append((item.text, result.transcript.text))
    rate, errors, words = word_error_rate(pairs)
    return {"wer": rate, "errors": errors, "words": words, "hypotheses": [h for _, h in pairs]}


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
    real = load_transcripts(paths.dev_real_speech_dir())
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
    vocab = {"vocabulary": VOCABULARY}
    result["wer"] = {}
    for name in ("ours", "ours_greedy"):
        result["wer"][name] = {
            "commands": await wer_runs(ports[name], commands, None),
            "commands_vocabulary": await wer_runs(ports[name], commands, vocab),
            "real": await wer_runs(ports[name], real, None),
            "real_vocabulary": await wer_runs(ports[name], real, vocab),
        }
    result["wer"]["peer"] = {
        "commands": await wer_runs(ports["peer"], commands, None),
        "real": await wer_runs(ports["peer"], real, None),
    }
    # 84 commands each, other voices and noise: ~500 words a set, where the dev sets have 112
    for key, directory in spoken_sets(args).items():
        items = load_commands(directory)
        print(f"  word errors on {key} ({directory})", flush=True)
        result["wer"]["ours"][key] = await wer_runs(ports["ours"], items, None)
        result["wer"]["ours"][f"{key}_vocabulary"] = await wer_runs(ports["ours"], items, vocab)
        result["wer"]["peer"][key] = await wer_runs(ports["peer"], items, None)
    return result


def spoken_sets(args: argparse.Namespace) -> dict[str, Path]:
    """The generated command sets that exist, by result key."""
    named = {"own_set": args.own_set, "heldout_set": args.heldout_set, "fresh_set": args.fresh_set}
    return {k: v for k, v in named.items() if v is not None and (v / "commands.jsonl").exists()}


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


async def peer_prompt_wer(model_dir: Path, sets: dict[str, Path]) -> dict:
    """The peer's own biasing (--initial-prompt with the same names), for fairness."""
    server = peer_asr(model_dir)
    server.argv += ["--initial-prompt", ", ".join(VOCABULARY) + "."]
    await asyncio.to_thread(server.start)
    try:
        commands = load_commands(paths.dev_commands_dir())
        real = load_transcripts(paths.dev_real_speech_dir())
        result = {
            "commands_vocabulary": await wer_runs(server.port, commands, None),
            "real_vocabulary": await wer_runs(server.port, real, None),
        }
        for key, directory in sets.items():
            items = load_commands(directory)
            result[f"{key}_vocabulary"] = await wer_runs(server.port, items, None)
        return result
    finally:
        server.stop()


def chart(result: dict, path: Path) -> None:
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
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
    labels = ["dev\ncommands", "+names", "dev real\nspeech", "+names", "all sets", "+names"]
    for offset, name in ((-0.2, "ours"), (0.2, "peer")):
        values = [wer[name][k]["wer"] for k in ("commands", "commands_vocabulary")]
        values += [wer[name][k]["wer"] for k in ("real", "real_vocabulary")]
        values += [totals[name]["wer"], totals[f"{name}_vocabulary"]["wer"]]
        ax2.bar([x + offset for x in range(len(labels))], [100 * v for v in values], 0.4)
    ax2.set_xticks(range(len(labels)), labels)
    ax2.set_ylabel("WER %")
    words = totals["ours"]["words"]
    ax2.set_title(f"Word error rate (all sets: {words} words)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--own-set",
        type=Path,
        default=OWN_SET if (OWN_SET / "commands.jsonl").exists() else None,
        help="also measure WER on this commands.jsonl set (default: our 84-command set in"
        f" {OWN_SET} when generated: python -m local_voice_harness.command_set --out DIR)",
    )
    parser.add_argument(
        "--heldout-set",
        type=Path,
        default=HELDOUT_SET,
        help=f"and on this one (default {HELDOUT_SET}, made by benchmarks/accuracy.py)",
    )
    parser.add_argument(
        "--fresh-set",
        type=Path,
        default=FRESH_SET,
        help=f"and on this one (default {FRESH_SET}, made by benchmarks/accuracy.py)",
    )
    args = parser.parse_args()
    model_dir = resolve_whisper_model("tiny.en").path
    peer = peer_asr(model_dir)
    load_at_start = os.getloadavg()
    print(f"starting the servers (load average {load_at_start})", flush=True)
    log = Path(tempfile.gettempdir()) / "lv-bench-asr.log"
    print(f"our server logs to {log}; the peer's to {peer.log_file}", flush=True)
    greedy = WyomingProcess.asr("--max-clients", "8", "--beam-size", "1")
    with WyomingProcess.asr("--max-clients", "8", log_path=log) as ours, greedy:
        peer.start()
        try:
            started = time.perf_counter()
            ports = {"ours": ours.port, "ours_greedy": greedy.port, "peer": peer.port}
            result = asyncio.run(measure(ports, args))
            result["peak_rss_bytes"] = {
                "ours": peak_rss(ours.pid),
                "ours_greedy": peak_rss(greedy.pid),
                "peer": peak_rss(peer.pid),
            }
        finally:
            peer.stop()
    result["wer"]["peer"].update(asyncio.run(peer_prompt_wer(model_dir, spoken_sets(args))))
    result["wer_totals"] = wer_totals(result["wer"])
    result["setup"] = {
        "model": "tiny.en (bundled, int8, cpu; ours 1 thread per decode by default, the peer 4)",
        "ours": "local-voice-asr (defaults: beam 5, 15 s encoder window, early decode at pauses;"
        " a decode that starts while another is in flight: beam 1, 10 s window)",
        "ours_greedy": "local-voice-asr --beam-size 1",
        "peer": "wyoming-faster-whisper==3.8.1 --beam-size 5 --local-files-only",
        "cpus": os.cpu_count(),
        "seconds": time.perf_counter() - started,
        "load_average_at_start": load_at_start,
        "load_average_at_end": os.getloadavg(),
        "note": "shared machine: a load average above the CPU count means other work competed",
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "asr.json").write_text(json.dumps(result, indent=2) + "\n")
    chart(result, RESULTS / "asr.png")
    for key in ("latency_realtime", "latency_all_at_once"):
        print(key, {n: round(v["median_s"], 3) for n, v in result[key].items()})
    for key in ("concurrent4_realtime", "concurrent4_all_at_once"):
        print(key, "p95", {n: round(v["p95_s"], 3) for n, v in result[key].items()})
        print(key, "word errors", {n: v["word_errors"] for n, v in result[key].items()})
    print("rtf", {n: round(v, 3) for n, v in result["rtf_all_at_once"].items()})
    for name, sets in result["wer"].items():
        print("wer", name, {k: f"{v['errors']}/{v['words']}" for k, v in sets.items()})
    for name, total in result["wer_totals"].items():
        print("wer total", name, f"{total['errors']}/{total['words']}")
    print("peak rss MB", {n: round(v / 1e6) for n, v in result["peak_rss_bytes"].items()})


if __name__ == "__main__":
    install_stop_handlers()
    main()
