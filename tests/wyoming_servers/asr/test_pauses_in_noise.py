"""Pauses found in steady background noise, and none inside the speech (issue #25).

The 12 dev commands (espeak, clean) get what the command set does to its
files: pink noise at an SNR against the speech, through the padding too.
Where the speech really ends comes from the clean file. Each is streamed
through ``Utterance.add`` in 20 ms chunks and in 64 ms ones (1024 samples,
what satellites send). Loudness against the speech level alone found no
pause at 10 dB: the noise itself is louder than 12 % of the speech.
"""

from __future__ import annotations

import wave

import numpy as np
import pytest

from local_voice_harness import paths
from local_voice_harness.synthetic_speech import LEAD_S, mixed
from wyoming_servers.asr.speech_level import noise_threshold, without_leading_silence
from wyoming_servers.asr.utterance import PAUSE_SECONDS, Utterance
from wyoming_servers.core.audio import AudioFormat

RATE = 16000
FMT = AudioFormat(rate=RATE, width=2, channels=1)
LEAD = round(LEAD_S * RATE)


def _dev_commands() -> list[np.ndarray]:
    commands = []
    for path in sorted(paths.dev_commands_dir().glob("cmd*.wav")):
        with wave.open(str(path)) as wav:
            commands.append(np.frombuffer(wav.readframes(wav.getnframes()), "<i2").astype("f4"))
    assert len(commands) == 12
    return commands


def _end(speech: np.ndarray) -> int:
    """After the last 10 ms frame within 35 dB of the loudest (16-bit scale samples)."""
    count = speech.size // 160
    rms = np.sqrt((speech[: count * 160].reshape(count, 160) ** 2).mean(axis=1))
    return int(np.flatnonzero(rms > rms.max() * 10 ** (-35 / 20))[-1] + 1) * 160


def _pauses(audio: np.ndarray, chunk: int) -> list[int]:
    """Frames where a pause was reached, streaming ``audio`` in ``chunk``-sample chunks."""
    pcm = np.clip(np.round(audio), -32768, 32767).astype("<i2").tobytes()
    utterance = Utterance(fmt=FMT, max_seconds=30.0)
    found = []
    for offset in range(0, len(pcm), chunk * 2):
        before = utterance.pause_at
        utterance.add(pcm[offset : offset + chunk * 2], FMT)
        if utterance.pause_at != before:
            found.append(utterance.pause_at)
    return found


@pytest.mark.parametrize("chunk", [320, 1024])
@pytest.mark.parametrize("snr_db", [None, 20.0, 10.0])
def test_the_pause_after_a_command_is_found_in_noise_and_none_inside(
    chunk: int, snr_db: float | None
) -> None:
    for index, speech in enumerate(_dev_commands()):
        audio = mixed(speech, snr_db, np.random.default_rng([5, index]), tail_s=1.0)
        end = LEAD + _end(speech)
        found = _pauses(audio, chunk)
        assert [at for at in found if at < end] == [], (index, "a pause inside the speech")
        assert found, (index, "no pause after the speech")
        # 150 ms of quiet after the last chunk taken for speech: a faint last sound under
        # the noise is quiet, and a level covers the latest 64 ms.
        delay = (found[0] - end) / RATE
        assert 0 <= delay <= PAUSE_SECONDS + 0.15, (index, delay)
        assert len(found) == 1, (index, "the noise after the pause taken for speech again")


@pytest.mark.parametrize("snr_db", [None, 10.0])
def test_a_pause_between_two_sentences_is_found_in_noise(snr_db: float | None) -> None:
    """A speaker who stops for 250 ms (the pauses set's pause) and goes on."""
    first, second = (_trimmed(speech) for speech in _dev_commands()[:2])
    gap = round(0.25 * RATE)
    speech = np.concatenate([first, np.zeros(gap, np.float32), second])
    audio = mixed(speech, snr_db, np.random.default_rng(9), tail_s=1.0)
    for chunk in (320, 1024):
        found = _pauses(audio, chunk)
        in_gap = LEAD + first.size <= found[0] <= LEAD + first.size + gap + chunk
        assert len(found) == 2, (chunk, found)  # in the gap, and after the speech
        assert in_gap, (chunk, found)
        assert found[1] >= LEAD + speech.size, (chunk, found)


@pytest.mark.parametrize("snr_db", [None, 10.0])
def test_speech_from_the_first_chunk_has_no_pause_inside(snr_db: float | None) -> None:
    """No quiet start to learn the noise from: the speech must not be taken for it."""
    for index, speech in enumerate(_dev_commands()):
        start = int(np.flatnonzero(np.abs(speech) > 30)[0])
        audio = mixed(speech, snr_db, np.random.default_rng([7, index]), tail_s=1.0)
        audio = audio[LEAD + start :]
        end = _end(speech) - start
        for chunk in (320, 1024):
            found = _pauses(audio, chunk)
            assert [at for at in found if at < end] == [], (index, chunk)
            assert found, (index, chunk)


def _trimmed(speech: np.ndarray) -> np.ndarray:
    loud = np.flatnonzero(np.abs(speech) > 30)
    return speech[loud[0] : loud[-1] + 1]


def test_a_steady_noise_floor_sets_a_threshold_and_quiet_speech_does_not() -> None:
    speech = [0.2] * 30
    noise = [0.100 + 0.001 * i for i in range(14)]  # 13 levels make 0.25 s: within 3 dB
    over_noise = 0.113 * 10 ** (3 / 20)  # 3 dB over the top of the quietest 0.25 s
    assert noise_threshold(noise[:13], 13) == np.inf  # 0.25 s or less: nothing is speech yet
    assert noise_threshold(sorted(noise + speech), 13) == pytest.approx(over_noise)
    # Quiet levels spread the way speech's own are (not steady): no noise floor.
    spread = [0.001 * 1.3**i for i in range(14)]
    assert noise_threshold(sorted(spread + speech), 13) == 0.0
    # No signal at all is no noise floor; the steady noise after it still is.
    zeros = [0.0] * 20
    assert noise_threshold(sorted(zeros + noise + speech), 13) == pytest.approx(over_noise)
    assert noise_threshold(sorted(zeros + spread + speech), 13) == 0.0


def test_a_noisy_lead_in_is_left_as_it_is() -> None:
    """The lead-in cut judges speech against the speech level only (docs/asr.md)."""
    speech = _dev_commands()[0]
    audio = (mixed(speech, 10.0, np.random.default_rng(3), lead_s=1.5) / 32768).astype(np.float32)
    assert without_leading_silence(audio) is audio
