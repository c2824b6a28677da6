"""The speech encoder on its own: rates, streaming versus whole, refusals."""

from __future__ import annotations

import io

import av
import numpy as np
import pytest

from wyoming_servers.http_api.encoding import (
    SPEECH_FORMATS,
    EncodingError,
    SpeechEncoder,
    output_rate,
)

RATE = 22050
CHUNK = 1024 * 2  # the TTS server's chunks: 1024 samples of 16-bit mono


def _tone(seconds: float, rate: int = RATE) -> bytes:
    t = np.arange(int(rate * seconds)) / rate
    return (np.sin(2 * np.pi * 220 * t) * 8000).astype("<i2").tobytes()


@pytest.mark.parametrize(
    ("name", "voice_rate", "expected"),
    [
        ("mp3", 22050, 22050),
        ("mp3", 16000, 16000),  # piper's low/x_low voices
        ("mp3", 7000, 8000),  # not an mp3 rate: the next one up
        ("mp3", 96000, 48000),  # above every mp3 rate: the highest
        ("aac", 22050, 22050),
        ("flac", 22050, 22050),
        ("wav", 22050, 22050),
        ("opus", 22050, 48000),  # OpenAI's opus rate
        ("pcm", 22050, 24000),  # OpenAI's pcm rate
        ("pcm", 16000, 24000),
    ],
)
def test_output_rate(name: str, voice_rate: int, expected: int) -> None:
    assert output_rate(SPEECH_FORMATS[name], voice_rate) == expected


@pytest.mark.parametrize("name", ["mp3", "opus", "aac", "pcm", "wav"])
def test_streamed_formats_give_bytes_before_the_end(name: str) -> None:
    """A second of audio in 46 ms chunks: most of it is out before ``finish``."""
    encoder = SpeechEncoder(SPEECH_FORMATS[name], RATE, 2, 1)
    pcm = _tone(1.0)
    early = encoder.header() + b"".join(
        encoder.encode(pcm[i : i + CHUNK]) for i in range(0, len(pcm), CHUNK)
    )
    rest = encoder.finish()
    assert len(early) > 2 * len(rest)


def test_flac_is_whole_with_its_length_in_the_header() -> None:
    encoder = SpeechEncoder(SPEECH_FORMATS["flac"], RATE, 2, 1)
    pcm = _tone(1.5)
    early = b"".join(encoder.encode(pcm[i : i + CHUNK]) for i in range(0, len(pcm), CHUNK))
    data = encoder.finish()
    assert early == b""
    assert data[:4] == b"fLaC"
    streaminfo = data[8:42]  # after the 4-byte block header
    total_samples = int.from_bytes(streaminfo[10:18]) & ((1 << 36) - 1)
    assert total_samples == len(pcm) // 2  # written at the end: the output could seek
    assert streaminfo[18:34] != bytes(16)  # the MD5 of the audio, also written at the end
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.audio[0]
        assert sum(frame.samples for frame in container.decode(stream)) == len(pcm) // 2


def test_pcm_is_resampled_to_24_khz() -> None:
    encoder = SpeechEncoder(SPEECH_FORMATS["pcm"], RATE, 2, 1)
    pcm = _tone(2.0)
    out = b"".join(encoder.encode(pcm[i : i + CHUNK]) for i in range(0, len(pcm), CHUNK))
    out += encoder.finish()
    assert abs(len(out) // 2 - 48000) <= 2
    tone = np.frombuffer(out, dtype="<i2").astype(np.float64)
    spectrum = np.abs(np.fft.rfft(tone))
    assert np.argmax(spectrum) * 24000 / len(tone) == pytest.approx(220, abs=1)


def test_wav_passes_audio_through_after_a_streaming_header() -> None:
    encoder = SpeechEncoder(SPEECH_FORMATS["wav"], RATE, 2, 1)
    assert encoder.passthrough
    assert encoder.header()[:4] == b"RIFF"
    assert encoder.encode(b"\x01\x02") == b"\x01\x02"


@pytest.mark.parametrize(("width", "channels"), [(1, 1), (4, 1), (2, 3), (2, 0)])
def test_refuses_audio_it_cannot_encode(width: int, channels: int) -> None:
    with pytest.raises(EncodingError):
        SpeechEncoder(SPEECH_FORMATS["mp3"], RATE, width, channels)


def test_refuses_a_rate_out_of_range() -> None:
    with pytest.raises(EncodingError):
        SpeechEncoder(SPEECH_FORMATS["mp3"], 0, 2, 1)


def test_refuses_half_a_sample() -> None:
    encoder = SpeechEncoder(SPEECH_FORMATS["mp3"], RATE, 2, 1)
    with pytest.raises(EncodingError):
        encoder.encode(b"\x00\x00\x00")


def test_close_is_final_and_repeatable() -> None:
    encoder = SpeechEncoder(SPEECH_FORMATS["opus"], RATE, 2, 1)
    encoder.encode(_tone(0.1))
    encoder.close()
    encoder.close()
    with pytest.raises(EncodingError):
        encoder.encode(_tone(0.1))
