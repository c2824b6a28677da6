"""Speaker output: raw PCM streams to ALSA (``aplay``) or to WAV files.

A stream is opened with its format (the rate HA announced on
``audio/out/<id>/start``), written chunk by chunk as the answer arrives, and
closed when it ends, so playback starts with the first chunk. The WAV sink
writes one file per stream: tests and headless demos hear the answer that
way.
"""

from __future__ import annotations

import contextlib
import logging
import re
import shutil
import subprocess
import wave
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Final

import numpy as np

_LOGGER = logging.getLogger(__name__)
_SAFE_NAME: Final = re.compile(r"[^a-z0-9_-]")


class AudioOutputError(RuntimeError):
    """The speaker cannot be opened or stopped accepting audio."""


def scale_volume(pcm: bytes, volume: float) -> bytes:
    """Scale s16le PCM by ``volume`` (0..1); 1.0 returns the input unchanged."""
    if volume >= 1.0:
        return pcm
    samples = np.frombuffer(pcm[: len(pcm) - len(pcm) % 2], "<i2").astype(np.float32)
    return bytes(np.round(samples * max(volume, 0.0)).astype("<i2").tobytes())


class AudioSink(ABC):
    """One playback stream at a time."""

    @abstractmethod
    def open(self, name: str, rate: int, width: int, channels: int) -> None:
        """Start a stream."""

    @abstractmethod
    def write(self, pcm: bytes) -> None:
        """Play PCM (blocks while the device buffer is full)."""

    @abstractmethod
    def close(self) -> None:
        """End the stream after what was written has played."""

    def abort(self) -> None:
        """End the stream now, dropping what has not played."""
        self.close()


class NullSink(AudioSink):
    """A satellite without a speaker."""

    def open(self, name: str, rate: int, width: int, channels: int) -> None:
        """Accept and drop."""

    def write(self, pcm: bytes) -> None:
        """Accept and drop."""

    def close(self) -> None:
        """Nothing to close."""


class AplaySink(AudioSink):
    """ALSA playback through an ``aplay`` process per stream."""

    def __init__(self, device: str = "default") -> None:
        binary = shutil.which("aplay")
        if binary is None:
            raise AudioOutputError("aplay not found: apt-get install alsa-utils")
        self._binary = binary
        self._device = device
        self._proc: subprocess.Popen[bytes] | None = None

    def open(self, name: str, rate: int, width: int, channels: int) -> None:
        """Start aplay for raw PCM in this format."""
        self.abort()
        fmt = {1: "U8", 2: "S16_LE", 4: "S32_LE"}.get(width)
        if fmt is None:
            raise AudioOutputError(f"unsupported sample width {width}")
        _LOGGER.debug("playing %s at %s Hz on %s", name, rate, self._device)
        argv = [self._binary, "-q", "-D", self._device, "-t", "raw", "-f", fmt]
        argv += ["-r", str(rate), "-c", str(channels)]
        self._proc = subprocess.Popen(argv, stdin=subprocess.PIPE)  # noqa: S603 - no shell

    def write(self, pcm: bytes) -> None:
        """Feed aplay."""
        if self._proc is None or self._proc.stdin is None:
            return
        try:
            self._proc.stdin.write(pcm)
        except (BrokenPipeError, ValueError) as err:
            raise AudioOutputError(f"aplay stopped: {err}") from err

    def close(self) -> None:
        """Let aplay drain and exit."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        with contextlib.suppress(BrokenPipeError, ValueError):
            if proc.stdin:
                proc.stdin.close()
        try:
            proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()

    def abort(self) -> None:
        """Kill aplay at once."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()


class WavDirSink(AudioSink):
    """Each stream becomes ``<dir>/<n>-<name>.wav``, complete once closed."""

    def __init__(self, directory: Path) -> None:
        self._dir = directory
        self._dir.mkdir(parents=True, exist_ok=True)
        self._count = 0
        self._wav: wave.Wave_write | None = None

    def open(self, name: str, rate: int, width: int, channels: int) -> None:
        """Create the next WAV file."""
        self.close()
        self._count += 1
        safe = _SAFE_NAME.sub("_", name.lower())[:64]
        path = self._dir / f"{self._count:03d}-{safe}.wav.part"
        wav = wave.open(str(path), "wb")  # noqa: SIM115 - closed in close()
        wav.setframerate(rate)
        wav.setsampwidth(width)
        wav.setnchannels(channels)
        self._wav = wav

    def write(self, pcm: bytes) -> None:
        """Append PCM."""
        if self._wav is not None:
            self._wav.writeframes(pcm)

    def close(self) -> None:
        """Finish the file and give it its final name (readers never see half a file)."""
        wav, self._wav = self._wav, None
        if wav is None:
            return
        wav.close()
        part = self._dir / f"{self._count:03d}-"
        for path in self._dir.glob(f"{part.name}*.wav.part"):
            path.rename(path.with_suffix(""))


def open_sink(spec: str) -> AudioSink:
    """Open ``aplay:DEVICE``, ``dir:PATH`` or ``none``."""
    kind, _, arg = spec.partition(":")
    if kind == "none":
        return NullSink()
    if kind == "aplay":
        return AplaySink(arg or "default")
    if kind == "dir" and arg:
        return WavDirSink(Path(arg))
    raise AudioOutputError(f"unknown output {spec!r}: use aplay:DEVICE, dir:PATH or none")
