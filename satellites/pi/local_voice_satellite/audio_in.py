"""Microphone input as a stream of 10 ms frames of 16 kHz mono 16-bit PCM.

Everything downstream (wake word, VAD, MQTT chunks) works on 10 ms frames,
so each source converts once, here: ALSA through ``arecord`` (always present
on Raspberry Pi OS), ``sounddevice`` when it is installed, a WAV file (paced
at real time or as fast as possible, for tests and demos) or raw PCM on
stdin (the producer paces it).
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import subprocess
import sys
import time
import wave
from abc import ABC, abstractmethod
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Final

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Iterator

_LOGGER = logging.getLogger(__name__)

RATE: Final = 16000
FRAME_MS: Final = 10
FRAME_SAMPLES: Final = RATE * FRAME_MS // 1000  # 160
FRAME_BYTES: Final = FRAME_SAMPLES * 2  # 320


class AudioInputError(RuntimeError):
    """The microphone or file cannot be opened or stopped delivering audio."""


def to_pcm16_mono_16k(data: bytes, rate: int, width: int, channels: int) -> bytes:
    """Convert interleaved PCM of any common layout to 16 kHz mono s16le."""
    if width not in {1, 2, 4} or channels < 1 or not 1000 <= rate <= 192_000:  # noqa: PLR2004
        raise AudioInputError(f"unsupported PCM: {rate} Hz, {width} bytes, {channels} channels")
    usable = len(data) - len(data) % (width * channels)
    samples: np.ndarray[Any, np.dtype[Any]]
    if width == 1:  # WAV 8-bit is unsigned
        samples = (np.frombuffer(data[:usable], np.uint8).astype(np.float64) - 128.0) * 256.0
    elif width == 2:  # noqa: PLR2004
        samples = np.frombuffer(data[:usable], "<i2").astype(np.float64)
    else:
        samples = np.frombuffer(data[:usable], "<i4").astype(np.float64) / 65536.0
    mono: np.ndarray[Any, np.dtype[Any]] = samples.reshape(-1, channels).mean(axis=1)
    if rate != RATE and mono.size:
        duration = mono.size / rate
        target = np.arange(round(duration * RATE)) / RATE
        mono = np.interp(target, np.arange(mono.size) / rate, mono)
    return bytes(np.clip(np.round(mono), -32768, 32767).astype("<i2").tobytes())


def read_wav(path: Path) -> bytes:
    """Read a WAV file as 16 kHz mono s16le."""
    try:
        with wave.open(str(path), "rb") as wav:
            data = wav.readframes(wav.getnframes())
            return to_pcm16_mono_16k(
                data, wav.getframerate(), wav.getsampwidth(), wav.getnchannels()
            )
    except (OSError, EOFError, wave.Error) as err:
        raise AudioInputError(f"cannot read WAV {path}: {err}") from err


class AudioSource(ABC):
    """A microphone: yields 10 ms frames until it ends or is closed.

    ``live`` sources run on their own clock (a microphone); the others (files,
    pipes) wait for the broker before the first frame, so no audio is wasted.
    """

    live = True

    @abstractmethod
    def frames(self) -> Iterator[bytes]:
        """Yield frames of exactly ``FRAME_BYTES`` bytes."""

    def close(self) -> None:  # noqa: B027 - most sources have nothing to release
        """Stop delivering audio."""


class PcmSource(AudioSource):
    """Frames from PCM already in memory, optionally paced at real time."""

    live = False

    def __init__(self, pcm: bytes, *, realtime: bool = False) -> None:
        self._pcm = pcm
        self._realtime = realtime
        self._closed = False

    def frames(self) -> Iterator[bytes]:
        """Yield 10 ms frames; the last partial frame is padded with silence."""
        start = time.monotonic()
        for index, offset in enumerate(range(0, len(self._pcm), FRAME_BYTES)):
            if self._closed:
                return
            if self._realtime:
                delay = start + index * FRAME_MS / 1000 - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            yield self._pcm[offset : offset + FRAME_BYTES].ljust(FRAME_BYTES, b"\0")

    def close(self) -> None:
        """Stop after the current frame."""
        self._closed = True


class WavFileSource(PcmSource):
    """A WAV file of any rate/width/channels, plus optional trailing silence."""

    def __init__(self, path: Path, *, realtime: bool = False, pad_seconds: float = 0.0) -> None:
        pad = bytes(int(pad_seconds * RATE) * 2)
        super().__init__(read_wav(path) + pad, realtime=realtime)


class RawStreamSource(AudioSource):
    """Raw 16 kHz mono s16le from a byte stream such as stdin; EOF ends it."""

    live = False

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream

    def frames(self) -> Iterator[bytes]:
        """Yield whole frames as they arrive."""
        pending = b""
        while True:
            data = self._stream.read(FRAME_BYTES - len(pending))
            if not data:
                return
            pending += data
            if len(pending) == FRAME_BYTES:
                yield pending
                pending = b""


class ArecordSource(AudioSource):
    """ALSA capture through ``arecord`` (ALSA's plug layer converts the rate)."""

    def __init__(self, device: str = "default") -> None:
        binary = shutil.which("arecord")
        if binary is None:
            raise AudioInputError("arecord not found: apt-get install alsa-utils")
        self._cmd = [binary, "-q", "-D", device, "-r", str(RATE), "-c", "1"]
        self._cmd += ["-f", "S16_LE", "-t", "raw"]
        self._proc: subprocess.Popen[bytes] | None = None

    def frames(self) -> Iterator[bytes]:
        """Yield frames until arecord exits."""
        self._proc = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            self._cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        assert self._proc.stdout is not None
        yield from RawStreamSource(self._proc.stdout).frames()
        err = self._proc.stderr.read().decode(errors="replace") if self._proc.stderr else ""
        code = self._proc.wait()
        if code not in {0, -15}:
            raise AudioInputError(f"arecord exited with {code}: {err.strip()[:300]}")

    def close(self) -> None:
        """Terminate arecord."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(timeout=2)


class SoundDeviceSource(AudioSource):
    """PortAudio capture through the optional ``sounddevice`` package."""

    def __init__(self, device: str | None = None) -> None:
        try:
            import sounddevice  # noqa: PLC0415 - optional dependency
        except (ImportError, OSError) as err:
            raise AudioInputError(f"sounddevice is not usable: {err}") from err
        self._sd = sounddevice
        self._device = int(device) if device and device.isdigit() else device or None
        self._closed = False

    def frames(self) -> Iterator[bytes]:
        """Yield frames from a blocking PortAudio stream."""
        with self._sd.RawInputStream(
            samplerate=RATE,
            blocksize=FRAME_SAMPLES,
            device=self._device,
            channels=1,
            dtype="int16",
        ) as stream:
            while not self._closed:
                data, overflowed = stream.read(FRAME_SAMPLES)
                if overflowed:
                    _LOGGER.warning("microphone overflow: audio was lost")
                yield bytes(data)

    def close(self) -> None:
        """Stop after the current frame."""
        self._closed = True


def open_source(spec: str, *, realtime: bool = True, pad_seconds: float = 0.0) -> AudioSource:
    """Open ``arecord:DEVICE``, ``sounddevice[:DEVICE]``, ``file:PATH`` or ``-`` (stdin)."""
    kind, _, arg = spec.partition(":")
    if spec == "-":
        return RawStreamSource(sys.stdin.buffer)
    if kind == "arecord":
        return ArecordSource(arg or "default")
    if kind == "sounddevice":
        return SoundDeviceSource(arg or None)
    if kind == "file" and arg:
        return WavFileSource(Path(arg), realtime=realtime, pad_seconds=pad_seconds)
    raise AudioInputError(
        f"unknown input {spec!r}: use arecord:DEVICE, sounddevice[:DEVICE], file:PATH or -"
    )
