"""Console entry point `local-voice-asr` (not built yet: see the asr issue)."""

from __future__ import annotations

import sys


def run() -> None:
    """Say plainly that this server is not built yet."""
    sys.stderr.write("local-voice-asr: not built yet\n")
    sys.exit(2)


if __name__ == "__main__":
    run()
