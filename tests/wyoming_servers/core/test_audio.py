"""Audio conversion to 16 kHz mono: every width, channel count and rate, validated."""

from __future__ import annotations

import numpy as np
import pytest

from wyoming_servers.core.audio import AudioFormat, resample, to_float, to_mono_16k, to_mono_16k_s16
from wyoming_servers.core.errors import AudioFormatError


def _tone(rate: int, freq: float = 440.0, seconds: float = 0.5) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def _encode(samples: np.ndarray, width: int) -> bytes:
    if width == 1:
        return (samples * 127 + 128).astype(np.uint8).tobytes()
    if width == 2:
        return (samples * 32767).astype("<i2").tobytes()
    if width == 3:
        ints = (samples * (2**23 - 1)).astype("<i4")
        return b"".join(int(v).to_bytes(3, "little", signed=True) for v in ints)
    return (samples * (2**31 - 1)).astype("<i4").tobytes()


def _peak_hz(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples))
    return float(np.argmax(spectrum) * rate / samples.size)


@pytest.mark.parametrize("width", [1, 2, 3, 4])
@pytest.mark.parametrize("rate", [8000, 16000, 22050, 44100, 48000])
def test_any_width_and_rate_becomes_the_same_16k_tone(width: int, rate: int) -> None:
    tone = _tone(rate)
    stereo = np.stack([tone, tone], axis=1).reshape(-1)
    out = to_mono_16k(_encode(stereo, width), AudioFormat(rate, width, 2))
    assert abs(out.size - 8000) <= 1
    assert abs(_peak_hz(out, 16000) - 440) < 5
    assert 0.45 < float(np.abs(out).max()) < 0.56


def test_signed_24_bit_negative_values_and_s16_output() -> None:
    pcm = (-(2**23)).to_bytes(3, "little", signed=True) + (2**23 - 1).to_bytes(
        3, "little", signed=True
    )
    assert to_float(pcm, AudioFormat(16000, 3, 1)).reshape(-1).tolist() == pytest.approx(
        [-1.0, 1.0], abs=1e-6
    )
    s16 = to_mono_16k_s16(pcm, AudioFormat(16000, 3, 1))
    assert np.frombuffer(s16, "<i2").tolist() == [-32768, 32767]


def test_resample_keeps_empty_and_identity() -> None:
    assert resample(np.zeros(0, np.float32), 48000, 16000).size == 0
    x = _tone(16000)
    assert resample(x, 16000, 16000) is x or np.array_equal(resample(x, 16000, 16000), x)


@pytest.mark.parametrize(
    "data",
    [
        {"rate": 1, "width": 2, "channels": 1},
        {"rate": 10_000_000, "width": 2, "channels": 1},
        {"rate": 16000, "width": 7, "channels": 1},
        {"rate": 16000, "width": 2, "channels": 0},
        {"rate": 16000, "width": 2, "channels": 64},
        {"rate": "16000", "width": 2, "channels": 1},
        {"rate": 16000.0, "width": 2, "channels": 1},
        {"rate": True, "width": 2, "channels": 1},
        {"width": 2, "channels": 1},
    ],
)
def test_absurd_formats_are_refused(data: dict) -> None:
    with pytest.raises(AudioFormatError):
        AudioFormat.from_data(data)


def test_odd_byte_count_is_refused() -> None:
    with pytest.raises(AudioFormatError):
        to_float(b"\x00\x01\x02", AudioFormat(16000, 2, 1))
    with pytest.raises(AudioFormatError):
        AudioFormat(16000, 2, 2).check_chunk(b"\x00" * 6)
