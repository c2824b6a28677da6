"""Console entry point ``local-voice-tts`` (also ``python -m wyoming_servers.tts``).

Loads every installed voice once (and warms it up), then serves Wyoming
text to speech on the shared server core: caps, timeouts, ``--max-clients``
and its queue, zeroconf and Prometheus metrics come from
:mod:`wyoming_servers.core`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import time
from functools import partial
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from wyoming_servers.core.cli import (
    add_server_arguments,
    positive_float,
    positive_int,
    serve,
    setup_logging,
)
from wyoming_servers.core.errors import BadEventDataError
from wyoming_servers.core.metrics import ServerMetrics
from wyoming_servers.models import DEFAULT_PIPER_VOICE

from .cache import AudioCache
from .common_answers import DEFAULT_FILE as DEFAULT_ANSWERS
from .common_answers import load_answers, warm_answers
from .handler import PROGRAM_NAME, TtsConnection, TtsService, build_info
from .requests import ServerDefaults, resolve_request
from .synthesizer import Synthesizer, default_workers
from .voices import (
    LENGTH_SCALE_RANGE,
    NOISE_SCALE_RANGE,
    CudaUnavailableError,
    Prosody,
    VoiceCatalogue,
)

_LOGGER = logging.getLogger(__name__)
DEFAULT_URI = "tcp://0.0.0.0:10200"
DEFAULT_MAX_CHARS = 5000
DEFAULT_CACHE_MB = 64.0


def _package_version() -> str:
    try:
        return version("local-voice")
    except PackageNotFoundError:
        return "0.0.0"


def _cache_megabytes(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 64 * 1024:
        raise argparse.ArgumentTypeError(f"cache size must be in [0, 65536] MB, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """All flags of ``local-voice-tts``."""
    parser = argparse.ArgumentParser(prog=PROGRAM_NAME, description=__doc__)
    add_server_arguments(parser, default_uri=DEFAULT_URI, zeroconf_name=PROGRAM_NAME)
    parser.add_argument(
        "--voice",
        default=DEFAULT_PIPER_VOICE,
        help="default voice: a bundled name or a path to VOICE.onnx (+ VOICE.onnx.json)",
    )
    parser.add_argument("--voices-dir", type=Path, help="more voices (NAME.onnx + .onnx.json)")
    parser.add_argument("--speaker", help="default speaker of a multi-speaker voice")
    parser.add_argument("--length-scale", type=positive_float, help="slower > 1 > faster")
    parser.add_argument("--noise-scale", type=float, help="generator noise (voice default)")
    parser.add_argument("--noise-w-scale", type=float, help="phoneme width noise")
    parser.add_argument("--max-chars", type=positive_int, default=DEFAULT_MAX_CHARS)
    parser.add_argument(
        "--cache-size",
        type=_cache_megabytes,
        default=DEFAULT_CACHE_MB,
        metavar="MB",
        help="synthesized-audio cache size in MB (0 disables it)",
    )
    parser.add_argument(
        "--workers",
        type=positive_int,
        default=default_workers(),
        help="sentences synthesized at once (default 1: fastest on a small CPU; more loads"
        " a one-thread copy of each voice, ~190 MB)",
    )
    parser.add_argument("--use-cuda", action="store_true", help="run voices on the GPU")
    parser.add_argument(
        "--whole-sentences",
        action="store_true",
        help="make each sentence in one run, scaled to full volume as piper does (audio"
        " starts only when the sentence is done; default: in pieces, the first after ~45 ms)",
    )
    parser.add_argument(
        "--warm-answers",
        type=Path,
        default=DEFAULT_ANSWERS,
        metavar="FILE",
        help="answers to synthesize into the cache at start-up, one per line"
        " (default: Home Assistant's common English answers)",
    )
    parser.add_argument(
        "--no-warm-answers", action="store_true", help="do not fill the cache at start-up"
    )
    return parser


def check_prosody(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Refuse server-wide prosody outside the ranges requests are held to."""
    values = {
        "length_scale": args.length_scale if args.length_scale is not None else 1.0,
        "noise_scale": args.noise_scale if args.noise_scale is not None else 0.5,
        "noise_w_scale": args.noise_w_scale if args.noise_w_scale is not None else 0.5,
    }
    try:
        Prosody(**values)
    except BadEventDataError as err:
        parser.error(f"{err} (length {LENGTH_SCALE_RANGE}, noise {NOISE_SCALE_RANGE})")


async def main(argv: list[str] | None = None) -> None:
    """Parse the command line, load the voices, serve until stopped."""
    parser = build_parser()
    args = parser.parse_args(argv)
    check_prosody(parser, args)
    setup_logging(args.debug)
    if args.voices_dir is not None and not args.voices_dir.is_dir():
        parser.error(f"--voices-dir {args.voices_dir} is not a directory")
    answers: list[str] = []
    if not args.no_warm_answers and args.cache_size > 0:
        try:
            answers = load_answers(args.warm_answers)
        except (OSError, UnicodeDecodeError, ValueError) as err:
            parser.error(f"--warm-answers: {err}")
    metrics = ServerMetrics("tts")
    started = time.perf_counter()
    try:
        catalogue = await asyncio.to_thread(
            VoiceCatalogue.discover,
            args.voice,
            args.voices_dir,
            use_cuda=args.use_cuda,
            concurrent=args.workers > 1,
            stream=not args.whole_sentences,
        )
    except (FileNotFoundError, CudaUnavailableError) as err:
        parser.error(str(err))
    metrics.model_loaded(time.perf_counter() - started)
    default_voice = catalogue.default
    if args.speaker is not None:
        default_voice.speaker_id(args.speaker)  # fail at start-up, not per request
    cache = AudioCache(int(args.cache_size * 1024 * 1024))
    synthesizer = Synthesizer(cache, workers=args.workers)
    metrics.queue_source(lambda: synthesizer.queued)
    service = TtsService(
        catalogue=catalogue,
        synthesizer=synthesizer,
        defaults=ServerDefaults(
            speaker=args.speaker,
            length_scale=args.length_scale,
            noise_scale=args.noise_scale,
            noise_w_scale=args.noise_w_scale,
            max_chars=args.max_chars,
        ),
        info=build_info(catalogue, _package_version()),
    )
    _LOGGER.info(
        "ready: %d voice(s), default %s (%s), %d workers, cache %.0f MB",
        len(catalogue),
        default_voice.name,
        "in pieces" if default_voice.engines.polite.streams else "whole sentences",
        synthesizer.workers,
        args.cache_size,
    )
    try:
        if answers:  # before serving: a request never waits behind the warm-up
            request = resolve_request({}, catalogue, service.defaults)
            await warm_answers(synthesizer, request, answers)
        await serve(args, partial(TtsConnection, service=service), metrics)
    finally:
        await synthesizer.close()


def run() -> None:
    """Console entry point."""
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())


if __name__ == "__main__":
    run()
