"""End-to-end benchmark: success rate and latency of the whole loop on the dev commands.

Every configuration is a full harness session (``local_voice_harness.run``):
mosquitto, the Wyoming servers, a headless real HA with the demo home, the
real Pi satellite over MQTT hearing "okay nabu" + each command in real time.
Configurations (same run, same machine): our servers with tiny.en with and
without vocabulary biasing, with base, the peer servers (wyoming-faster-whisper
3.8.1 + wyoming-piper 2.5.2) in place of ours, and 2 / 4 satellites at once.

Per command and stage: end of the session (the satellite's VAD) -> transcript
-> intent -> first answer audio at the satellite, plus the user's view from
the last speech sound in the WAV. Median and p95 per configuration.

Usage: benchmarks/setup_peers.sh && .venv/bin/python benchmarks/e2e.py [--only NAME ...]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import sys
import time
from pathlib import Path
from typing import Any

import matplotlib as mpl

mpl.use("Agg")
import matplotlib.pyplot as plt

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from local_voice_harness import paths, report  # noqa: E402
from local_voice_harness.commands import load_commands  # noqa: E402
from local_voice_harness.processes import install_stop_handlers  # noqa: E402
from local_voice_harness.run import run_commands  # noqa: E402
from local_voice_harness.stack import StackOptions  # noqa: E402

RESULTS = REPO / "benchmarks" / "results"

# name -> (StackOptions kwargs, satellites)
CONFIGS: dict[str, tuple[dict[str, Any], int]] = {
    "ours-tiny.en": ({"model": "tiny.en"}, 1),
    "peers-tiny.en": ({"model": "tiny.en", "servers": "peers"}, 1),
    "ours-tiny.en-no-vocabulary": ({"model": "tiny.en", "vocabulary": False}, 1),
    "ours-tiny.en-2-satellites": ({"model": "tiny.en"}, 2),
    "ours-tiny.en-4-satellites": ({"model": "tiny.en"}, 4),
    "ours-base": ({"model": "base"}, 1),
}


def _progress(message: str) -> None:
    sys.stderr.write(f"[{time.strftime('%H:%M:%S')}] {message}\n")


def run_config(name: str, kwargs: dict[str, Any], satellites: int) -> dict[str, Any]:
    """One full session; the per-command outcomes and the summary."""
    commands = load_commands(paths.dev_commands_dir())
    options = StackOptions(agent="local_voice", progress=_progress, **kwargs)
    began = time.monotonic()
    result = asyncio.run(run_commands(commands, options, satellites=satellites))
    outcomes = result.outcomes
    summary = {
        "succeeded": sum(o.success for o in outcomes),
        "total": len(outcomes),
        "latency_ms": report.latency_summary(outcomes),
        "startup_s": round(result.info.startup_s, 1) if result.info else None,
        "wall_s": round(time.monotonic() - began, 1),
        "failed": [f"{o.audio}: {'; '.join(o.failures)}" for o in outcomes if not o.success],
    }
    print(f"{name}: {summary['succeeded']}/{summary['total']} succeeded", flush=True)
    for key, stats in summary["latency_ms"].items():
        print(f"  {key}: median {stats['median']} ms, p95 {stats['p95']} ms", flush=True)
    return {
        "name": name,
        "options": kwargs,
        "satellites": satellites,
        "agent": result.info.agent_note if result.info else "",
        "summary": summary,
        "commands": [o.to_json() for o in outcomes],
    }


def chart(results: list[dict[str, Any]], path: Path) -> None:
    """Median per stage per configuration, and the success rate in the labels."""
    keys = [k for k, _ in report.STAGES + report.USER_STAGES]
    labels = [label for _, label in report.STAGES + report.USER_STAGES]
    fig, ax = plt.subplots(figsize=(11, 5))
    width = 0.8 / max(1, len(results))
    for i, res in enumerate(results):
        lat = res["summary"]["latency_ms"]
        values = [lat.get(k, {}).get("median", 0) for k in keys]
        ok = f"{res['summary']['succeeded']}/{res['summary']['total']}"
        ax.bar(
            [x + i * width for x in range(len(keys))],
            values,
            width,
            label=f"{res['name']} ({ok} ok)",
        )
    ax.set_xticks([x + 0.4 - width / 2 for x in range(len(keys))], labels, rotation=15)
    ax.set_ylabel("median ms")
    ax.set_title("End-to-end latency per stage (dev commands, MQTT satellite, real time)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    """Run the chosen configurations; write JSON and PNG after each."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", nargs="*", choices=sorted(CONFIGS), help="subset to run")
    args = parser.parse_args()
    names = args.only or list(CONFIGS)
    doc: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{platform.machine()}, {platform.processor() or 'cpu'}, "
        f"{__import__('os').cpu_count()} cores, {platform.python_version()}",
        "note": "Shared 2-core machine: other work ran at the same time; numbers are noisy.",
        "configs": [],
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    previous = RESULTS / "e2e.json"
    if args.only and previous.is_file():
        # Re-running some configurations keeps the others' latest results.
        kept = json.loads(previous.read_text(encoding="utf-8")).get("configs", [])
        doc["configs"] = [c for c in kept if c.get("name") not in names]
    for name in names:
        kwargs, satellites = CONFIGS[name]
        try:
            doc["configs"].append(run_config(name, kwargs, satellites))
        except Exception as err:
            print(f"{name}: harness error {type(err).__name__}: {err}", flush=True)
            doc["configs"].append({"name": name, "harness_error": f"{type(err).__name__}: {err}"})
        (RESULTS / "e2e.json").write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
        chart([c for c in doc["configs"] if "summary" in c], RESULTS / "e2e.png")


if __name__ == "__main__":
    install_stop_handlers()
    main()
