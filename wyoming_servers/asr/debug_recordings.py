"""Opt-in debug recordings of what the speech-to-text server heard.

Off unless ``--record-dir`` is given. Each finished utterance (16 kHz mono
PCM) and its transcript are sealed into one AES-256-GCM file by
:mod:`wyoming_servers.recordings`, with retention in days and megabytes. The
server never knows the answer (the agent speaks it later, elsewhere), so the
recording's ``answer`` is empty; the integration's side could add it.

The key comes from a file (``--record-key-file``: 64 hex digits or base64),
never from the command line (``ps`` would show it) and never into a log:
errors name the file, not its content. Saving runs off the event loop and a
failed save is logged and forgotten; it never costs the user the transcript.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Final

import numpy as np

from wyoming_servers.core.audio import TARGET_RATE
from wyoming_servers.core.cli import positive_float
from wyoming_servers.recordings import RecordingError, RecordingStore, parse_key

if TYPE_CHECKING:
    import argparse

    import numpy.typing as npt

_LOGGER = logging.getLogger(__name__)
DEFAULT_DAYS: Final = 7.0
DEFAULT_MAX_MB: Final = 200.0
_INT16_MAX: Final = 32767


def add_recording_arguments(parser: argparse.ArgumentParser) -> None:
    """``--record-dir``, ``--record-key-file``, ``--record-days``, ``--record-max-mb``."""
    group = parser.add_argument_group("debug recordings (off unless --record-dir is given)")
    group.add_argument(
        "--record-dir", type=Path, help="save each utterance and transcript here, encrypted"
    )
    group.add_argument(
        "--record-key-file", type=Path, help="file holding the 256-bit key (hex or base64)"
    )
    group.add_argument("--record-days", type=positive_float, default=DEFAULT_DAYS)
    group.add_argument("--record-max-mb", type=positive_float, default=DEFAULT_MAX_MB)


def store_from_args(args: argparse.Namespace) -> RecordingStore | None:
    """The store the flags ask for, or None; a bad key or missing file is a usage error."""
    if args.record_dir is None:
        if args.record_key_file is not None:
            raise SystemExit("--record-key-file needs --record-dir")
        return None
    if args.record_key_file is None:
        raise SystemExit("--record-dir needs --record-key-file (the encryption key)")
    try:
        key = parse_key(args.record_key_file.read_text(encoding="utf-8"))
        store = RecordingStore(
            args.record_dir,
            key,
            max_days=args.record_days,
            max_bytes=int(args.record_max_mb * 1024 * 1024),
        )
    except OSError as err:
        raise SystemExit(f"cannot read the recording key file {args.record_key_file}") from err
    except RecordingError as err:
        raise SystemExit(f"{args.record_key_file}: {err}") from err
    store.purge()
    _LOGGER.info(
        "debug recordings ON: %s (keep %g days, at most %g MB), encrypted",
        args.record_dir,
        args.record_days,
        args.record_max_mb,
    )
    return store


def to_pcm16(audio: npt.NDArray[np.float32]) -> bytes:
    """Float samples in [-1, 1] to s16le."""
    clipped = np.clip(audio, -1.0, 1.0) * _INT16_MAX
    return clipped.astype("<i2").tobytes()


async def save_utterance(
    store: RecordingStore, audio: npt.NDArray[np.float32], transcript: str, language: str | None
) -> None:
    """Seal one utterance in a worker thread; log (never raise) on failure."""
    pcm = to_pcm16(audio)
    try:
        path = await asyncio.to_thread(
            store.save, pcm, rate=TARGET_RATE, transcript=transcript, answer="", language=language
        )
    except (OSError, RecordingError) as err:
        _LOGGER.warning("debug recording not saved: %s", err)
        return
    _LOGGER.debug("debug recording saved: %s", path.name)
