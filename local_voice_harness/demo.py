"""``local-voice-demo``: the whole product on one machine, speaking the dev commands.

Starts mosquitto, the speech-to-text and text-to-speech servers, the bundled
language model (``local-voice-llm``), a headless Home Assistant with the demo
home, the integrations and an Assist pipeline, then speaks each dev command
and prints what was heard, what the house did, the answer and per-stage
latency. With a model behind the agent (``--llm bundled``, the default, or
a URL), everyday requests that only a model understands are added, spoken by
the piper voice when the demo runs (``MODEL_REQUESTS``). Answer audio (WAV), a latency chart (PNG)
and ``results.json`` go to ``runs/demo-<timestamp>/``. Everything it started
is stopped by PID at the end, on Ctrl-C and on errors.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Final

from . import report
from .command_set import speak_texts
from .commands import CommandSetError, SpokenCommand, load_commands, load_texts
from .paths import REPO_ROOT, dev_commands_dir, llm_commands_file
from .processes import install_stop_handlers
from .run import add_stack_arguments, config_of, run_commands, stack_options

if TYPE_CHECKING:
    from .turn import TurnResult

EXIT_HARNESS_BROKEN = 2
# Requests HA's own sentences do not cover, from the tuning set (data/llm_commands/): an
# indirect command, a question and a risky command. They open the demo, while the living
# room lamp is still on and the garage closed.
MODEL_REQUESTS: Final = (
    "I'm heading to bed, kill the lamp in the living room",
    "have I locked up the front for the night",
    "I'm pulling into the driveway, open up the garage",
)


def build_parser() -> argparse.ArgumentParser:
    """The CLI."""
    parser = argparse.ArgumentParser(prog="local-voice-demo", description=__doc__)
    parser.add_argument(
        "--commands", type=Path, help="command set folder (default: the bundled dev commands)"
    )
    parser.add_argument("--out", type=Path, help="output folder (default: runs/demo-<time>)")
    parser.add_argument("--limit", type=int, help="only the first N commands")
    add_stack_arguments(parser)
    return parser


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    """Run the demo; return the exit code."""
    args = build_parser().parse_args(argv)
    out = args.out or REPO_ROOT / "runs" / time.strftime("demo-%Y%m%d-%H%M%S")
    try:
        commands = load_commands(args.commands or dev_commands_dir())
    except (CommandSetError, OSError) as err:
        sys.stderr.write(f"local-voice-demo: {err}\n")
        return EXIT_HARNESS_BROKEN
    commands = commands[: args.limit] if args.limit else commands
    out.mkdir(parents=True, exist_ok=True)
    with_model = args.agent == "local_voice" and args.llm != "scripted"
    if with_model and args.commands is None and not args.limit:
        commands = _model_requests(out / "model-requests") + commands
    _say(f"Local Voice demo: {len(commands)} spoken commands; output in {out}")
    if args.agent == "local_voice":
        _say(_agent_note(args.llm))

    def show(outcome: report.CommandOutcome, turn: TurnResult) -> None:
        _say("")
        _say(report.block(outcome))
        saved = report.save_answer_audio(turn, out / f"answer-{Path(outcome.audio).stem}.wav")
        if saved is not None:
            _say(f"  audio:    {saved.relative_to(out)}")

    try:
        result = asyncio.run(
            run_commands(
                commands,
                stack_options(args),
                satellites=args.satellites,
                satellite=args.satellite,
                realtime=not args.fast,
                warmup=not args.no_warmup,
                on_result=show,
            )
        )
    except (KeyboardInterrupt, asyncio.CancelledError):  # Ctrl-C or SIGTERM (processes.py)
        _say("interrupted; everything the demo started was stopped")
        return 130
    except Exception:  # noqa: BLE001 - the harness broke: say so, exit non-zero
        traceback.print_exc()
        _say("the demo failed (see above); everything it started was stopped")
        return EXIT_HARNESS_BROKEN
    outcomes = result.outcomes
    doc = report.results_json(outcomes, config_of(args))
    doc["stack"] = report.stack_json(result.info)
    (out / "results.json").write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    if outcomes:
        report.latency_chart(outcomes, out / "latency.png", "Local Voice demo: latency per command")
    _say("")
    for key, stats in doc["summary"]["latency_ms"].items():
        _say(f"{key}: median {stats['median']} ms, p95 {stats['p95']} ms (n={stats['n']})")
    _say(f"commands: {doc['summary']['succeeded']}/{len(outcomes)} succeeded")
    _say(f"saved: {out / 'results.json'}, {out / 'latency.png'}, answer-*.wav")
    return 0


def _agent_note(llm: str) -> str:
    if llm == "scripted":
        return (
            "NOTE: HA's local intents handle device control; the agent's LLM is a SCRIPTED "
            "STAND-IN (always 'Sorry, I can't help with that.', no tool calls), not a real model."
        )
    model = "the bundled Qwen2.5-Coder-1.5B" if llm == "bundled" else f"the model at {llm}"
    return (
        f"HA's local intents handle what their sentences cover; {model} answers the rest "
        f"(the first {len(MODEL_REQUESTS)} commands need it)."
    )


def _model_requests(folder: Path) -> list[SpokenCommand]:
    """The demo's model requests, spoken now by the piper voice (nothing is downloaded)."""
    wanted = {t.text: t for t in load_texts(llm_commands_file("tuning"))}
    _say(f"speaking {len(MODEL_REQUESTS)} everyday requests for the model into {folder}")
    return speak_texts([wanted[text] for text in MODEL_REQUESTS], folder)


def run() -> None:
    """Console entry point: SIGTERM stops the stack like Ctrl-C does."""
    install_stop_handlers()
    sys.exit(main())


if __name__ == "__main__":
    run()
