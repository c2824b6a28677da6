"""Latency statistics and the printed lines."""

from __future__ import annotations

import pytest

from local_voice_harness.evaluation import CommandOutcome
from local_voice_harness.report import latency_summary, line, percentile


def _outcome(transcript_ms: float | None, ok: bool = True) -> CommandOutcome:
    return CommandOutcome(
        audio="cmd01.wav",
        text="turn on the kitchen light",
        transcript="turn on the kitchen light",
        answer="Turned on the light",
        success=ok,
        failures=[] if ok else ["light.kitchen is 'off'"],
        changes=[],
        timings_ms={
            "speech_end_to_transcript_ms": transcript_ms,
            "speech_end_to_intent_ms": None,
            "speech_end_to_first_audio_ms": None,
        },
    )


def test_percentile_nearest_rank() -> None:
    values = [float(v) for v in range(1, 13)]
    assert percentile(values, 0.95) == 12.0
    assert percentile(values, 0.5) == 6.0
    assert percentile([3.0], 0.95) == 3.0
    with pytest.raises(ValueError, match="no values"):
        percentile([], 0.5)
    with pytest.raises(ValueError, match="outside"):
        percentile([1.0], 0.0)


def test_summary_skips_missing_stages() -> None:
    summary = latency_summary([_outcome(100.0), _outcome(300.0), _outcome(None)])
    assert summary == {"speech_end_to_transcript_ms": {"median": 200.0, "p95": 300.0, "n": 2}}


def test_line_shows_why_it_failed() -> None:
    text = line(_outcome(120.0, ok=False))
    assert text.startswith("[FAIL] cmd01.wav")
    assert "transcript=120ms" in text
    assert "light.kitchen is 'off'" in text
