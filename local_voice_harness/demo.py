"""Console entry point `local-voice-demo` (not built yet: see the end-to-end issue)."""

from __future__ import annotations

import sys


def run() -> None:
    """Say plainly that this is not built yet."""
    sys.stderr.write("local-voice-demo: not built yet\n")
    sys.exit(2)
