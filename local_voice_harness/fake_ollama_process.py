"""The scripted stand-in LLM (:mod:`local_voice_harness.fake_ollama`) as a process.

There is no Ollama here and no shippable model good enough to choose tools,
so the demo's agent entry points at this stand-in. It is labelled as such
everywhere it appears: it always answers one fixed sentence, never a tool call.
"""

from __future__ import annotations

import subprocess
import sys
import time
from typing import TYPE_CHECKING, Final, Self

from .paths import REPO_ROOT
from .ports import free_port
from .processes import spawn, stop_process

if TYPE_CHECKING:
    from pathlib import Path

STAND_IN_MODEL: Final = "scripted-stand-in:latest"
STAND_IN_REPLY: Final = "Sorry, I can't help with that."


class FakeOllamaError(RuntimeError):
    """The stand-in exited or did not listen in time."""


class FakeOllamaProcess:
    """``python -m local_voice_harness.fake_ollama`` on a free loopback port."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_file = workdir / "fake_ollama.log"
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        """PID of the running stand-in."""
        return self._proc.pid if self._proc and self._proc.poll() is None else None

    def start(self, timeout: float = 30.0) -> Self:
        """Start and wait for its 'fake ollama on' line."""
        with self.log_file.open("wb") as log:
            self._proc = spawn(
                [
                    sys.executable,
                    "-m",
                    "local_voice_harness.fake_ollama",
                    "--port",
                    str(self.port),
                    "--model",
                    STAND_IN_MODEL,
                    "--reply",
                    STAND_IN_REPLY,
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=REPO_ROOT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise FakeOllamaError(f"fake ollama exited:\n{self.log_file.read_text()}")
            if "fake ollama on" in self.log_file.read_text(errors="replace"):
                return self
            time.sleep(0.05)
        self.stop()
        raise FakeOllamaError(f"fake ollama did not listen within {timeout} s")

    def stop(self) -> None:
        """Terminate by PID and reap."""
        proc, self._proc = self._proc, None
        stop_process(proc)
