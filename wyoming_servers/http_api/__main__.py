"""Console entry point ``local-voice-api`` (also ``python -m wyoming_servers.http_api``).

Serves the OpenAI-compatible HTTP API on ``--host``/``--port`` and talks
Wyoming to ``--asr-uri`` and ``--tts-uri``. The allow list defaults to
loopback and the private LAN ranges, as the add-on's Wyoming servers do.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal

from aiohttp import web

from wyoming_servers.core.cli import (
    network,
    port_number,
    positive_float,
    positive_int,
    setup_logging,
)

from .app import create_app
from .config import (
    DEFAULT_ASR_URI,
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_HOST,
    DEFAULT_MAX_ACTIVE,
    DEFAULT_MAX_CHARS,
    DEFAULT_MAX_QUEUED,
    DEFAULT_MAX_UPLOAD_BYTES,
    DEFAULT_PORT,
    DEFAULT_TIMEOUT,
    DEFAULT_TTS_URI,
    ApiConfig,
    default_networks,
)

_LOGGER = logging.getLogger(__name__)


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """All flags of ``local-voice-api``."""
    parser = argparse.ArgumentParser(prog="local-voice-api", description=__doc__)
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", type=port_number, default=DEFAULT_PORT)
    parser.add_argument("--asr-uri", default=DEFAULT_ASR_URI, help="local-voice-asr (tcp/unix)")
    parser.add_argument("--tts-uri", default=DEFAULT_TTS_URI, help="local-voice-tts (tcp/unix)")
    parser.add_argument(
        "--allow",
        type=network,
        action="append",
        metavar="CIDR",
        help="only accept clients from these networks (repeatable; "
        "default: loopback and private LAN ranges)",
    )
    parser.add_argument("--max-clients", type=positive_int, default=DEFAULT_MAX_ACTIVE)
    parser.add_argument("--max-queued", type=_non_negative_int, default=DEFAULT_MAX_QUEUED)
    parser.add_argument("--max-upload-bytes", type=positive_int, default=DEFAULT_MAX_UPLOAD_BYTES)
    parser.add_argument("--max-chars", type=positive_int, default=DEFAULT_MAX_CHARS)
    parser.add_argument("--timeout", type=positive_float, default=DEFAULT_TIMEOUT)
    parser.add_argument("--connect-timeout", type=positive_float, default=DEFAULT_CONNECT_TIMEOUT)
    parser.add_argument("--debug", action="store_true", help="log at DEBUG level")
    return parser


def config_from_args(parser: argparse.ArgumentParser, args: argparse.Namespace) -> ApiConfig:
    """The validated configuration; a bad value is a usage error."""
    try:
        return ApiConfig(
            asr_uri=args.asr_uri,
            tts_uri=args.tts_uri,
            allow=args.allow or default_networks(),
            max_upload_bytes=args.max_upload_bytes,
            max_chars=args.max_chars,
            max_active=args.max_clients,
            max_queued=args.max_queued,
            timeout=args.timeout,
            connect_timeout=args.connect_timeout,
        )
    except ValueError as err:
        parser.error(str(err))


async def main(argv: list[str] | None = None) -> None:
    """Serve until SIGINT/SIGTERM."""
    parser = build_parser()
    args = parser.parse_args(argv)
    setup_logging(args.debug)
    try:
        app = create_app(config_from_args(parser, args))
    except ValueError as err:
        parser.error(str(err))
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=5.0)  # streams end fast
    await runner.setup()
    site = web.TCPSite(runner, args.host, args.port)
    await site.start()
    _LOGGER.info(
        "serving on http://%s:%d (asr %s, tts %s)", args.host, args.port, args.asr_uri, args.tts_uri
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        _LOGGER.info("stopping")
        await runner.cleanup()


def run() -> None:
    """Console entry point."""
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())


if __name__ == "__main__":
    run()
