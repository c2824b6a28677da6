"""``local-voice-eval``: run a spoken-command set through the full loop and score it.

Prints one line per command and ``commands: K/N succeeded``; ``--json`` writes
transcripts, states, answers and per-stage timings. Exit 0 whatever the
score; non-zero only when the harness itself breaks (2) or on bad arguments.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import traceback
from pathlib import Path

from . import report
from .commands import CommandSetError, load_commands
from .processes import install_stop_handlers
from .run import add_stack_arguments, config_of, run_commands, stack_options
from .synthetic_speech import spoken_reply
from .turn import read_pcm

EXIT_HARNESS_BROKEN = 2


def build_parser() -> argparse.ArgumentParser:
    """The CLI."""
    parser = argparse.ArgumentParser(prog="local-voice-eval", description=__doc__)
    parser.add_argument(
        "--commands", type=Path, required=True, help="folder with commands.jsonl and the WAVs"
    )
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--limit", type=int, help="only the first N commands")
    parser.add_argument(
        "--answer-did-you-mean",
        action="store_true",
        help='answer "Did you mean: X?" with a spoken "yes" when X is what the command said',
    )
    add_stack_arguments(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the evaluation; return the exit code."""
    args = build_parser().parse_args(argv)
    try:
        commands = load_commands(args.commands)
    except (CommandSetError, OSError) as err:
        sys.stderr.write(f"local-voice-eval: {err}\n")
        return EXIT_HARNESS_BROKEN
    if args.limit:
        commands = commands[: args.limit]
    if args.overhear > 1 and (args.fast or args.satellite != "mqtt" or args.satellites > 1):
        sys.stderr.write(
            "local-voice-eval: --overhear needs MQTT satellites hearing in real time "
            "(no --fast, no --satellites)\n"
        )
        return EXIT_HARNESS_BROKEN

    outcomes: list[report.CommandOutcome] = []  # kept if the harness breaks midway

    def show(outcome: report.CommandOutcome, _turn: object) -> None:
        outcomes.append(outcome)
        sys.stdout.write(report.line(outcome) + "\n")
        sys.stdout.flush()

    reply = _spoken_yes() if args.answer_did_you_mean else None
    error = ""
    info = None
    try:
        result = asyncio.run(
            run_commands(
                commands,
                stack_options(args),
                satellites=args.satellites,
                overhear=args.overhear,
                satellite=args.satellite,
                realtime=not args.fast,
                warmup=not args.no_warmup,
                on_result=show,
                reply=reply,
            )
        )
        info = result.info
    except (KeyboardInterrupt, asyncio.CancelledError):  # Ctrl-C or SIGTERM (processes.py)
        sys.stderr.write("local-voice-eval: interrupted; everything was stopped\n")
        return 130
    except Exception as err:  # noqa: BLE001 - the harness broke: say so, exit non-zero
        error = f"{type(err).__name__}: {err}"
        traceback.print_exc()
    succeeded = sum(o.success for o in outcomes)
    lost = sum(o.lost for o in outcomes)
    unrun = f", {len(commands) - len(outcomes)} not run (the harness broke)" if error else ""
    sys.stdout.write(f"commands: {succeeded}/{len(commands)} succeeded, {lost} lost{unrun}\n")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        doc = report.results_json(outcomes, config_of(args), error)
        doc["stack"] = report.stack_json(info)
        args.json.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return EXIT_HARNESS_BROKEN if error else 0


def _spoken_yes() -> bytes:
    """PCM of "yes" in the bundled voice (synthesized here, never downloaded)."""
    with tempfile.TemporaryDirectory(prefix="lv-yes-") as tmp:
        path = Path(tmp) / "yes.wav"
        spoken_reply("Yes.", path)
        return read_pcm(path)


def run() -> None:
    """Console entry point: SIGTERM stops the stack like Ctrl-C does."""
    install_stop_handlers()
    sys.exit(main())


if __name__ == "__main__":
    run()
