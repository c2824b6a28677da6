"""The user's latency: from the last speech sound to the first answer audio, per stage.

Each WAV's last speech sound is found offline (energy on the file,
``turn.trailing_silence_s``) and the command is spoken in real time, so every
stage is timed from the moment the user stopped talking:
last speech sound -> end of the utterance (endpointing) -> transcript ->
intent -> first answer audio byte at the satellite. Median and p95 over all
commands of all runs, for two systems assembled in the same harness on the
same machine:

- ``ours``: our ASR/TTS servers, our agent, the real Pi satellite over MQTT,
  as installed: HA ends the session at the first pause after a complete
  command (``end_of_speech``, semantic endpointing), the satellite's VAD
  after 300 ms of silence otherwise; the answer streams straight from our TTS.
- ``ours-vad``: the same with semantic endpointing off in the satellite's
  options: the satellite's VAD ends every session (the system before it).
- ``peers``: wyoming-faster-whisper 3.8.1 + wyoming-piper 2.5.2, HA's
  default agent, HA's own voice detector ending the utterance (websocket
  Assist path, answer audio fetched from HA's TTS URL).

A command counts as **cut off** when its utterance ended before its last
speech sound (negative endpoint time) or its transcript lost words at the end
against the reference text (see :func:`cut_off`); the count is reported per
system next to the per-command rows.

Usage (after ``benchmarks/setup_peers.sh``):
  .venv/bin/python benchmarks/latency.py --runs 3          # full: 12 dev commands x 3
  .venv/bin/python benchmarks/latency.py --quick           # 3 commands, 1 run
  .venv/bin/python benchmarks/latency.py --set /tmp/lv-accuracy-set --runs 1
      # a larger set (``python -m local_voice_harness.command_set --out DIR``),
      # written to latency_set.json; --limit N takes its first N commands
  .venv/bin/python benchmarks/latency.py --set local_voice_harness/data/audio/dev/real
      # recorded human speech (transcripts.tsv): no expectations, only cut-offs
The machine's load average is recorded at start and end: compare only runs
made on a quiet machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import statistics
import sys
import time
from collections import Counter
from difflib import SequenceMatcher
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import matplotlib as mpl

mpl.use("Agg")
import matplotlib.pyplot as plt

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from common import commit  # noqa: E402

from local_voice_harness import paths  # noqa: E402
from local_voice_harness.commands import (  # noqa: E402
    CommandSetError,
    SpokenCommand,
    load_commands,
    load_transcripts,
)
from local_voice_harness.evaluation import run_batch  # noqa: E402
from local_voice_harness.ha_vad_turn import run_turn  # noqa: E402
from local_voice_harness.processes import install_stop_handlers  # noqa: E402
from local_voice_harness.report import percentile  # noqa: E402
from local_voice_harness.run import run_commands  # noqa: E402
from local_voice_harness.stack import Stack, StackOptions  # noqa: E402
from local_voice_harness.turn import read_pcm  # noqa: E402

if TYPE_CHECKING:
    from local_voice_harness.evaluation import CommandOutcome
    from local_voice_harness.turn import TurnResult

RESULTS = REPO / "benchmarks" / "results"
STAGES: Final = (
    ("endpoint", "utterance ended"),
    ("transcript", "transcript"),
    ("intent", "intent handled"),
    ("first_audio", "first answer audio"),
)
SYSTEMS: Final = ("ours", "ours-vad", "peers")
# The satellite's options in HA for each of our systems (flows/satellite.py).
_SATELLITE_OPTIONS: Final[dict[str, dict[str, Any]]] = {
    "ours": {},
    "ours-vad": {"end_on_complete_command": False},
}
_WORD_RE: Final = re.compile(r"[a-z0-9]+")


def _progress(message: str) -> None:
    sys.stderr.write(f"[{time.strftime('%H:%M:%S')}] {message}\n")


def user_times(turn: TurnResult) -> dict[str, float | None]:
    """Each stage in ms from the last speech sound (None where it did not happen)."""
    end = turn.endpoint_ms

    def plus(ms: float | None) -> float | None:
        return None if end is None or ms is None else round(end + ms, 1)

    return {
        "endpoint": None if end is None else round(end, 1),
        "transcript": plus(turn.stt_ms),
        "intent": plus(turn.intent_ms),
        "first_audio": None
        if turn.user_first_audio_ms is None
        else round(turn.user_first_audio_ms, 1),
    }


def lost_words(reference: str, transcript: str) -> list[str]:
    """Reference words missing after the transcript's last word that matches one.

    Words are aligned (lower case, letters and digits). A transcript that
    ends with words of its own after the last match misheard the end rather
    than lost it (an empty list); an empty transcript lost everything.
    """
    ref, heard = _WORD_RE.findall(reference.lower()), _WORD_RE.findall(transcript.lower())
    if not heard:
        return ref
    blocks = [
        b for b in SequenceMatcher(None, ref, heard, autojunk=False).get_matching_blocks() if b.size
    ]
    if not blocks:
        return []
    last = blocks[-1]
    if last.b + last.size < len(heard):
        return []
    return ref[last.a + last.size :]


def cut_off(reference: str, times: dict[str, float | None], transcript: str) -> dict[str, Any]:
    """Was the end of this command lost: utterance ended too early, or end words missing."""
    endpoint = times.get("endpoint")
    early = endpoint is not None and endpoint < 0
    lost = lost_words(reference, transcript) if reference else []
    return {"cut_off": early or bool(lost), "ended_before_last_speech": early, "lost_words": lost}


async def _run_ours(
    commands: list[SpokenCommand], model: str, name: str = "ours", asr_args: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    texts = _references(commands)

    def keep(outcome: CommandOutcome, turn: TurnResult) -> None:
        rows.append(_row(outcome, turn, texts.get(outcome.audio, "")))

    options = StackOptions(
        model=model,
        agent="local_voice",
        progress=_progress,
        satellite_options=_SATELLITE_OPTIONS[name],
        asr_args=asr_args,
    )
    await run_commands(commands, options, satellite="mqtt", on_result=keep)
    return rows


async def _run_peers(commands: list[SpokenCommand], model: str) -> list[dict[str, Any]]:
    options = StackOptions(model=model, servers="peers", agent="builtin", progress=_progress)
    rows: list[dict[str, Any]] = []
    texts = _references(commands)
    async with Stack(options) as stack:
        client = stack.client
        assert client is not None

        async def speak(_index: int, pcm: bytes) -> TurnResult:
            assert client is not None
            return await run_turn(client, pcm, pipeline_id=stack.info.pipeline_id)

        warm = await speak(0, read_pcm(commands[0].audio))  # unmeasured, like e2e's
        _progress(f"warm-up turn: heard {warm.transcript!r}")
        for command in commands:
            for outcome, turn in await run_batch(stack, [command], speak, "websocket"):
                rows.append(_row(outcome, turn, texts.get(outcome.audio, "")))
    return rows


def _load_set(directory: Path) -> list[SpokenCommand]:
    """A command set (``commands.jsonl``), or recorded speech (``transcripts.tsv``).

    Recorded speech (the dev real speech: sentences, not commands) has no
    expectations: what it measures is whether an utterance was cut off.
    """
    if not (directory / "commands.jsonl").is_file() and (directory / "transcripts.tsv").is_file():
        return [
            SpokenCommand(audio=item.audio, text=item.text, expect={})
            for item in load_transcripts(directory)
        ]
    return load_commands(directory)


def _references(commands: list[SpokenCommand]) -> dict[str, str]:
    return {command.audio.name: command.text for command in commands}


def _row(outcome: CommandOutcome, turn: TurnResult, reference: str) -> dict[str, Any]:
    times = user_times(turn)
    lost = cut_off(reference, times, turn.transcript)
    shown = " ".join(f"{k}={v:.0f}" if v is not None else f"{k}=-" for k, v in times.items())
    mark = " CUT OFF" if lost["cut_off"] else ""
    ended = f" ({turn.end_reason})" if turn.end_reason else ""
    print(
        f"  {'ok  ' if outcome.success else 'FAIL'} {outcome.audio}: {shown} ms{ended}{mark}",
        flush=True,
    )
    return {
        "audio": outcome.audio,
        "success": outcome.success,
        "transcript": turn.transcript,
        # What ended the utterance: the satellite's reason (vad, end_of_speech),
        # or "" on the peers' websocket path (HA's own voice detector).
        "ended_by": turn.end_reason,
        "error": turn.error,
        "from_last_speech_ms": times,
        "reference": reference,
        **lost,
    }


def summarise(rows: list[dict[str, Any]]) -> dict[str, dict[str, float | int]]:
    """Median and p95 per stage over the rows where the stage happened."""
    out: dict[str, dict[str, float | int]] = {}
    for key, _label in STAGES:
        values = [v for r in rows if (v := r["from_last_speech_ms"].get(key)) is not None]
        if values:
            out[key] = {
                "median": round(statistics.median(values), 1),
                "p95": round(percentile(values, 0.95), 1),
                "n": len(values),
            }
    return out


def chart(doc: dict[str, Any], path: Path) -> None:
    """Median (bar) and p95 (tick) per stage per system."""
    fig, ax = plt.subplots(figsize=(9, 4.5))
    systems = [s for s in doc["systems"] if "summary" in s]
    width = 0.8 / max(1, len(systems))
    for i, sys_doc in enumerate(systems):
        xs = [x + i * width for x in range(len(STAGES))]
        med = [sys_doc["summary"].get(k, {}).get("median", 0) for k, _ in STAGES]
        p95 = [sys_doc["summary"].get(k, {}).get("p95", 0) for k, _ in STAGES]
        ax.bar(xs, med, width, label=f"{sys_doc['name']} median")
        ax.scatter(xs, p95, marker="_", s=300, color="black")
    ax.set_xticks([x + 0.4 - width / 2 for x in range(len(STAGES))], [s[1] for s in STAGES])
    ax.set_ylabel("ms after the last speech sound (tick: p95)")
    ax.set_title(f"User's latency, load average {doc['load_average_start'][0]:.1f} at start")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    """Run the chosen systems; write JSON and PNG."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="times each command is spoken")
    parser.add_argument("--quick", action="store_true", help="3 commands, 1 run (smoke test)")
    parser.add_argument(
        "--set", type=Path, help="a commands.jsonl folder (default: the 12 dev commands)"
    )
    parser.add_argument("--limit", type=int, help="only the first N commands of the set")
    parser.add_argument("--systems", nargs="*", choices=SYSTEMS, default=list(SYSTEMS))
    parser.add_argument("--model", default="tiny.en")
    parser.add_argument(
        "--asr-arg",
        action="append",
        default=[],
        metavar="FLAG",
        help="one more local-voice-asr flag for ours (repeat; e.g. --asr-arg=--loudness-pauses)",
    )
    parser.add_argument(
        "--out", type=Path, help="default: results/latency.json (latency_set.json with --set)"
    )
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if args.limit is not None and args.limit < 1:
        parser.error("--limit must be at least 1")
    try:
        commands = _load_set(args.set or paths.dev_commands_dir())
    except (CommandSetError, OSError) as err:
        parser.error(f"--set: {err}")
    limit = 3 if args.quick else args.limit
    runs = 1 if args.quick else args.runs
    commands = commands[:limit] * runs
    out = args.out or RESULTS / ("latency_set.json" if args.set else "latency.json")
    doc: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "commit": commit(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}",
        "load_average_start": [round(v, 2) for v in os.getloadavg()],
        "mode": "quick" if args.quick else "full",
        "set": str(args.set) if args.set else "dev",
        "limit": limit,
        "runs": runs,
        "model": args.model,
        "asr_args": args.asr_arg,
        "systems": [],
    }
    for name in args.systems:
        _progress(f"{name}: {len(commands)} turns")
        try:
            if name == "peers":
                rows = asyncio.run(_run_peers(commands, args.model))
            else:
                rows = asyncio.run(_run_ours(commands, args.model, name, tuple(args.asr_arg)))
        except Exception as err:
            print(f"{name}: harness error {type(err).__name__}: {err}", flush=True)
            doc["systems"].append({"name": name, "harness_error": f"{type(err).__name__}: {err}"})
            continue
        summary = summarise(rows)
        cut = sum(r["cut_off"] for r in rows)
        print(f"{name}: {sum(r['success'] for r in rows)}/{len(rows)} succeeded", flush=True)
        print(f"  cut off: {cut}/{len(rows)}", flush=True)
        ended_by = dict(Counter(r["ended_by"] or "ha_vad" for r in rows))
        print(f"  ended by: {ended_by}", flush=True)
        for key, label in STAGES:
            if key in summary:
                stats = summary[key]
                print(
                    f"  last speech -> {label}: median {stats['median']} ms, p95 {stats['p95']} ms"
                )
        doc["systems"].append(
            {
                "name": name,
                "summary": summary,
                "cut_off": cut,
                "ended_by": ended_by,
                "commands": rows,
            }
        )
    doc["load_average_end"] = [round(v, 2) for v in os.getloadavg()]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    chart(doc, out.with_suffix(".png"))
    print(f"wrote {out}", flush=True)


if __name__ == "__main__":
    install_stop_handlers()
    main()
