"""Offline pieces of a turn: last speech sound in a WAV, the satellite's MQTT traffic."""

from __future__ import annotations

import array
import math
from typing import TYPE_CHECKING

from local_voice_harness.turn import pcm_chunks, read_pcm, trailing_silence_s

if TYPE_CHECKING:
    from local_voice_harness.commands import SpokenCommand

RATE = 16000


def _tone(seconds: float, amplitude: int = 8000) -> bytes:
    n = int(seconds * RATE)
    return array.array(
        "h", (int(amplitude * math.sin(2 * math.pi * 440 * i / RATE)) for i in range(n))
    ).tobytes()


def _silence(seconds: float) -> bytes:
    return bytes(int(seconds * RATE) * 2)


def test_trailing_silence_after_a_tone() -> None:
    pcm = _silence(0.2) + _tone(0.5) + _silence(0.7)
    assert abs(trailing_silence_s(pcm) - 0.7) <= 0.011
    assert trailing_silence_s(_tone(0.3)) == 0.0
    assert trailing_silence_s(b"") == 0.0


def test_quiet_noise_does_not_count_as_speech() -> None:
    pcm = _tone(0.5) + _tone(0.4, amplitude=50)  # -44 dB below the peak
    assert abs(trailing_silence_s(pcm) - 0.4) <= 0.011


def test_dev_commands_end_with_silence(dev_commands: list[SpokenCommand]) -> None:
    for command in dev_commands:
        pcm = read_pcm(command.audio)
        tail = trailing_silence_s(pcm)
        assert 0.0 <= tail < len(pcm) / (2 * RATE) / 2, command.audio.name


def test_chunks_are_20_ms() -> None:
    chunks = pcm_chunks(_silence(0.05))
    assert [len(c) for c in chunks] == [640, 640, 320]
