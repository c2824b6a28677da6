"""Command line for the Ollama double, so the harness can run it as a process.

python -m local_voice_harness.ollama_double --port 11434 --upstream http://127.0.0.1:10600

It prints ``ollama double on http://HOST:PORT`` once it listens and serves
until SIGINT/SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal

from wyoming_servers.core.cli import port_number, positive_float, setup_logging

from .ollama_double import DEFAULT_PORT, DoubleConfig, OllamaDouble

_LOGGER = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    """All flags of the double."""
    parser = argparse.ArgumentParser(
        prog="python -m local_voice_harness.ollama_double",
        description="Ollama's API in front of an OpenAI-compatible server (local-voice-llm).",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=port_number, default=DEFAULT_PORT)
    parser.add_argument(
        "--upstream",
        default="http://127.0.0.1:10600",
        help="the OpenAI-compatible server (http://HOST:PORT, with or without /v1)",
    )
    parser.add_argument("--name", help="the model name to list (default: '<upstream id>:latest')")
    parser.add_argument("--connect-timeout", type=positive_float, default=5.0)
    parser.add_argument(
        "--read-timeout",
        type=positive_float,
        default=120.0,
        help="longest silence from the upstream, seconds (a cold prompt is evaluated in it)",
    )
    parser.add_argument("--request-timeout", type=positive_float, default=600.0)
    parser.add_argument("--debug", action="store_true", help="log at DEBUG level")
    return parser


async def main(argv: list[str] | None = None) -> None:
    """Serve until SIGINT/SIGTERM."""
    parser = build_parser()
    args = parser.parse_args(argv)
    setup_logging(args.debug)
    try:
        config = DoubleConfig(
            upstream=args.upstream,
            name=args.name,
            connect_timeout=args.connect_timeout,
            read_timeout=args.read_timeout,
            request_timeout=args.request_timeout,
        )
    except ValueError as err:
        parser.error(str(err))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    try:
        double = OllamaDouble(config, host=args.host, port=args.port)
        await double.start()
    except OSError as err:
        parser.exit(1, f"cannot listen on {args.host}:{args.port}: {err}\n")
    try:
        _LOGGER.info("forwarding to %s", config.upstream)
        print(f"ollama double on {double.url}", flush=True)  # noqa: T201 - the harness waits for it
        await stop.wait()
    finally:
        await double.stop()


def run() -> None:
    """Console entry point."""
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())


if __name__ == "__main__":
    run()
