"""``benchmarks/latency.py``: stages counted from the last speech sound, median and p95."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from local_voice_harness.paths import REPO_ROOT
from local_voice_harness.turn import TurnResult

if TYPE_CHECKING:
    from pathlib import Path
    from types import ModuleType


def _latency() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "latency_bench", REPO_ROOT / "benchmarks" / "latency.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_user_times_add_the_endpoint_to_each_pipeline_stage() -> None:
    bench = _latency()
    turn = TurnResult(stt_ms=200.0, intent_ms=230.0, endpoint_ms=350.0, user_first_audio_ms=640.0)
    assert bench.user_times(turn) == {
        "endpoint": 350.0,
        "transcript": 550.0,
        "intent": 580.0,
        "first_audio": 640.0,
    }
    missing = bench.user_times(TurnResult(stt_ms=200.0))
    assert missing == {"endpoint": None, "transcript": None, "intent": None, "first_audio": None}


def test_summary_is_median_and_nearest_rank_p95() -> None:
    bench = _latency()
    rows = [
        {"from_last_speech_ms": {"endpoint": float(v), "first_audio": None if v == 5 else v * 2.0}}
        for v in range(1, 21)
    ]
    summary = bench.summarise(rows)
    assert summary["endpoint"] == {"median": 10.5, "p95": 19.0, "n": 20}
    assert summary["first_audio"]["n"] == 19
    assert "transcript" not in summary


@pytest.mark.parametrize(
    ("reference", "transcript", "lost"),
    [
        ("turn on the kitchen light", "Turn on the kitchen light.", []),
        ("turn on the kitchen light", "turn on the kitchen", ["light"]),
        ("what is the humidity in the bedroom", "What is the humidity in", ["the", "bedroom"]),
        ("turn on the kitchen light", "", ["turn", "on", "the", "kitchen", "light"]),
        # A misheard end is not a lost one: the transcript has words of its own there.
        ("is the back door open", "is the back door oven", []),
        ("turn on the desk lamp", "turn on the best lamp", []),
        # A missing word in the middle is not a cut-off either.
        ("what is the living room temperature", "what is living room temperature", []),
        ("set the temperature to 22 degrees", "Set the temperature to 22 degrees.", []),
        ("turn on the office fan", "something else entirely", []),
    ],
)
def test_lost_words_are_the_missing_end(reference: str, transcript: str, lost: list[str]) -> None:
    assert _latency().lost_words(reference, transcript) == lost


def test_cut_off_counts_an_early_end_or_lost_words() -> None:
    bench = _latency()
    times = {"endpoint": 320.0, "transcript": 900.0, "intent": 910.0, "first_audio": 950.0}
    whole = bench.cut_off("turn on the fan", times, "turn on the fan")
    assert whole == {"cut_off": False, "ended_before_last_speech": False, "lost_words": []}
    early = bench.cut_off("turn on the fan", {**times, "endpoint": -40.0}, "turn on the fan")
    assert early["cut_off"] is True
    assert early["ended_before_last_speech"] is True
    lost = bench.cut_off("turn on the fan", times, "turn on the")
    assert (lost["cut_off"], lost["lost_words"]) == (True, ["fan"])
    # No endpoint time (the stage did not happen) is not evidence of a cut-off.
    assert (
        bench.cut_off("turn on the fan", {"endpoint": None}, "turn on the fan")["cut_off"] is False
    )


@pytest.mark.parametrize(
    ("args", "why"),
    [(["--limit", "0"], "--limit must be at least 1"), (["--set", "/nonexistent"], "--set: ")],
)
def test_cli_refuses_a_bad_set_or_limit(args: list[str], why: str, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(REPO_ROOT / "benchmarks" / "latency.py"), *args,
         "--out", str(tmp_path / "x.json")],
        capture_output=True, text=True, timeout=60, check=False, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 2
    assert why in done.stderr
    assert not (tmp_path / "x.json").exists()
