"""What every benchmark writes beside its figures: date, commit, machine, load.

Figures are only comparable on the same machine under the same load, so
each result file says what ran where, and how busy the machine was.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import platform
import re
import statistics
import subprocess
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "benchmarks" / "results"


def commit() -> str:
    """The short commit of the checkout, ``+dirty`` when it has changes."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=False)
        return done.stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    return f"{head}+dirty" if git("status", "--porcelain", "--untracked-files=no") else head


def machine() -> dict[str, Any]:
    """CPU model, cores this process may use, Python, 1-minute load now."""
    try:
        found = re.search(r"model name\s*:\s*(.*)", Path("/proc/cpuinfo").read_text())
    except OSError:
        found = None
    return {
        "cpu": found.group(1) if found else platform.processor() or platform.machine(),
        "cores": len(os.sched_getaffinity(0)),
        "python": platform.python_version(),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


def header(benchmark: str) -> dict[str, Any]:
    """The first keys of a result file."""
    return {
        "benchmark": benchmark,
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "commit": commit(),
        "machine": machine(),
    }


def spread(values: list[float]) -> dict[str, Any]:
    """n, median, p95 and max of some timings (None when there are none)."""
    ordered = sorted(v for v in values if v is not None and math.isfinite(v))
    if not ordered:
        return {"n": 0, "median": None, "p95": None, "max": None}
    return {
        "n": len(ordered),
        "median": round(statistics.median(ordered), 1),
        "p95": round(ordered[math.ceil(0.95 * len(ordered)) - 1], 1),
        "max": round(ordered[-1], 1),
    }
