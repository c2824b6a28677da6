"""The peer Wyoming servers (wyoming-faster-whisper, wyoming-piper) as processes.

The end-to-end benchmark runs the same harness with the peers in place of our
servers. They live in ``.venv-peers`` (their pins clash with HA's; see
``benchmarks/setup_peers.sh``) and are pointed at the same bundled models,
offline. Readiness is a real Wyoming ``describe`` round trip.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Final, Self

from wyoming_servers import DEFAULTS_SET

from .paths import REPO_ROOT
from .ports import free_port
from .processes import spawn, stop_process

PEERS_VENV: Final = REPO_ROOT / ".venv-peers"
# Our servers' tuning, not the peers': they run in the environment their users would give them.
_OURS_ONLY: Final = frozenset({"OPENBLAS_NUM_THREADS"})
_MAX_HEADER: Final = 64 * 1024


class PeerServerError(RuntimeError):
    """A peer server is not installed, exited, or never answered ``describe``."""


def describe_answers(host: str, port: int, limit_s: float = 2.0) -> bool:
    """True when a Wyoming server at host:port answers ``describe`` with ``info``."""
    try:
        with socket.create_connection((host, port), timeout=limit_s) as sock:
            sock.sendall(b'{"type": "describe"}\n')
            header = sock.makefile("rb").readline(_MAX_HEADER)
    except OSError:
        return False
    try:
        return bool(json.loads(header).get("type") == "info")
    except (ValueError, AttributeError):
        return False


def peer_env() -> dict[str, str]:
    """The environment less the tuning defaults ``wyoming_servers`` set in this process.

    Importing ``wyoming_servers`` sets ``OPENBLAS_NUM_THREADS=1`` here, and
    children inherit it; the peers would then be measured with our tuning.
    A value the user set before is theirs and is kept.
    """
    return {
        name: value
        for name, value in os.environ.items()
        if not (name in _OURS_ONLY and name in DEFAULTS_SET)
    }


class CommandServerProcess:
    """Any Wyoming server started from an argv, on a free loopback port."""

    def __init__(self, name: str, argv: list[str]) -> None:
        self.name = name
        self.host = "127.0.0.1"
        self.port = free_port()
        self.uri = f"tcp://{self.host}:{self.port}"
        self._tmp = tempfile.TemporaryDirectory(prefix=f"lv-{name}-")
        self.data_dir = Path(self._tmp.name)
        self.argv = [a.format(uri=self.uri, data=self.data_dir) for a in argv]
        self.log_file = self.data_dir / "server.log"
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        """PID of the running server."""
        return self._proc.pid if self._proc and self._proc.poll() is None else None

    def start(self, limit_s: float = 120.0) -> Self:
        """Start it and wait for a ``describe`` answer."""
        if not Path(self.argv[0]).exists():
            raise PeerServerError(f"{self.argv[0]} missing: run benchmarks/setup_peers.sh")
        with self.log_file.open("wb") as log:
            self._proc = spawn(self.argv, stdout=log, stderr=subprocess.STDOUT, env=peer_env())
        deadline = time.monotonic() + limit_s
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise PeerServerError(f"{self.name} exited:\n{self.log_file.read_text()[-3000:]}")
            if describe_answers(self.host, self.port):
                return self
            time.sleep(0.2)
        self.stop()
        raise PeerServerError(f"{self.name} did not answer describe within {limit_s} s")

    def stop(self) -> None:
        """Terminate by PID and reap."""
        proc, self._proc = self._proc, None
        stop_process(proc, timeout=10)
        self._tmp.cleanup()


def peer_asr(model_dir: Path, beam_size: int = 5) -> CommandServerProcess:
    """wyoming-faster-whisper 3.8.1 on the bundled model, offline."""
    return CommandServerProcess(
        "peer-asr",
        [
            str(PEERS_VENV / "bin" / "wyoming-faster-whisper"),
            "--uri",
            "{uri}",
            "--model",
            str(model_dir),
            "--data-dir",
            "{data}",
            "--language",
            "en",
            "--beam-size",
            str(beam_size),
            "--compute-type",
            "int8",
            "--device",
            "cpu",
            "--local-files-only",
        ],
    )


def peer_tts(voice_dir: Path, voice: str) -> CommandServerProcess:
    """wyoming-piper 2.5.2 on the bundled voice, offline."""
    return CommandServerProcess(
        "peer-tts",
        [
            str(PEERS_VENV / "bin" / "wyoming-piper"),
            "--uri",
            "{uri}",
            "--voice",
            voice,
            "--data-dir",
            str(voice_dir),
            "--local-files-only",
        ],
    )
