"""The last speech sound of a noisy recording (``speech_end``, through ``trailing_silence_s``).

A real dev command gets what the command set does to its files: pink noise
at 10 and 20 dB SNR and a 0.8 s noise tail. Energy alone would put the last
speech sound at the end of the file; the answer must stay near the clean
file's own, plus the tail.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pytest

from local_voice_harness import speech_end
from local_voice_harness.turn import read_pcm, trailing_silence_s

if TYPE_CHECKING:
    from local_voice_harness.commands import SpokenCommand

RATE = 16000
TAIL_S = 0.8


def _with_noise(pcm: bytes, snr_db: float, seed: int = 3) -> bytes:
    speech = np.frombuffer(pcm, dtype=np.int16).astype(np.float64)
    audio = np.concatenate([speech, np.zeros(int(TAIL_S * RATE))])
    rng = np.random.default_rng(seed)
    spectrum = np.fft.rfft(rng.standard_normal(len(audio)))
    freqs = np.arange(len(spectrum), dtype=np.float64)
    freqs[0] = 1.0
    pink = np.fft.irfft(spectrum / np.sqrt(freqs), len(audio))
    pink /= np.std(pink)
    voiced = speech[np.abs(speech) > 0]
    audio += pink * float(np.sqrt(np.mean(voiced**2))) / 10 ** (snr_db / 20)
    return np.clip(audio, -32768, 32767).astype(np.int16).tobytes()


@pytest.mark.parametrize("snr_db", [10.0, 20.0])
def test_noise_tail_is_not_speech(dev_commands: list[SpokenCommand], snr_db: float) -> None:
    for command in dev_commands[:2]:
        clean = read_pcm(command.audio)
        expected = trailing_silence_s(clean) + TAIL_S
        noisy = _with_noise(clean, snr_db)
        found = trailing_silence_s(noisy)
        assert abs(found - expected) <= 0.2, (command.audio.name, snr_db, found, expected)


def test_clean_files_keep_the_energy_answer(dev_commands: list[SpokenCommand]) -> None:
    """No noise floor: the detector is never asked, so earlier measurements stay comparable."""
    for command in dev_commands:
        pcm = read_pcm(command.audio)
        samples = np.frombuffer(pcm, dtype=np.int16).astype(np.float64)
        frames = samples[: len(samples) // 160 * 160].reshape(-1, 160)
        levels = [float(v) for v in np.sqrt(np.mean(frames**2, axis=1))]
        assert not speech_end.noisy(levels, float(np.max(np.abs(samples))) * 10 ** (-35 / 20))


def test_noise_alone_falls_back_to_energy() -> None:
    rng = np.random.default_rng(5)
    noise = (rng.standard_normal(RATE) * 300).astype(np.int16).tobytes()
    assert speech_end.vad_trailing_silence_s(noise) is None
    assert trailing_silence_s(noise) == 0.0  # sound to the end, nothing better known
