"""Endpointing on real recorded speech: never cut off mid-sentence, end soon after the last word.

The "last speech sound" of each recording is found offline from its energy
(the last 10 ms frame within 30 dB of the peak and 15 dB above the noise
floor); the endpointer then hears the recording followed by low noise, as a
microphone would, and must end the session after that sound and within
``silence_ms`` + 250 ms of it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pytest
from local_voice_satellite.audio_in import read_wav
from local_voice_satellite.endpoint import (
    Decision,
    Endpointer,
    EndpointError,
    EndpointParams,
    MicroVad,
    make_vad,
)

if TYPE_CHECKING:
    from local_voice_harness.commands import SpokenCommand, Transcribed

FRAME = 320


def last_speech_ms(pcm: bytes) -> int:
    x = np.frombuffer(pcm, "<i2").astype(np.float64)
    n = len(x) // 160
    db = 20 * np.log10(np.sqrt((x[: n * 160].reshape(n, 160) ** 2).mean(axis=1)) + 1)
    threshold = max(db.max() - 30, np.percentile(db, 10) + 15)
    return int(np.nonzero(db > threshold)[0][-1] + 1) * 10


def run_endpointer(ep: Endpointer, pcm: bytes) -> tuple[int | None, Decision | None, int | None]:
    """(end time ms, end decision, speech start ms)."""
    ep.reset()
    started = None
    for offset in range(0, len(pcm) - FRAME + 1, FRAME):
        decision = ep.process(pcm[offset : offset + FRAME])
        if decision is Decision.SPEECH_STARTED:
            started = ep.elapsed_ms
        elif decision is not None:
            return ep.elapsed_ms, decision, started
    return None, None, started


def with_noise(pcm: bytes, seconds: float = 2.5, seed: int = 7) -> bytes:
    noise = np.random.default_rng(seed).normal(0, 30, int(16000 * seconds))
    return pcm + noise.astype("<i2").tobytes()


@pytest.fixture(scope="module")
def silero_endpointer() -> Endpointer:
    return Endpointer(make_vad("silero"), EndpointParams())


def test_default_silence_outlasts_the_pauses_in_real_speech(
    dev_real_speech: list[Transcribed], silero_endpointer: Endpointer
) -> None:
    """The longest pause inside a dev sentence must be well below the default silence_ms."""
    ep = Endpointer(silero_endpointer.vad, EndpointParams(silence_ms=5000))
    longest = 0
    for item in dev_real_speech:
        pcm = read_wav(item.audio)
        ep.reset()
        prev = 0
        for offset in range(0, len(pcm) - FRAME + 1, FRAME):
            ep.process(pcm[offset : offset + FRAME])
            if ep.silence_run_ms < prev:
                longest = max(longest, prev)
            prev = ep.silence_run_ms
    assert 0 < longest <= EndpointParams().silence_ms - 100, longest


@pytest.mark.parametrize("silence_ms", [300, 450])
def test_real_speech_is_not_cut_off_and_ends_promptly(
    dev_real_speech: list[Transcribed], silero_endpointer: Endpointer, silence_ms: int
) -> None:
    ep = Endpointer(silero_endpointer.vad, EndpointParams(silence_ms=silence_ms))
    for item in dev_real_speech:
        speech = read_wav(item.audio)
        last = last_speech_ms(speech)
        end, decision, started = run_endpointer(ep, with_noise(speech))
        assert decision is Decision.END_SILENCE, (item.audio.name, decision)
        assert started is not None
        assert end is not None
        assert end >= last, f"{item.audio.name}: cut off at {end} ms, speech until {last} ms"
        assert end - last <= silence_ms + 250, f"{item.audio.name}: ended {end - last} ms late"


def test_dev_commands_end_after_the_last_word(
    dev_commands: list[SpokenCommand], silero_endpointer: Endpointer
) -> None:
    lags = []
    for command in dev_commands:
        speech = read_wav(command.audio)
        end, decision, _ = run_endpointer(silero_endpointer, with_noise(speech))
        assert decision is Decision.END_SILENCE, command.audio.name
        assert end is not None
        lags.append(end - last_speech_ms(speech))
    assert min(lags) >= 0
    assert float(np.median(lags)) <= EndpointParams().silence_ms + 200


def test_no_speech_and_hard_cap() -> None:
    quiet = Endpointer(make_vad("silero"), EndpointParams(no_speech_seconds=1.0))
    end, decision, _ = run_endpointer(quiet, with_noise(b"", 3.0))
    assert decision is Decision.END_NO_SPEECH
    assert end == 1000
    # A tone the VAD may or may not call speech: the hard cap still ends it.
    capped = Endpointer(make_vad("silero"), EndpointParams(max_seconds=1.0, no_speech_seconds=5))
    t = np.arange(16000 * 3) / 16000
    tone = (np.sin(2 * np.pi * 220 * t) * 8000).astype("<i2").tobytes()
    end, decision, _ = run_endpointer(capped, tone)
    assert decision in {Decision.END_CAP, Decision.END_NO_SPEECH}
    assert end is not None
    assert end <= 1000


def test_micro_vad_adapter_works_with_the_installed_api(dev_commands: list[SpokenCommand]) -> None:
    """pymicro-vad 1.x (Process10ms) here; 2.x (process_10ms) on a Pi: both go through one adapter."""
    vad = MicroVad()
    pcm = read_wav(dev_commands[0].audio)
    probs = [vad(pcm[o : o + FRAME]) for o in range(0, len(pcm) - FRAME + 1, FRAME)]
    scored = [p for p in probs if p is not None]
    assert scored
    assert max(scored) > 0.5
    ep = Endpointer(vad, EndpointParams(silence_ms=300))
    end, decision, _ = run_endpointer(ep, with_noise(pcm))
    assert decision is Decision.END_SILENCE
    assert end is not None
    assert end >= last_speech_ms(pcm)


def test_process_10ms_name_is_supported() -> None:
    """A stand-in with only the 2.x method name exercises the other branch."""

    class _V2:
        def process_10ms(self, _audio: bytes) -> float:
            return 0.9

    vad = MicroVad()
    vad._vad = _V2()
    assert vad(bytes(FRAME)) == 0.9


@pytest.mark.parametrize(
    "kwargs",
    [{"silence_ms": 50}, {"threshold": 1.5}, {"max_seconds": 60}, {"no_speech_seconds": 0}],
)
def test_parameters_are_validated(kwargs: dict[str, float]) -> None:
    with pytest.raises(EndpointError):
        EndpointParams(**kwargs)  # type: ignore[arg-type]


def test_unknown_vad_is_rejected() -> None:
    with pytest.raises(EndpointError):
        make_vad("webrtc")
