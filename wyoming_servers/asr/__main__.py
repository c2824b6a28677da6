"""Console entry point ``local-voice-asr`` (also ``python -m wyoming_servers.asr``)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
from functools import partial
from pathlib import Path

from wyoming_servers.core.cli import (
    add_server_arguments,
    positive_float,
    positive_int,
    serve,
    setup_logging,
)
from wyoming_servers.core.metrics import ServerMetrics
from wyoming_servers.models import DEFAULT_WHISPER_MODEL

from .debug_recordings import add_recording_arguments, store_from_args
from .handler import AsrConnection, AsrOptions
from .info import build_info
from .transcriber import DEVICES, Transcriber, TranscriberConfig
from .utterance import PAUSE_SECONDS, pause_seconds_argument
from .vocabulary import load_vocabulary_file
from .warmup import warm_up
from .window import encoder_window_argument

_LOGGER = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    """All flags of the speech-to-text server."""
    parser = argparse.ArgumentParser(
        prog="local-voice-asr", description="Wyoming speech-to-text server (faster-whisper)"
    )
    add_server_arguments(parser, default_uri="tcp://0.0.0.0:10300", zeroconf_name="local-voice-asr")
    parser.add_argument(
        "--model", default=DEFAULT_WHISPER_MODEL, help="bundled name (tiny.en, base) or a path"
    )
    parser.add_argument("--language", help="language code for multilingual models")
    parser.add_argument(
        "--beam-size",
        type=positive_int,
        default=5,
        help="5 matches wyoming-faster-whisper's WER; 1 (greedy) is faster, a few words worse",
    )
    parser.add_argument("--compute-type", help="default: float16 on CUDA, int8 on CPU")
    parser.add_argument("--device", choices=DEVICES, default="auto")
    parser.add_argument("--num-workers", type=positive_int, default=2)
    parser.add_argument(
        "--cpu-threads",
        type=positive_int,
        default=None,
        help="threads per decode (default: the CPU cores divided among --num-workers, at least"
        " 1; more only wait for cores another decode holds, see docs/asr.md)",
    )
    parser.add_argument(
        "--encoder-window",
        type=encoder_window_argument,
        default=15.0,
        help="seconds of audio the encoder sees when the utterance fits (1-30; 30 = Whisper's"
        " own window; 15 halves the decode time, see docs/asr.md)",
    )
    parser.add_argument(
        "--busy-beam-size",
        type=positive_int,
        default=1,
        help="beam of a decode that starts while another is in flight (default 1: four"
        " clients at once on 2 cores finish sooner; set it to --beam-size to turn this off)",
    )
    parser.add_argument(
        "--busy-encoder-window",
        type=encoder_window_argument,
        default=10.0,
        help="encoder window in seconds of a decode that starts while another is in flight"
        " (set it to --encoder-window to turn this off)",
    )
    parser.add_argument(
        "--max-seconds", type=positive_float, default=30.0, help="longest utterance accepted"
    )
    parser.add_argument(
        "--vocabulary", type=Path, help="file of names that bias recognition, one per line"
    )
    parser.add_argument(
        "--no-early-decode",
        action="store_true",
        help="do not decode while audio arrives (saves CPU, costs latency)",
    )
    parser.add_argument(
        "--pause-seconds",
        type=pause_seconds_argument,
        default=PAUSE_SECONDS,
        help="quiet after speech that is a pause: an early decode, words sent for endpointing",
    )
    parser.add_argument(
        "--no-decode-ahead",
        action="store_true",
        help=(
            "for endpointing, decode a pause when it is one, not 60 ms into the quiet "
            "(saves the decodes that speech wastes; its words come ~90 ms later)"
        ),
    )
    parser.add_argument(
        "--loudness-pauses",
        action="store_true",
        help=(
            "find the pauses of endpointing sessions by loudness alone, without the Silero "
            "voice detector (about 6%% of a core less per speaker; no pauses found in noise)"
        ),
    )
    add_recording_arguments(parser)
    return parser


async def main(argv: list[str] | None = None) -> None:
    """Parse arguments, load the model once, serve until stopped."""
    args = build_parser().parse_args(argv)
    setup_logging(args.debug)
    recordings = store_from_args(args)
    vocabulary = tuple(load_vocabulary_file(args.vocabulary)) if args.vocabulary else ()
    config = TranscriberConfig(
        model=args.model,
        device=args.device,
        compute_type=args.compute_type,
        beam_size=args.beam_size,
        language=args.language,
        num_workers=args.num_workers,
        cpu_threads=args.cpu_threads or 0,
        encoder_window=args.encoder_window,
        vocabulary=vocabulary,
        busy_beam_size=args.busy_beam_size,
        busy_encoder_window=args.busy_encoder_window,
    )
    transcriber = await asyncio.to_thread(Transcriber, config)
    await asyncio.to_thread(warm_up, transcriber)  # the first command pays no cold start
    metrics = ServerMetrics("asr")
    metrics.model_loaded(transcriber.load_seconds)
    metrics.queue_source(lambda: max(transcriber.busy - args.num_workers, 0))
    options = AsrOptions(
        info_event=build_info(transcriber).event(),
        max_seconds=args.max_seconds,
        vocabulary=vocabulary,
        early_decode=not args.no_early_decode,
        pause_seconds=args.pause_seconds,
        decode_ahead=not args.no_decode_ahead,
        voice_pauses=not args.loudness_pauses,
        recordings=recordings,
    )
    try:
        await serve(args, partial(AsrConnection, transcriber=transcriber, options=options), metrics)
    finally:
        transcriber.close()


def run() -> None:
    """Console entry point."""
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())


if __name__ == "__main__":
    run()
