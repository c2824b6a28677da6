"""A satellite in every room: lost commands, the full loop, and which satellite answers.

For each of the three 84-command sets (``command_set --variant main|heldout|fresh``):
- the full loop (``local-voice-eval --fast``) without and with
  ``--answer-did-you-mean``: commands succeeded and commands lost;
- ``--overhear 3`` in real time: each command heard by three satellites at
  once (0, -12, -20 dB, the nearest a different satellite each time): how
  often the nearest and only the nearest answered, and how long after the
  first wake-up the others were dismissed.

Usage:
    python benchmarks/rooms.py --sets DIR_MAIN DIR_HELDOUT DIR_FRESH --runs RUNDIR
    python benchmarks/rooms.py --runs RUNDIR --summarize-only

Each run's JSON goes to RUNDIR (``<set>-plain.json``, ``<set>-yes.json``,
``<set>-overhear3.json``; a ``before-<set>-yes.json`` from an older checkout
is counted as the "before" figure when present); the summary is printed and
written to ``benchmarks/results/rooms.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
RESULT = REPO / "benchmarks" / "results" / "rooms.json"
SETS = ("main", "heldout", "fresh")
LOST_BEFORE = ("never ended a session", "no pipeline run recorded")


def _eval(commands: Path, out: Path, *extra: str) -> None:
    argv = [sys.executable, "-m", "local_voice_harness.eval", "--commands", str(commands)]
    argv += ["--json", str(out), *extra]
    print(f"running {' '.join(argv[2:])}", flush=True)
    subprocess.run(argv, check=True, timeout=3600)


def run(sets: list[Path], runs: Path) -> None:
    """Every run, one after the other (they share the machine's two cores)."""
    runs.mkdir(parents=True, exist_ok=True)
    for name, commands in zip(SETS, sets, strict=True):
        _eval(commands, runs / f"{name}-plain.json", "--fast")
        _eval(commands, runs / f"{name}-yes.json", "--fast", "--answer-did-you-mean")
        _eval(commands, runs / f"{name}-overhear3.json", "--overhear", "3")


def _lost_before(doc: dict[str, Any]) -> int:
    """An older harness had no 'lost': its harness errors were the lost commands."""
    return sum(any(t in str(c.get("error", "")) for t in LOST_BEFORE) for c in doc["commands"])


def summarize(runs: Path) -> dict[str, Any]:
    """The figures, from the runs' JSON files."""
    out: dict[str, Any] = {"date": time.strftime("%Y-%m-%d"), "sets": {}}
    decided: list[float] = []
    for name in SETS:
        row: dict[str, Any] = {}
        for mode in ("plain", "yes"):
            path = runs / f"{name}-{mode}.json"
            if path.exists():
                doc = json.loads(path.read_text(encoding="utf-8"))
                s = doc["summary"]
                row[mode] = {"succeeded": s["succeeded"], "total": s["total"], "lost": s["lost"]}
        before = runs / f"before-{name}-yes.json"
        if before.exists():
            doc = json.loads(before.read_text(encoding="utf-8"))
            row["before_yes"] = {
                "succeeded": doc["summary"]["succeeded"],
                "total": doc["summary"]["total"],
                "lost": _lost_before(doc),
            }
        path = runs / f"{name}-overhear3.json"
        if path.exists():
            doc = json.loads(path.read_text(encoding="utf-8"))
            over = doc["summary"]["overhear"]
            row["overhear3"] = {
                **over,
                "succeeded": doc["summary"]["succeeded"],
                "lost": doc["summary"]["lost"],
            }
            decided += [c["arbitration_ms"] for c in doc["commands"] if c["arbitration_ms"]]
        out["sets"][name] = row
    if decided:
        ordered = sorted(decided)
        out["decision_ms"] = {
            "median": round(statistics.median(ordered), 1),
            "p95": round(ordered[max(0, int(0.95 * len(ordered) + 0.999) - 1)], 1),
            "max": round(ordered[-1], 1),
            "n": len(ordered),
            "over_150": sum(ms > 150 for ms in ordered),
        }
    return out


def main() -> None:
    """Run (unless --summarize-only), then summarize."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", type=Path, nargs=3, metavar=("MAIN", "HELDOUT", "FRESH"))
    parser.add_argument("--runs", type=Path, required=True)
    parser.add_argument("--summarize-only", action="store_true")
    parser.add_argument(
        "--context", action="append", default=[], metavar="KEY=VALUE", help="kept in the JSON"
    )
    args = parser.parse_args()
    if not args.summarize_only:
        if not args.sets:
            parser.error("--sets is needed unless --summarize-only")
        run(args.sets, args.runs)
    summary = summarize(args.runs)
    summary["context"] = dict(item.split("=", 1) for item in args.context)
    print(json.dumps(summary, indent=2))
    RESULT.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {RESULT}")


if __name__ == "__main__":
    main()
