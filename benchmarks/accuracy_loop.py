"""The full-loop half of ``benchmarks/accuracy.py``: WAV -> satellite -> HA -> state.

The text-level harness isolates the repair stages cheaply; this runs the
full configuration the way a user meets it, with ``local-voice-eval``: a
real HA process, mosquitto, our ASR and TTS servers, one simulated MQTT
satellite (area Kitchen) streaming each WAV, HA's assist pipeline with our
STT entity (home vocabulary on) and our agent (scripted stand-in LLM that
never acts), then the demo home's states checked. A "Did you mean: X?" gets
a second spoken turn on the same satellite ("yes" in the bundled voice) when
X says nothing the command did not (``local-voice-eval
--answer-did-you-mean``); otherwise it is left unanswered and counts as not
succeeded. A change to a risky entity counts as unconfirmed unless it
followed that "yes". Audio is sent as fast as possible (``--fast``): endpointing
and recognition are the same, only the wall time is shorter.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from custom_components.local_voice.understanding.text import looks_like_question
from local_voice_harness.commands import load_commands
from local_voice_harness.sentence_words import DID_YOU_MEAN, answered_yes

RISKY = frozenset({"lock.front_door", "cover.garage_door"})
UNEXPOSED = "light.basement"


def run_eval(set_dir: Path, model: str, out: Path, limit_s: int = 1500) -> dict[str, Any]:
    """Run ``local-voice-eval`` on one set; return its JSON plus the wall seconds."""
    tool = Path(sys.executable).with_name("local-voice-eval")
    argv = ["nice", "-n", "5", str(tool), "--commands", str(set_dir), "--fast",
            "--model", model, "--json", str(out), "--answer-did-you-mean",
            "--llm", "scripted"]  # fmt: skip  # intents and repair only, as the text level
    start = time.perf_counter()
    subprocess.run(argv, check=True, timeout=limit_s)
    doc: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    doc["wall_s"] = round(time.perf_counter() - start, 1)
    return doc


def _entity(line: str) -> str:
    """'light.kitchen: off -> on' or 'light.x.brightness: ...' -> the entity id."""
    return ".".join(line.split(":", maxsplit=1)[0].split(".")[:2])


def summarize(doc: dict[str, Any], set_dir: Path) -> dict[str, Any]:
    """Success and the safety counts of one full-loop run, like the text-level summary."""
    expects = {c.audio.name: c.expect for c in load_commands(set_dir)}
    rows = doc["commands"]
    out: dict[str, Any] = {
        "n": len(rows),
        "succeeded": 0,
        "wrong_actions": 0,
        "questions_acted": 0,
        "unconfirmed_risky": 0,
        "unexposed_actions": 0,
        "asked_did_you_mean": 0,  # answered "yes" (a second spoken turn) when it was meant
        "harness_errors": 0,  # no pipeline run for the utterance (nothing was heard)
        "failed": [],
    }
    for row in rows:
        expect = expects[row["audio"]]
        changed = {_entity(line) for line in row.get("changes") or []}
        targets = set(expect.get("state") or {}) | set(expect.get("attributes") or {})
        out["succeeded"] += bool(row["success"])
        out["wrong_actions"] += bool(changed - targets) or bool(changed and not row["success"])
        out["questions_acted"] += looks_like_question(row["text"]) and bool(changed)
        confirmed = answered_yes(str(row.get("answer", "")))  # the user said "yes" to it
        out["unconfirmed_risky"] += bool(changed & RISKY) and not confirmed
        out["unexposed_actions"] += UNEXPOSED in changed
        out["asked_did_you_mean"] += str(row.get("answer", "")).startswith(DID_YOU_MEAN)
        out["harness_errors"] += bool(row.get("error"))
        if not row["success"]:
            out["failed"].append(
                {
                    "reference": row["text"],
                    "text": row["transcript"],
                    "answer": row["answer"],
                    "changed": sorted(changed),
                    "error": row.get("error", ""),
                }
            )
    out["latency_ms"] = doc.get("summary", {}).get("latency_ms", {})
    out["wall_s"] = doc.get("wall_s")
    out["harness_error"] = doc.get("harness_error", "")
    return out


def full_loop(sets: dict[str, Path], models: list[str], work: Path) -> dict[str, Any]:
    """{model: {set: summary}} for each model and set (dev included when given)."""
    results: dict[str, Any] = {}
    for model in models:
        results[model] = {}
        for name, set_dir in sets.items():
            sys.stdout.write(f"[full loop] {model} {name} ...\n")
            sys.stdout.flush()
            doc = run_eval(set_dir, model, work / f"loop-{model}-{name}.json")
            results[model][name] = summarize(doc, set_dir)
            r = results[model][name]
            sys.stdout.write(
                f"[full loop] {model} {name}: {r['succeeded']}/{r['n']} in {r['wall_s']} s\n"
            )
    return results
