"""Start the Local Voice Wyoming servers as real subprocesses, and talk to them.

Tests, benchmarks and the demo share this: ``WyomingProcess`` starts a
server command on a free loopback port, waits until ``describe`` answers,
and stops it by its PID (never by name). ``transcribe_wav`` is a minimal
Wyoming speech-to-text client speaking the real wire format. Readiness
is a real ``describe`` round trip, so a pytest session fixture must call
``pytest_socket.enable_socket()`` before starting one.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import wave
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Self

from wyoming.asr import Transcribe, Transcript
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.event import Event, async_read_event, async_write_event
from wyoming.info import Describe, Info

from .paths import REPO_ROOT
from .ports import free_port
from .processes import spawn

if TYPE_CHECKING:
    from collections.abc import Coroutine
    from pathlib import Path
    from types import TracebackType

_START_TIMEOUT = 60.0


def _run_on_own_loop[T](coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` on a loop of its own, leaving the thread's current loop alone.

    ``asyncio.run`` clears the current loop when it ends; a session fixture
    that starts a server inside an async test's setup would leave HA's test
    plugin (0.13.316, ``enable_event_loop_debug``) without one, and the test errors.
    """
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coroutine)
    finally:
        loop.close()


class ServerStartError(RuntimeError):
    """The server exited or did not answer ``describe`` in time."""


async def describe(host: str, port: int, limit_s: float = 5.0) -> Info:
    """Send ``describe`` and return the ``info`` answer."""
    async with asyncio.timeout(limit_s):
        reader, writer = await asyncio.open_connection(host, port)
        try:
            await async_write_event(Describe().event(), writer)
            while True:
                event = await async_read_event(reader)
                if event is None:
                    raise ConnectionError("server closed without answering describe")
                if Info.is_type(event.type):
                    return Info.from_event(event)
        finally:
            writer.close()


@dataclass
class WyomingProcess:
    """A Wyoming server subprocess on ``127.0.0.1:port``."""

    args: list[str]
    port: int = field(default_factory=free_port)
    host: str = "127.0.0.1"
    env: dict[str, str] | None = None
    log_path: Path | None = None
    process: subprocess.Popen[bytes] | None = None
    info: Info | None = None

    @classmethod
    def asr(cls, *extra: str, log_path: Path | None = None) -> WyomingProcess:
        """``local-voice-asr`` with the bundled model and ``extra`` flags."""
        return cls([sys.executable, "-m", "wyoming_servers.asr", *extra], log_path=log_path)

    @classmethod
    def tts(cls, *extra: str, log_path: Path | None = None) -> WyomingProcess:
        """``local-voice-tts`` with the bundled voice and ``extra`` flags."""
        return cls([sys.executable, "-m", "wyoming_servers.tts", *extra], log_path=log_path)

    @property
    def uri(self) -> str:
        """The server's tcp:// URI."""
        return f"tcp://{self.host}:{self.port}"

    @property
    def pid(self) -> int:
        """PID of the running server."""
        assert self.process is not None
        return self.process.pid

    def start(self, timeout: float = _START_TIMEOUT) -> Self:
        """Start and block until ``describe`` answers."""
        log = self.log_path.open("wb") if self.log_path else subprocess.DEVNULL
        try:
            self.process = spawn(
                [*self.args, "--uri", self.uri],
                stdout=subprocess.DEVNULL,
                stderr=log,
                cwd=REPO_ROOT,
                env={**os.environ, "PYTHONPATH": str(REPO_ROOT), **(self.env or {})},
            )
        finally:
            if not isinstance(log, int):
                log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerStartError(f"{self.args} exited with {self.process.returncode}")
            try:
                self.info = _run_on_own_loop(describe(self.host, self.port, limit_s=2.0))
            except (OSError, TimeoutError):
                time.sleep(0.2)
                continue
            return self
        self.stop()
        raise ServerStartError(f"{self.args} did not answer describe within {timeout:g} s")

    def stop(self) -> None:
        """SIGTERM by PID, then SIGKILL if it does not exit."""
        if self.process is None or self.process.poll() is not None:
            return
        os.kill(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)

    def rss_bytes(self) -> int:
        """Resident memory of the server process now (Linux)."""
        status = f"/proc/{self.pid}/status"
        with open(status, encoding="ascii") as file:  # noqa: PTH123 - /proc, not a user path
            for line in file:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        return 0

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


@dataclass(frozen=True, slots=True)
class WavAudio:
    """PCM and format of a WAV file."""

    pcm: bytes
    rate: int
    width: int
    channels: int

    @classmethod
    def load(cls, path: Path) -> WavAudio:
        """Read a PCM WAV file."""
        with wave.open(str(path), "rb") as wav:
            return cls(
                wav.readframes(wav.getnframes()),
                wav.getframerate(),
                wav.getsampwidth(),
                wav.getnchannels(),
            )

    @property
    def seconds(self) -> float:
        """Duration."""
        return len(self.pcm) / (self.rate * self.width * self.channels)


@dataclass(frozen=True, slots=True)
class TranscribeResult:
    """What came back, and how long after ``audio-stop`` the transcript came."""

    transcript: Transcript
    events: list[Event]
    latency: float


async def transcribe_wav(
    host: str,
    port: int,
    audio: WavAudio,
    *,
    realtime: bool = False,
    chunk_ms: int = 20,
    context: dict[str, Any] | None = None,
    language: str | None = None,
    limit_s: float = 60.0,
) -> TranscribeResult:
    """Stream ``audio`` (at real-time pace when asked) and wait for ``transcript``.

    Events after the transcript are collected up to ``transcript-stop`` when
    the server streams, so tests can check the order.
    """
    async with asyncio.timeout(limit_s):
        reader, writer = await asyncio.open_connection(host, port)
        try:
            await async_write_event(Transcribe(language=language, context=context).event(), writer)
            fmt = {"rate": audio.rate, "width": audio.width, "channels": audio.channels}
            await async_write_event(AudioStart(**fmt).event(), writer)
            step = audio.rate * audio.width * audio.channels * chunk_ms // 1000
            started = time.perf_counter()
            for index, offset in enumerate(range(0, len(audio.pcm), step)):
                chunk = AudioChunk(audio=audio.pcm[offset : offset + step], **fmt)
                await async_write_event(chunk.event(), writer)
                if realtime:
                    delay = started + (index + 1) * chunk_ms / 1000 - time.perf_counter()
                    if delay > 0:
                        await asyncio.sleep(delay)
            await async_write_event(AudioStop().event(), writer)
            stopped = time.perf_counter()
            return await _collect(
                reader, stopped, streaming=bool(context and context.get("streaming"))
            )
        finally:
            writer.close()


async def _collect(
    reader: asyncio.StreamReader, stopped: float, *, streaming: bool
) -> TranscribeResult:
    events: list[Event] = []
    transcript: Transcript | None = None
    latency = 0.0
    while True:
        event = await async_read_event(reader)
        if event is None:
            raise ConnectionError(f"server closed before the transcript; got {events}")
        events.append(event)
        if event.type == "error":
            raise ConnectionError(f"server error: {event.data}")
        if Transcript.is_type(event.type):
            latency = time.perf_counter() - stopped
            transcript = Transcript.from_event(event)
            if not streaming:
                break
        if event.type == "transcript-stop":
            break
    assert transcript is not None
    return TranscribeResult(transcript, events, latency)
