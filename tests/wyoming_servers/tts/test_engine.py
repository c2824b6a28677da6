"""Sentences in pieces: the pieces are the whole sentence's audio, cut, and loudness is steady."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from piper import SynthesisConfig

from wyoming_servers.tts.engine import (
    FIRST_PIECE_FRAMES,
    KNEE,
    LARGEST_PIECE_FRAMES,
    TARGET_PEAK,
    SentencePieces,
    VoiceEngine,
    piece_bounds,
    soft_limit,
    to_pcm,
)


@given(st.integers(min_value=0, max_value=5000))
def test_pieces_cover_every_frame_once_short_first_and_no_sliver(frames: int) -> None:
    bounds = piece_bounds(frames)
    assert [start for start, _ in bounds] == [0, *(end for _, end in bounds[:-1])][: len(bounds)]
    assert (bounds[-1][1] if bounds else 0) == frames
    sizes = [end - start for start, end in bounds]
    if frames >= FIRST_PIECE_FRAMES * 3 // 2:
        assert sizes[0] == FIRST_PIECE_FRAMES
    assert all(size <= LARGEST_PIECE_FRAMES * 3 // 2 for size in sizes)
    assert all(size >= FIRST_PIECE_FRAMES // 2 for size in sizes[1:])


def test_without_hurry_a_typical_sentence_is_one_piece() -> None:
    assert piece_bounds(200, hurry=False) == [(0, 200)]
    assert piece_bounds(200)[0] == (0, FIRST_PIECE_FRAMES)
    assert [end - start for start, end in piece_bounds(600, hurry=False)] == [256, 344]


def test_the_limiter_leaves_speech_below_the_knee_alone_and_never_overflows() -> None:
    x = np.linspace(-3.0, 3.0, 60001, dtype=np.float32)
    y = soft_limit(x)
    quiet = np.abs(x) <= KNEE
    assert np.array_equal(y[quiet], x[quiet])
    assert np.all(np.abs(y) <= 1.0)  # full scale at most, only for absurd input
    assert np.all(np.diff(y) >= 0)  # monotone: no folding
    assert np.max(np.abs(np.diff(y))) < 2 * (x[1] - x[0])  # continuous at the knee
    pcm = np.frombuffer(to_pcm(np.array([0.5, -2.0], np.float32), 1.0), "<i2")
    assert pcm[0] == int(0.5 * 32767)  # truncated, as piper does
    assert -32767 <= pcm[1] < -0.95 * 32767  # no wrap-around to a positive sample


@pytest.mark.slow
def test_pieces_join_into_the_whole_sentence_and_stream_early(tts_voice: object) -> None:
    engines = tts_voice.engines  # type: ignore[attr-defined]
    engine = engines.polite
    assert engine.streams
    config = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)
    text = "The kitchen door is locked and the living room is 21 degrees right now."
    pieces = SentencePieces(text, config, engines.gain)
    parts = []
    while not pieces.done:
        parts.append(pieces.step(engine))
    hop = engine.piper.config.hop_length
    assert len(parts) >= 3
    assert len(parts[0]) == FIRST_PIECE_FRAMES * hop * 2  # 279 ms, ready early
    # The same audio as the vocoder run over the whole latent at once.
    ids = engine.piper.phonemes_to_ids(engine.piper.phonemize(text)[0])
    latent = engine.latent_of(ids, config)
    whole = np.frombuffer(
        to_pcm(engine.vocode(latent, 0, latent.shape[2], config), engines.gain), "<i2"
    )
    streamed = np.frombuffer(b"".join(parts), "<i2")
    assert streamed.shape == whole.shape
    assert np.abs(streamed.astype(np.int32) - whole).max() <= 4  # float rounding only


@pytest.mark.slow
def test_the_gain_puts_typical_peaks_near_the_target(tts_voice: object) -> None:
    engines = tts_voice.engines  # type: ignore[attr-defined]
    peaks = []
    for text in ("Turned on the office fan.", "The back door is closed.", "It is 7 o'clock."):
        pieces = SentencePieces(text, SynthesisConfig(), engines.gain)
        pcm = b""
        while not pieces.done:
            pcm += pieces.step(engines.polite)
        peaks.append(np.abs(np.frombuffer(pcm, "<i2")).max() / 32767)
    assert 0.5 * TARGET_PEAK < float(np.median(peaks)) < 1.0, peaks


@pytest.mark.slow
def test_text_espeak_reads_as_two_sentences_is_spoken_whole(tts_voice: object) -> None:
    engines = tts_voice.engines  # type: ignore[attr-defined]
    engine = engines.polite
    text = "Turned on the light. Turned off the fan."
    assert len(engine.piper.phonemize(text)) == 2  # espeak's own sentences
    config = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)
    both = SentencePieces(text, config, engines.gain)
    pcm = b""
    while not both.done:
        pcm += both.step(engine)
    alone = b""
    for part in ("Turned on the light.", "Turned off the fan."):
        pieces = SentencePieces(part, config, engines.gain)
        while not pieces.done:
            alone += pieces.step(engine)
    assert pcm == alone


def test_speaker_zero_of_a_multi_speaker_voice_reaches_both_halves() -> None:
    """Speaker id 0 is a speaker, not "none" (a one-element array of 0 is falsy)."""
    seen: list[dict[str, object]] = []

    class FakeInferenceSession:
        def __init__(self, output: np.ndarray) -> None:
            self.output = output

        def run(self, _names: object, args: dict[str, object]) -> list[np.ndarray]:
            seen.append(args)
            return [self.output]

    config = SimpleNamespace(
        num_speakers=3, default_speaker_id=2, noise_scale=0.6, length_scale=1.0,
        noise_w_scale=0.8, hop_length=4,
    )  # fmt: skip
    engine = VoiceEngine(
        SimpleNamespace(config=config),  # type: ignore[arg-type]
        head=FakeInferenceSession(np.zeros((1, 2, 10), np.float32)),
        vocoder=FakeInferenceSession(np.zeros(40, np.float32)),
        latent="z",
        speaker_input="sid",
    )
    latent = engine.latent_of([1, 2, 3], SynthesisConfig(speaker_id=0))
    engine.vocode(latent, 0, 10, SynthesisConfig(speaker_id=0))
    engine.latent_of([1, 2, 3], SynthesisConfig())  # the voice's default speaker
    assert [args["sid"].tolist() for args in seen] == [[0], [0], [2]]  # type: ignore[attr-defined]
