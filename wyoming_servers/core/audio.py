"""PCM audio in any rate, width and channel count to 16 kHz mono, in numpy only.

No ffmpeg: the conversion is a few array operations. Widths follow the WAV
convention (1 = unsigned 8-bit, 2/3/4 = signed little-endian 16/24/32-bit).
Resampling is done on whole buffers in the frequency domain, which is exact
band-limiting for speech with near-silent ends and costs well under a
millisecond per second of audio.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from .errors import AudioFormatError

MIN_RATE: Final = 4000
MAX_RATE: Final = 192_000
MAX_CHANNELS: Final = 8
WIDTHS: Final = (1, 2, 3, 4)
TARGET_RATE: Final = 16_000

FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class AudioFormat:
    """Rate (Hz), width (bytes per sample) and channel count, validated."""

    rate: int
    width: int
    channels: int

    @classmethod
    def from_data(cls, data: dict[str, object]) -> AudioFormat:
        """Build from an audio event's data, refusing wrong types and absurd values."""
        values = []
        for key in ("rate", "width", "channels"):
            value = data.get(key)
            if isinstance(value, bool) or not isinstance(value, int):
                raise AudioFormatError(f"audio {key} must be an integer, got {value!r}")
            values.append(value)
        return cls(*values)

    def __post_init__(self) -> None:
        """Check the ranges once, where the format enters the server."""
        if not MIN_RATE <= self.rate <= MAX_RATE:
            raise AudioFormatError(f"rate {self.rate} Hz is outside {MIN_RATE}-{MAX_RATE}")
        if self.width not in WIDTHS:
            raise AudioFormatError(f"width {self.width} is not one of {WIDTHS} bytes")
        if not 1 <= self.channels <= MAX_CHANNELS:
            raise AudioFormatError(f"channels {self.channels} is outside 1-{MAX_CHANNELS}")

    @property
    def frame_bytes(self) -> int:
        """Bytes per frame (one sample of every channel)."""
        return self.width * self.channels

    def seconds(self, byte_count: int) -> float:
        """Duration of ``byte_count`` bytes of this format."""
        return byte_count / (self.frame_bytes * self.rate)

    def check_chunk(self, pcm: bytes) -> None:
        """A chunk must hold whole frames."""
        if len(pcm) % self.frame_bytes:
            raise AudioFormatError(
                f"chunk of {len(pcm)} bytes is not a whole number of {self.frame_bytes}-byte frames"
            )


def to_float(pcm: bytes, fmt: AudioFormat) -> FloatArray:
    """Samples as float32 in [-1, 1], shape (frames, channels)."""
    fmt.check_chunk(pcm)
    if fmt.width == 1:
        ints = np.frombuffer(pcm, dtype=np.uint8).astype(np.float32) - 128.0
        scale = 128.0
    elif fmt.width == 2:  # noqa: PLR2004 - bytes per sample
        ints = np.frombuffer(pcm, dtype="<i2").astype(np.float32)
        scale = 32768.0
    elif fmt.width == 3:  # noqa: PLR2004
        raw = np.frombuffer(pcm, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        joined = raw[:, 0] | (raw[:, 1] << 8) | (raw[:, 2] << 16)
        ints = np.where(joined >= 1 << 23, joined - (1 << 24), joined).astype(np.float32)
        scale = float(1 << 23)
    else:
        ints = np.frombuffer(pcm, dtype="<i4").astype(np.float32)
        scale = float(1 << 31)
    return (ints / scale).reshape(-1, fmt.channels)


def resample(samples: FloatArray, src_rate: int, dst_rate: int) -> FloatArray:
    """Band-limited resampling of a mono buffer by FFT (zero-pad or truncate)."""
    if src_rate == dst_rate or samples.size == 0:
        return samples.astype(np.float32, copy=False)
    n_out = round(samples.size * dst_rate / src_rate)
    spectrum = np.fft.rfft(samples)
    out_bins = n_out // 2 + 1
    if out_bins <= spectrum.size:
        spectrum = spectrum[:out_bins]
    else:
        spectrum = np.concatenate([spectrum, np.zeros(out_bins - spectrum.size, spectrum.dtype)])
    out = np.fft.irfft(spectrum, n_out) * (n_out / samples.size)
    return out.astype(np.float32)


def to_mono_16k(pcm: bytes, fmt: AudioFormat) -> FloatArray:
    """Any PCM to float32 16 kHz mono: what faster-whisper takes directly."""
    mono = to_float(pcm, fmt).mean(axis=1, dtype=np.float32)
    return resample(mono, fmt.rate, TARGET_RATE)


def float_to_s16(samples: FloatArray) -> bytes:
    """Float samples to signed 16-bit little-endian bytes (clipped)."""
    return (np.clip(samples, -1.0, 32767 / 32768) * 32768.0).astype("<i2").tobytes()


def to_mono_16k_s16(pcm: bytes, fmt: AudioFormat) -> bytes:
    """Any PCM to 16 kHz mono s16 bytes."""
    return float_to_s16(to_mono_16k(pcm, fmt))
