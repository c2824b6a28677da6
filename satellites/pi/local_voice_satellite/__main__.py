"""Console entry point ``local-voice-satellite``: flags/TOML in, satellite running."""

from __future__ import annotations

import logging
import signal
import sys
from typing import TYPE_CHECKING

from .audio_in import AudioInputError, open_source
from .audio_out import AudioOutputError, open_sink
from .config import ConfigError, build_parser, load
from .satellite import Satellite, software_version
from .wakeword import WakeWordError

if TYPE_CHECKING:
    from types import FrameType

_LOGGER = logging.getLogger("local_voice_satellite")


def main(argv: list[str] | None = None) -> int:
    """Run until the input ends (with ``--exit-on-eof``) or SIGTERM/SIGINT; the exit code."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        config = load(args)
        source = open_source(config.input, realtime=config.realtime, pad_seconds=config.pad_seconds)
        sink = open_sink(config.output)
        satellite = Satellite(config, source, sink)
    except (ConfigError, AudioInputError, AudioOutputError, WakeWordError) as err:
        sys.stderr.write(f"local-voice-satellite: {err}\n")
        return 2

    def _on_signal(signum: int, _frame: FrameType | None) -> None:
        _LOGGER.info("signal %d: shutting down", signum)
        satellite.stop()
        if signum == signal.SIGINT or config.input == "-":
            raise KeyboardInterrupt  # unblock a read on stdin

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    _LOGGER.info(
        "%s: satellite %s, broker %s:%s, wake words %s",
        software_version(),
        config.satellite_id,
        config.broker.host,
        config.broker.port,
        ", ".join(config.wake_words),
    )
    try:
        satellite.run()
    except KeyboardInterrupt:
        return 0
    except AudioInputError as err:
        _LOGGER.error("microphone failed: %s", err)  # noqa: TRY400 - message says enough
        return 1
    return 0


def run() -> None:
    """Console script."""
    sys.exit(main())


if __name__ == "__main__":
    run()
