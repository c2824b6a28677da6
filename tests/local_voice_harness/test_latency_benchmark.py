"""``benchmarks/latency.py``: stages counted from the last speech sound, median and p95."""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING

from local_voice_harness.paths import REPO_ROOT
from local_voice_harness.turn import TurnResult

if TYPE_CHECKING:
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
