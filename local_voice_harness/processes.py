"""Stopping the processes the harness starts: one way, by PID, always reaped."""

from __future__ import annotations

import subprocess
from typing import Any


def stop_process(
    proc: subprocess.Popen[Any] | None, timeout: float = 5.0, reap_timeout: float = 5.0
) -> bool:
    """SIGTERM, then SIGKILL if it ignores that for ``timeout`` s; reap. True if it was killed."""
    if proc is None or proc.poll() is not None:
        return False
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=reap_timeout)
        return True
    return False
