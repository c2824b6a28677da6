"""Our Wyoming servers as real processes on loopback, started and stopped by PID.

Tests, benchmarks and the demo talk to the servers exactly as HA does: over
a real TCP socket to a separate process. Readiness comes from the server's
own log line (``serving on tcp://...``), not from a probe connection, since
pytest-socket may forbid sockets while session fixtures start.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Self

from .paths import REPO_ROOT
from .ports import free_port

_LOGGER = logging.getLogger(__name__)


class ServerStartError(RuntimeError):
    """The server process exited or did not start listening in time."""


class WyomingServerProcess:
    """``python -m MODULE --uri tcp://127.0.0.1:PORT ARGS...`` with a log file."""

    def __init__(self, module: str, args: list[str] | None = None, port: int | None = None) -> None:
        self.module = module
        self.args = list(args or [])
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self._tmp = tempfile.TemporaryDirectory(prefix=f"lv-{module.rsplit('.', 1)[-1]}-")
        self.log_file = Path(self._tmp.name) / "server.log"
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def uri(self) -> str:
        """Where clients connect."""
        return f"tcp://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        """PID of the running server."""
        return self._proc.pid if self._proc and self._proc.poll() is None else None

    def log(self) -> str:
        """Everything the server logged so far."""
        try:
            return self.log_file.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def start(self, timeout: float = 120.0) -> Self:
        """Start and wait until the server logs that it listens."""
        if self.pid is not None:
            return self
        env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
        with self.log_file.open("wb") as log:
            self._proc = subprocess.Popen(  # noqa: S603 - our own module, fixed argv
                [sys.executable, "-m", self.module, "--uri", self.uri, *self.args],
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=REPO_ROOT,
                env=env,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise ServerStartError(
                    f"{self.module} exited ({self._proc.returncode}):\n{self.log()[-4000:]}"
                )
            if f"serving on {self.uri}" in self.log():
                _LOGGER.info("%s pid %s serving on %s", self.module, self.pid, self.uri)
                return self
            time.sleep(0.05)
        self.stop()
        raise ServerStartError(f"{self.module} did not listen within {timeout} s:\n{self.log()}")

    def stop(self) -> None:
        """Terminate by PID and reap."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)

    def close(self) -> None:
        """Stop and remove the log dir."""
        self.stop()
        self._tmp.cleanup()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.close()


def tts_server(args: list[str] | None = None, port: int | None = None) -> WyomingServerProcess:
    """Our text-to-speech server (bundled voice unless ``args`` say otherwise)."""
    return WyomingServerProcess("wyoming_servers.tts", args, port)
