"""Real processes for the HTTP API tests: both Wyoming servers and the gateway.

The servers run with ``--metrics-port`` so the dashboard test can scrape
them; the gateways are real ``python -m wyoming_servers.http_api``
processes on loopback. Everything is started once per session and stopped
by PID.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING

import pytest

from local_voice_harness.paths import REPO_ROOT
from local_voice_harness.ports import free_port

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from local_voice_harness.servers import WyomingProcess


# Every gateway's log, removed when the test run ends (they are read during it).
_LOGS = tempfile.TemporaryDirectory(prefix="lv-api-")


@dataclass
class ApiProcess:
    """``local-voice-api`` on ``127.0.0.1:port`` with extra flags."""

    args: list[str]
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    log_path: Path = field(
        default_factory=lambda: Path(tempfile.mkdtemp(dir=_LOGS.name)) / "api.log"
    )

    def log(self) -> str:
        """What the gateway logged (for failure messages)."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> ApiProcess:
        with self.log_path.open("wb") as log:
            self.process = self._popen(log)
        try:
            return self._wait(timeout)
        except BaseException:
            self.stop()  # never leave a process behind a failed start
            raise

    def _popen(self, log: IO[bytes]) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "wyoming_servers.http_api",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                *self.args,
            ],
            stdout=subprocess.DEVNULL,
            stderr=log,
            cwd=REPO_ROOT,
            env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        )

    def _wait(self, timeout: float) -> ApiProcess:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"local-voice-api exited with {self.process.returncode}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/openapi.json", timeout=2):
                    return self
            except urllib.error.HTTPError:
                return self  # it answers (e.g. 403): it is up
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("local-voice-api did not answer in time")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.kill(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)


@dataclass(frozen=True)
class Stack:
    """The servers behind the main gateway, and their metrics ports."""

    asr: WyomingProcess
    tts: WyomingProcess
    asr_metrics_port: int
    tts_metrics_port: int


@pytest.fixture(scope="session")
def api_stack() -> Iterator[Stack]:
    """``local-voice-asr`` and ``local-voice-tts`` with metrics, once per session."""
    import pytest_socket

    from local_voice_harness.servers import WyomingProcess

    pytest_socket.enable_socket()
    asr_metrics, tts_metrics = free_port(), free_port()
    with (
        WyomingProcess.asr("--metrics-port", str(asr_metrics)) as asr,
        WyomingProcess.tts("--metrics-port", str(tts_metrics), "--max-chars", "300") as tts,
        _current_event_loop(),
    ):
        yield Stack(asr, tts, asr_metrics, tts_metrics)


@contextlib.contextmanager
def _current_event_loop() -> Iterator[None]:
    """Give the main thread a current event loop again, closed at the end.

    ``WyomingProcess.start`` waits for ``describe`` with ``asyncio.run``, which
    leaves the thread without a current loop; the HA test plugin's autouse
    ``enable_event_loop_debug`` calls ``asyncio.get_event_loop()`` before
    every test and raises without one.
    """
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        yield
    finally:
        asyncio.set_event_loop(None)
        loop.close()


@pytest.fixture(scope="session")
def api_gateway(api_stack: Stack) -> Iterator[ApiProcess]:
    """The gateway in front of the real servers, with small caps for the tests."""
    import pytest_socket

    pytest_socket.enable_socket()  # the readiness probe is a real HTTP request
    args = [
        "--asr-uri",
        api_stack.asr.uri,
        "--tts-uri",
        api_stack.tts.uri,
        "--max-chars",
        "300",
        "--max-upload-bytes",
        str(2 * 1024 * 1024),
    ]
    gateway = ApiProcess(args).start()
    try:
        yield gateway
    finally:
        gateway.stop()


@pytest.fixture
def api_url(api_gateway: ApiProcess, socket_enabled: None) -> str:
    """Base URL of the main gateway (sockets enabled for the test)."""
    return api_gateway.base_url


@pytest.fixture
def start_gateway() -> Iterator[Callable[[list[str]], ApiProcess]]:
    """Start gateways with given flags for one test; all are stopped after it."""
    started: list[ApiProcess] = []

    def start(args: list[str]) -> ApiProcess:
        gateway = ApiProcess(args).start()
        started.append(gateway)
        return gateway

    yield start
    for gateway in started:
        gateway.stop()


@pytest.fixture(scope="module")
def gateway_without_servers() -> Iterator[ApiProcess]:
    """A gateway whose servers do not exist: health must say 503."""
    import pytest_socket

    pytest_socket.enable_socket()
    dead = [f"tcp://127.0.0.1:{free_port()}", f"tcp://127.0.0.1:{free_port()}"]
    gateway = ApiProcess(["--asr-uri", dead[0], "--tts-uri", dead[1], "--connect-timeout", "1"])
    with contextlib.closing(_Stopper(gateway.start())):
        yield gateway


@pytest.fixture(scope="module")
def gateway_for_others() -> Iterator[ApiProcess]:
    """A gateway that allows only 192.0.2.0/24 (TEST-NET-1): loopback is refused."""
    import pytest_socket

    pytest_socket.enable_socket()
    gateway = ApiProcess(["--allow", "192.0.2.0/24"])
    with contextlib.closing(_Stopper(gateway.start())):
        yield gateway


@dataclass
class _Stopper:
    gateway: ApiProcess

    def close(self) -> None:
        self.gateway.stop()
