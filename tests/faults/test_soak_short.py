"""The soak benchmark, CI-sized: two simulated satellites for about 20 s, then its JSON and chart.

The full run (``benchmarks/soak.py``, default 10 minutes, 4 satellites) is
too long for the suite; this one proves the benchmark works end to end and
that a short stretch of continuous speech is answered: every turn is
recorded, most succeed, memory was sampled for every process of the stack.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from local_voice_harness import paths

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]


def test_short_soak_writes_results(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [
            sys.executable,
            str(paths.REPO_ROOT / "benchmarks" / "soak.py"),
            "--minutes",
            "0.35",
            "--satellites",
            "2",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=220,
        cwd=paths.REPO_ROOT,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr[-4000:]
    result = json.loads((tmp_path / "soak.json").read_text())
    assert (tmp_path / "soak.png").stat().st_size > 10_000
    assert result["turns"] >= 4, result["raw_turns"]
    assert result["turns"] == len(result["raw_turns"])
    assert {t["satellite"] for t in result["raw_turns"]} == {"soak_kitchen", "soak_living_room"}
    assert result["success_rate"] >= 0.75, result["errors"]
    assert 0 < result["latency_ms"]["p50"] <= result["latency_ms"]["p95"] < 30_000
    assert set(result["memory"]) >= {"mosquitto", "asr", "tts", "home_assistant"}
    for name, memory in result["memory"].items():
        assert memory["max_mb"] > 0, name
    assert "turns " in done.stdout
