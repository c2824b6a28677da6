"""Numbers, lines, charts and files from evaluated commands.

Shared by the demo, the evaluation CLI and the end-to-end benchmark so they
print and save the same things the same way.
"""

from __future__ import annotations

import math
import shutil
import statistics
import subprocess
from dataclasses import asdict
from typing import TYPE_CHECKING, Any, Final

__all__ = [
    "CommandOutcome",
    "latency_chart",
    "latency_summary",
    "line",
    "overhear_summary",
    "results_json",
]

from .evaluation import CommandOutcome
from .turn import write_wav

if TYPE_CHECKING:
    from pathlib import Path

    from .stack import StackInfo
    from .turn import TurnResult

STAGES: Final = (
    ("speech_end_to_transcript_ms", "transcript"),
    ("speech_end_to_intent_ms", "intent handled"),
    ("speech_end_to_first_audio_ms", "first answer audio"),
)
# Measured from the last speech sound in the WAV (real-time MQTT runs only).
USER_STAGES: Final = (
    ("last_speech_to_session_end_ms", "satellite endpoint"),
    ("last_speech_to_first_audio_ms", "last word -> first answer audio"),
    ("last_speech_to_answer_end_ms", "last word -> answer end"),
)


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (p95 of 12 values is the 12th smallest)."""
    if not values:
        raise ValueError("no values")
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction {fraction} outside (0, 1]")
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered) - 1e-9))
    return ordered[rank - 1]


def latency_summary(outcomes: list[CommandOutcome]) -> dict[str, dict[str, float | int]]:
    """Median and p95 per stage over the commands where the stage happened."""
    summary: dict[str, dict[str, float | int]] = {}
    for key, _label in STAGES + USER_STAGES:
        values = [v for o in outcomes if (v := o.timings_ms.get(key)) is not None]
        if values:
            summary[key] = {
                "median": round(statistics.median(values), 1),
                "p95": round(percentile(values, 0.95), 1),
                "n": len(values),
            }
    return summary


def line(outcome: CommandOutcome) -> str:
    """One line per command for the evaluation."""
    mark = "ok  " if outcome.success else "FAIL"
    stages = " ".join(
        f"{label.split()[0]}={_ms(outcome.timings_ms.get(key))}" for key, label in STAGES
    )
    mark = "LOST" if outcome.lost else mark
    why = "" if outcome.success else "  <- " + "; ".join(outcome.failures)
    who = ""
    if outcome.loudest:
        who = f" | loudest {outcome.loudest}, answered by {','.join(outcome.answered_by) or '-'}"
        who += f", decided in {_ms(outcome.arbitration_ms)}"
    return (
        f"[{mark}] {outcome.audio}: heard {outcome.transcript!r} -> "
        f"answer {outcome.answer!r} | {stages}{who}{why}"
    )


def block(outcome: CommandOutcome) -> str:
    """The demo's multi-line account of one command."""
    house = "; ".join(outcome.changes) or "nothing changed"
    stages = " | ".join(f"{label} {_ms(outcome.timings_ms.get(key))}" for key, label in STAGES)
    user = " | ".join(f"{label} {_ms(outcome.timings_ms.get(key))}" for key, label in USER_STAGES)
    verdict = (
        "as expected" if outcome.success else "NOT as expected: " + "; ".join(outcome.failures)
    )
    return "\n".join(
        [
            f"{outcome.audio}  (said: {outcome.text!r})",
            f"  heard:    {outcome.transcript!r}",
            f"  house:    {house}",
            f"  answer:   {outcome.answer!r}",
            f"  latency:  after the session ended: {stages}",
            f"            after the last speech sound: {user}",
            f"  check:    {verdict}",
        ]
    )


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}ms"


def save_answer_audio(turn: TurnResult, path: Path) -> Path | None:
    """Save the answer as WAV (PCM written directly; MP3 converted with ffmpeg)."""
    if not turn.answer_audio:
        return None
    if turn.answer_audio_format == "pcm":
        write_wav(path, turn.answer_audio, turn.answer_rate)
        return path
    if turn.answer_audio_format == "wav":
        path.write_bytes(turn.answer_audio)
        return path
    raw = path.with_suffix("." + (turn.answer_audio_format or "bin"))
    raw.write_bytes(turn.answer_audio)
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        return raw
    done = subprocess.run(  # noqa: S603 - fixed argv
        [ffmpeg, "-y", "-loglevel", "error", "-i", str(raw), str(path)],
        check=False,
        capture_output=True,
        timeout=30,
    )
    if done.returncode == 0:
        raw.unlink()
        return path
    return raw


def latency_chart(outcomes: list[CommandOutcome], path: Path, title: str) -> Path:
    """Per-command bars: end of speech -> transcript -> intent -> first answer audio."""
    import matplotlib as mpl  # noqa: PLC0415 - heavy, only when charting

    mpl.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    names = [o.audio.removesuffix(".wav") for o in outcomes]
    fig, ax = plt.subplots(figsize=(max(6.0, 0.7 * len(names) + 2), 4.5))
    width = 0.27
    for i, (key, label) in enumerate(STAGES):
        values = [o.timings_ms.get(key) or 0.0 for o in outcomes]
        ax.bar([x + (i - 1) * width for x in range(len(names))], values, width, label=label)
    ax.set_xticks(range(len(names)), names, rotation=45, ha="right")
    ax.set_ylabel("ms after end of speech")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def stack_json(info: StackInfo | None) -> dict[str, Any]:
    """What ran: engines, the agent and its model, PIDs, start-up time."""
    if info is None:
        return {}
    return {
        "startup_s": round(info.startup_s, 1),
        "agent": info.agent_note,
        "llm": info.llm,
        "llm_warm_s": None if info.llm_warm_s is None else round(info.llm_warm_s, 1),
        "engines": asdict(info.engines) if info.engines else None,
        "pids": info.pids,
    }


def overhear_summary(outcomes: list[CommandOutcome]) -> dict[str, Any]:
    """How often only the loudest satellite answered, and how fast the arbiter decided."""
    decided = [o.arbitration_ms for o in outcomes if o.arbitration_ms is not None]
    out: dict[str, Any] = {
        "loudest_won": sum(o.answered_by == [o.loudest] for o in outcomes),
        "total": len(outcomes),
        "several_answered": sum(len(o.answered_by) > 1 for o in outcomes),
    }
    if decided:
        out["decision_ms"] = {
            "median": round(statistics.median(decided), 1),
            "p95": round(percentile(decided, 0.95), 1),
            "max": round(max(decided), 1),
            "n": len(decided),
        }
    return out


def results_json(
    outcomes: list[CommandOutcome], config: dict[str, Any], harness_error: str = ""
) -> dict[str, Any]:
    """The evaluation's JSON document."""
    succeeded = sum(o.success for o in outcomes)
    summary: dict[str, Any] = {
        "succeeded": succeeded,
        "total": len(outcomes),
        "lost": sum(o.lost for o in outcomes),
        "latency_ms": latency_summary(outcomes),
    }
    if any(o.loudest for o in outcomes):
        summary["overhear"] = overhear_summary(outcomes)
    return {
        "config": config,
        "summary": summary,
        "harness_error": harness_error,
        "commands": [o.to_json() for o in outcomes],
    }
