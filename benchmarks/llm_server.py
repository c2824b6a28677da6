"""LLM benchmark: the bundled models under ``local-voice-llm`` on the machine it runs on.

For each model, ``local-voice-llm`` runs as its own process (as deployed) and
gets, over HTTP, at temperature 0:

- ``cold``: HA's Assist prompt for the demo home with four intent tools and
  "turn on the kitchen light" (nothing cached);
- ``cache_hit``: the same system prompt and tools, another command;
- ``time_changed``: the same, but the time line HA writes into the system
  prompt moved on by a minute (Qwen's template puts the tools after the
  system text, so they are evaluated again);
- ``generation``: a plain request for about 128 tokens of text.

Prompt and generation rates come from llama.cpp's own ``timings``; wall time
is measured by the benchmark. Load time is the server's own "loaded ... in" figure, RSS
and peak RSS are read from ``/proc`` after the requests. Each run starts a
fresh server (so ``cold`` is cold); the JSON has every run, each with the
load average around it (the server's own threads included), and the median
of each figure. ``--busy N`` keeps N other processes spinning on the cores
throughout, as speech servers do on a shared host.

    python benchmarks/llm_server.py [--models NAME ...] [--threads N] [--threads-batch N]
        [--runs N] [--busy N] [--out FILE]

Writes benchmarks/results/llm_server.json (or --out).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from local_voice_harness import ha_prompt  # noqa: E402
from local_voice_harness.ports import free_port  # noqa: E402
from local_voice_harness.processes import install_stop_handlers, spawn, stop_process  # noqa: E402
from wyoming_servers.llm import bundled  # noqa: E402

RESULTS = REPO / "benchmarks" / "results"
NOW = dt.datetime(2026, 12, 6, 18, 30, 0)  # noqa: DTZ001 - HA renders local time


def _post(url: str, body: dict[str, Any]) -> tuple[dict[str, Any], float]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    started = time.monotonic()
    with urllib.request.urlopen(request, timeout=600) as response:
        answer = json.loads(response.read())
    return answer, time.monotonic() - started


def _requests(model: str) -> dict[str, dict[str, Any]]:
    def ha(text: str, now: dt.datetime) -> dict[str, Any]:
        return {
            "model": model,
            "messages": ha_prompt.messages(text, now),
            "tools": ha_prompt.TOOLS,
            "temperature": 0,
            "max_tokens": 64,
        }

    return {
        "cold": ha("turn on the kitchen light", NOW),
        "cache_hit": ha("turn off the office fan", NOW),
        "time_changed": ha("turn on the desk lamp", NOW + dt.timedelta(minutes=1)),
        "generation": {
            "model": model,
            "messages": [
                {"role": "user", "content": "Describe a cosy living room in six sentences."}
            ],
            "temperature": 0,
            "max_tokens": 128,
        },
    }


def _proc_kib(pid: int, field: str) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    found = re.search(rf"^{field}:\s+(\d+) kB", status, re.MULTILINE)
    return int(found.group(1)) if found else 0


def measure(model: str, threads: int, threads_batch: int) -> dict[str, Any]:
    """Start the server, send the four requests, read its memory; stop it."""
    port = free_port()
    log = Path(tempfile.mkstemp(prefix="llm-bench-", suffix=".log")[1])
    argv = [sys.executable, "-m", "wyoming_servers.llm", "--model", model, "--port", str(port)]
    with log.open("wb") as out:
        threading = ["--threads", str(threads), "--threads-batch", str(threads_batch)]
        proc = spawn([*argv, *threading], stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 300
        while "listening on" not in log.read_text(errors="replace"):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"local-voice-llm did not start:\n{log.read_text()}")
            time.sleep(0.2)
        loaded = re.search(r"loaded \S+ in ([\d.]+) s", log.read_text())
        result: dict[str, Any] = {
            "load_average_1m_at_start": round(os.getloadavg()[0], 2),
            "load_seconds": float(loaded.group(1)) if loaded else None,
        }
        url = f"http://127.0.0.1:{port}/v1/chat/completions"
        for name, body in _requests(model).items():
            answer, wall = _post(url, body)
            timings, message = answer["timings"], answer["choices"][0]["message"]
            call = ha_prompt.find_tool_call(message.get("content"), message.get("tool_calls"))
            result[name] = {
                "wall_seconds": round(wall, 2),
                "prompt_tokens": answer["usage"]["prompt_tokens"],
                "cached_tokens": timings["cache_n"],
                "evaluated_tokens": timings["prompt_n"],
                "prompt_tokens_per_second": round(timings["prompt_per_second"], 1),
                "generated_tokens": timings["predicted_n"],
                "generation_tokens_per_second": round(timings["predicted_per_second"], 1),
                "tool_call": call,
            }
            print(f"{model} {name}: {json.dumps(result[name])}", flush=True)
        result["rss_mb"] = round(_proc_kib(proc.pid, "VmRSS") / 1024)
        result["peak_rss_mb"] = round(_proc_kib(proc.pid, "VmHWM") / 1024)
        result["load_average_1m_at_end"] = round(os.getloadavg()[0], 2)
        return result
    finally:
        stop_process(proc)
        log.unlink(missing_ok=True)


def medians(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The median of every number over the runs (the machine is shared; runs vary)."""
    out: dict[str, Any] = {}
    for key, value in runs[0].items():
        if isinstance(value, dict):
            out[key] = medians([run[key] for run in runs])
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            out[key] = statistics.median(run[key] for run in runs)
    return out


def main() -> None:
    """Measure the requested models and write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    installed = [
        m.name for m in bundled.MODELS.values() if bundled.find_chunk(*_first(m)) is not None
    ]
    parser.add_argument("--models", nargs="+", default=installed, choices=list(bundled.MODELS))
    parser.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--threads-batch", type=int, help="prompt threads (default: --threads)")
    parser.add_argument("--runs", type=int, default=3, help="fresh servers per model")
    parser.add_argument(
        "--busy", type=int, default=0, help="processes spinning on a core throughout (a busy host)"
    )
    parser.add_argument("--out", type=Path, default=RESULTS / "llm_server.json")
    args = parser.parse_args()
    install_stop_handlers()
    for model in args.models:  # assemble first, so no run includes it
        bundled.prepare(bundled.MODELS[model])
    load_before = os.getloadavg()
    threads_batch = args.threads_batch or args.threads
    spin = [sys.executable, "-c", "while True: pass"]
    busy = [spawn(spin) for _ in range(args.busy)]
    try:
        results = {}
        for model in args.models:
            runs = [measure(model, args.threads, threads_batch) for _ in range(args.runs)]
            results[model] = {"median": medians(runs), "runs": runs}
    finally:
        for proc in busy:
            stop_process(proc)
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    cpu = re.search(r"model name\s*:\s*(.*)", Path("/proc/cpuinfo").read_text())
    report = {
        "benchmark": "llm",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "commit": commit,
        "machine": {
            "cpu": cpu.group(1) if cpu else platform.processor(),
            "cores": len(os.sched_getaffinity(0)),
            "threads": args.threads,
            "threads_batch": threads_batch,
            "busy_processes": args.busy,
            "python": platform.python_version(),
            "load_average_1m_before_after": [
                round(load_before[0], 2),
                round(os.getloadavg()[0], 2),
            ],
        },
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


def _first(model: bundled.BundledModel) -> tuple[str, str]:
    return model.chunks[0].module, model.chunks[0].file


if __name__ == "__main__":
    main()
