"""Command line for the fake Ollama server (demo and manual tests).

python -m local_voice_harness.fake_ollama_cli --port 11434 --reply "Hello" --delay 0.3
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
from pathlib import Path

from .fake_ollama import FakeOllama, ScriptedTurn


def run() -> None:
    """Serve until interrupted: ``python -m local_voice_harness.fake_ollama --port 11434``."""
    parser = argparse.ArgumentParser(description="A fake Ollama server for demos and tests.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=11434)
    parser.add_argument("--model", action="append", default=[], help="model to list (repeat)")
    parser.add_argument("--script", help="JSON file: a list of scripted turns")
    parser.add_argument("--reply", default="I can't help with that.", help="answer when idle")
    parser.add_argument("--delay", type=float, default=0.0, help="first-token delay, seconds")
    args = parser.parse_args()

    async def main() -> None:
        server = FakeOllama(
            models=args.model or ["llama3.2:latest"],
            default_turn=ScriptedTurn(text=args.reply, first_token_delay_s=args.delay),
            host=args.host,
            port=args.port,
        )
        if args.script:
            turns = json.loads(Path(args.script).read_text(encoding="utf-8"))  # noqa: ASYNC240
            server.add_turns(*(ScriptedTurn.from_dict(t) for t in turns))
        async with server:
            print(f"fake ollama on {server.url}", flush=True)  # noqa: T201
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.Event().wait()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())


if __name__ == "__main__":
    run()
