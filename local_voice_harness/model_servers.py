"""The language-model servers the stack runs, as processes started and stopped by PID.

- ``bundled``: ``local-voice-llm`` (``python -m wyoming_servers.llm``) with the
  bundled Qwen2.5-Coder-1.5B on an OpenAI-compatible port; with ``ollama`` as
  the API, the Ollama double (:mod:`local_voice_harness.ollama_double`) in
  front of it, so the agent's Ollama client talks to the same real model.
- ``scripted``: the scripted stand-in (:mod:`local_voice_harness.fake_ollama`),
  for fast tests only. It always answers one fixed sentence and never calls a
  tool; everything that shows it says so.

Each process writes a log file in the stack's work dir and is ready when a
known line appears in it.
"""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Self

from wyoming_servers.llm.bundled import DEFAULT_MODEL, MODELS

from .paths import REPO_ROOT
from .ports import free_port
from .processes import spawn, stop_process

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

STAND_IN_MODEL: Final = "scripted-stand-in:latest"
STAND_IN_REPLY: Final = "Sorry, I can't help with that."
LLM_START_TIMEOUT_S: Final = 180.0  # maps a 1.1 GB model; a cold disk or a busy host is slow


class ModelServerError(RuntimeError):
    """A model server exited, or did not get ready in time (its log is in the message)."""


@dataclass(frozen=True, slots=True)
class ModelEndpoint:
    """Where the agent finds a model: the config flow's backend and URL."""

    backend: str  # "ollama" | "openai"
    url: str
    description: str


class ModelServerProcess:
    """One server process with a log file; ready once ``ready_text`` shows in the log."""

    def __init__(
        self, name: str, argv: Sequence[str], ready_text: str, log_file: Path, url: str
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.ready_text = ready_text
        self.log_file = log_file
        self.url = url
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        """PID while running."""
        return self._proc.pid if self._proc and self._proc.poll() is None else None

    def log_tail(self, lines: int = 30) -> str:
        """The end of its log (for errors)."""
        try:
            text = self.log_file.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def start(self, timeout: float = 30.0) -> Self:
        """Start and wait for the ready line; on failure stop it and raise with its log."""
        with self.log_file.open("wb") as log:
            self._proc = spawn(self.argv, stdout=log, stderr=subprocess.STDOUT, cwd=REPO_ROOT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise ModelServerError(f"{self.name} exited:\n{self.log_tail()}")
            if self.ready_text in self.log_file.read_text(errors="replace"):
                return self
            time.sleep(0.1)
        self.stop()
        tail = self.log_tail()
        raise ModelServerError(f"{self.name} was not ready within {timeout:.0f} s:\n{tail}")

    def stop(self) -> None:
        """Terminate by PID and reap (idempotent)."""
        proc, self._proc = self._proc, None
        stop_process(proc, timeout=10.0)


def scripted_stand_in(workdir: Path) -> ModelServerProcess:
    """The scripted stand-in on a free loopback port (Ollama's API)."""
    port = free_port()
    argv = [sys.executable, "-m", "local_voice_harness.fake_ollama", "--port", str(port)]
    argv += ["--model", STAND_IN_MODEL, "--reply", STAND_IN_REPLY]
    return ModelServerProcess(
        "scripted stand-in LLM",
        argv,
        "fake ollama on",
        workdir / "fake_ollama.log",
        f"http://127.0.0.1:{port}",
    )


def bundled_model_title(name: str | None) -> str:
    """``Qwen2.5-Coder-1.5B-Instruct, Q4_K_M GGUF`` for the default; the title of a named one."""
    model = MODELS.get(name or DEFAULT_MODEL)
    return model.title if model is not None else str(name)


def bundled_llm(
    workdir: Path, threads: int | None = None, model: str | None = None, *, debug: bool = False
) -> ModelServerProcess:
    """``local-voice-llm`` with a bundled model on a free loopback port (OpenAI's API).

    ``debug``: llama.cpp's own log too (each slot's cached and new prompt tokens).
    """
    port = free_port()
    argv = [sys.executable, "-m", "wyoming_servers.llm", "--port", str(port)]
    if threads is not None:
        argv += ["--threads", str(threads)]
    if model is not None:
        argv += ["--model", model]
    if debug:
        argv.append("--debug")
    return ModelServerProcess(
        "local-voice-llm",
        argv,
        "listening on",
        workdir / "llm.log",
        f"http://127.0.0.1:{port}",
    )


def ollama_double(workdir: Path, upstream: str) -> ModelServerProcess:
    """Ollama's wire format in front of an OpenAI-compatible server."""
    port = free_port()
    argv = [sys.executable, "-m", "local_voice_harness.ollama_double", "--port", str(port)]
    argv += ["--upstream", upstream]
    return ModelServerProcess(
        "Ollama double",
        argv,
        "ollama double on",
        workdir / "ollama_double.log",
        f"http://127.0.0.1:{port}",
    )


def endpoint_for_url(url: str, api: str = "auto") -> ModelEndpoint:
    """A server the user runs: ``api`` ollama/openai, or auto (a ``/v1`` path means OpenAI)."""
    url = url.rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"--llm takes bundled, scripted or an http(s) URL, got {url!r}")
    if api == "auto":
        api = "openai" if url.endswith("/v1") else "ollama"
    return ModelEndpoint(api, url, f"the model server at {url} ({api} API)")
