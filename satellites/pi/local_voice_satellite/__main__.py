"""Console entry point ``local-voice-satellite`` (not built yet: see the satellite issue)."""

from __future__ import annotations

import sys


def run() -> None:
    """Say plainly that the satellite is not built yet."""
    sys.stderr.write("local-voice-satellite: not built yet\n")
    sys.exit(2)


if __name__ == "__main__":
    run()
