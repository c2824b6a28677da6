"""Small pure parts: vocabulary validation, the prompt, pauses and decoded audio, WER."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pytest

from local_voice_harness.servers import WavAudio
from local_voice_harness.synthetic_speech import in_noise
from wyoming_servers.asr.scoring import normalize, word_error_rate
from wyoming_servers.asr.utterance import (
    AHEAD_SECONDS,
    COMMA_PAUSE_SECONDS,
    PAUSE_SECONDS,
    WORDS_QUIET_SECONDS,
    Utterance,
)
from wyoming_servers.asr.vocabulary import (
    MAX_PROMPT_CHARS,
    initial_prompt,
    load_vocabulary_file,
    merge,
    validate_names,
)
from wyoming_servers.asr.voice import VoiceTracker
from wyoming_servers.asr.window import looks_repetitive, window_frames
from wyoming_servers.core.audio import AudioFormat
from wyoming_servers.core.errors import BadEventDataError

if TYPE_CHECKING:
    from collections.abc import Callable

    from local_voice_harness.commands import SpokenCommand


def test_vocabulary_is_validated_merged_and_capped(tmp_path) -> None:
    assert validate_names(["Desk  Lamp", " ", "Office Fan"], "v") == ["Desk Lamp", "Office Fan"]
    for bad in ("Desk Lamp", [1], ["x" * 65], ["a"] * 201, {"a": 1}):
        with pytest.raises(BadEventDataError):
            validate_names(bad, "v")
    assert merge(["Desk Lamp"], ["desk lamp", "Fan"]) == ("Desk Lamp", "Fan")
    assert initial_prompt(["Desk Lamp", "Office Fan"]) == "Desk Lamp, Office Fan."
    assert initial_prompt([]) is None
    long = initial_prompt([f"device number {i}" for i in range(200)])
    assert long is not None
    assert len(long) <= MAX_PROMPT_CHARS
    path = tmp_path / "v.txt"
    path.write_text("Kitchen # an area\n\n# comment\nDesk Lamp\n")
    assert load_vocabulary_file(path) == ["Kitchen", "Desk Lamp"]


def test_normalised_word_error_rate() -> None:
    assert normalize("Set it to 22 degrees, ill-disposed!") == [
        "set",
        "it",
        "to",
        "twenty",
        "two",
        "degrees",
        "ill",
        "disposed",
    ]
    assert word_error_rate([("turn on the desk lamp", "Turn on the best lamp.")]) == (0.2, 1, 5)
    assert word_error_rate([]) == (0.0, 0, 0)


def _noise_feeder(utterance: Utterance, seed: int) -> Callable[[float, float], None]:
    """``add(amplitude, seconds)``: Gaussian noise into ``utterance`` in 20 ms chunks."""
    rng = np.random.default_rng(seed)

    def add(amplitude: float, seconds: float) -> None:
        for _ in range(round(seconds / 0.02)):
            chunk = (amplitude * rng.standard_normal(320)).clip(-1, 1)
            utterance.add((chunk * 32767).astype("<i2").tobytes(), utterance.fmt)

    return add


def test_a_pause_after_speech_is_measured_per_chunk() -> None:
    utterance = Utterance(fmt=AudioFormat(rate=16000, width=2, channels=1), max_seconds=30.0)
    add = _noise_feeder(utterance, 1)
    add(0.002, 0.2)  # room noise before speech: no level to compare with yet
    add(0.3, 1.0)
    assert utterance.trailing_silence() == 0.0
    assert utterance.decode_frames() == utterance.frames  # no pause yet: everything
    add(0.002, 0.16)
    assert utterance.trailing_silence() == pytest.approx(0.16)
    pause = utterance.pause_at
    assert pause == round(1.36 * 16000)  # where 150 ms of quiet was reached (a whole chunk)
    add(0.002, 0.5)  # more quiet: the decoded audio still ends at that pause
    assert (utterance.pause_at, utterance.decode_frames()) == (pause, pause)
    add(0.3, 0.04)  # speech again: the pause is over, and the audio to decode grows
    assert utterance.trailing_silence() == 0.0
    assert utterance.decode_frames() == utterance.frames
    add(0.002, 0.1)  # quiet, but shorter than a pause: everything is decoded
    assert utterance.decode_frames() == utterance.frames
    add(0.002, 0.1)
    assert utterance.decode_frames() == utterance.pause_at == round(2.06 * 16000)


def test_a_decode_ahead_of_a_pause_answers_for_the_pause_it_reached() -> None:
    """``ahead_at``: 60 ms into the quiet; padded with silence to a pause's length."""
    utterance = Utterance(fmt=AudioFormat(rate=16000, width=2, channels=1), max_seconds=30.0)
    add = _noise_feeder(utterance, 2)
    add(0.002, 0.2)
    add(0.3, 1.0)
    assert utterance.ahead_at == 0
    add(0.002, 0.06)
    ahead = utterance.ahead_at
    assert ahead == round(1.26 * 16000)
    assert utterance.pause_at == 0
    audio = utterance.ahead_audio()  # the audio so far, then silence to a pause's length
    assert audio.size == ahead + round((PAUSE_SECONDS - AHEAD_SECONDS) * 16000)
    assert not audio[ahead:].any()
    assert utterance.stands_for(ahead) == ahead  # not a pause yet
    add(0.002, 0.1)
    assert utterance.pause_at > ahead
    assert utterance.stands_for(ahead) == utterance.pause_at == utterance.decode_frames()
    assert utterance.ahead_at == ahead  # once per quiet stretch
    add(0.3, 0.04)  # speech again: that decode answers for nothing but its own frames
    assert utterance.stands_for(ahead) == ahead != utterance.decode_frames()
    add(0.002, 0.06)
    wasted = utterance.ahead_at
    assert wasted > ahead  # the next quiet stretch
    add(0.3, 0.04)  # speech before the pause: the decode ahead of it is wasted
    add(0.002, 0.2)
    assert utterance.stands_for(wasted) == wasted < utterance.pause_at
    assert utterance.ahead_at > wasted  # while the last stretch's answers for its pause
    assert utterance.stands_for(utterance.ahead_at) == utterance.pause_at


def test_the_words_of_a_pause_wait_for_a_quiet_and_after_a_comma_a_longer_one() -> None:
    utterance = Utterance(fmt=AudioFormat(rate=16000, width=2, channels=1), max_seconds=30.0)
    add = _noise_feeder(utterance, 3)
    add(0.002, 0.2)
    add(0.3, 1.0)
    add(0.002, 0.2)  # a pause (0.15 s), not yet quiet enough for its words
    assert not utterance.words_may_go("Turn off the living room lamp.")
    add(0.002, 0.06)  # 0.26 s, in whole 20 ms chunks
    assert utterance.trailing_silence() >= WORDS_QUIET_SECONDS
    assert utterance.words_may_go("Turn off the living room lamp.")
    assert utterance.words_may_go("turn off the living room lamp")
    assert not utterance.words_may_go("Switch off, Living Room Lamp, ")
    add(0.002, 0.14)
    assert utterance.trailing_silence() >= COMMA_PAUSE_SECONDS
    assert utterance.words_may_go("Switch off, Living Room Lamp,")


def test_a_prefix_resamples_the_same_with_or_without_what_came_after() -> None:
    """The early decode and the final one get the same samples for the same frames."""
    fmt = AudioFormat(rate=22050, width=2, channels=1)
    rng = np.random.default_rng(2)
    pcm = (0.1 * rng.standard_normal(22050) * 32767).astype("<i2").tobytes()
    utterance = Utterance(fmt=fmt, max_seconds=30.0)
    utterance.add(pcm[: 2 * 11025], fmt)
    early = utterance.audio_16k(11025)
    utterance.add(pcm[2 * 11025 :], fmt)
    assert np.array_equal(early, utterance.audio_16k(11025))
    assert utterance.audio_16k().size == 16000


def test_repetition_loops_are_caught_and_commands_are_not() -> None:
    assert looks_repetitive("turn on the kitchen light turn on the kitchen light", 2.0)
    assert looks_repetitive("Turn off the bedroom light, turn off the bedroom light,", 2.0)
    assert looks_repetitive(" ".join(["lamp"] * 30), 2.0)  # too many words for 2 s
    for text in ("turn on the kitchen light", "5 5", "set it to fifty fifty", "very very bright"):
        assert not looks_repetitive(text, 2.0), text
    assert window_frames(15) == 1500
    for bad in (0.5, 31):
        with pytest.raises(ValueError, match="between 1 and 30"):
            window_frames(bad)


def test_the_token_budget_grows_with_the_audio_and_leaves_room_for_the_prompt() -> None:
    from wyoming_servers.asr.window import max_new_tokens

    assert max_new_tokens(0.5) >= 16
    assert max_new_tokens(3.0) > max_new_tokens(1.0)
    assert max_new_tokens(3.0) >= 3 * 4 * 1.5  # 4 words/s at 1.5 tokens a word fits
    assert max_new_tokens(30.0) + 228 <= 448  # Whisper's decoder length, prompt included


def test_padding_reads_as_the_silence_whisper_was_trained_on() -> None:
    """The padded frames equal the features of audio padded with digital silence."""
    from faster_whisper.audio import pad_or_trim
    from faster_whisper.feature_extractor import FeatureExtractor

    from wyoming_servers.asr.window import padded_as_silence

    rng = np.random.default_rng(1)
    speech = (0.2 * rng.standard_normal(32000)).astype(np.float32)  # 2 s
    extractor = FeatureExtractor()
    ours = pad_or_trim(extractor(speech))  # what faster-whisper encodes: zeros after the content
    content = extractor(speech).shape[-1]
    assert np.all(ours[:, content:] == 0)
    fixed = padded_as_silence(ours, content)
    # Whisper's own front end: pad the audio with 30 s of zeros, then compute features.
    trained = extractor(np.concatenate([speech, np.zeros(480000, np.float32)]))[:, :3000]
    # The STFT window reaches 2 frames into the padding; beyond that they agree.
    np.testing.assert_allclose(fixed[:, content + 2 :], trained[:, content + 2 : 3000], atol=1e-5)
    np.testing.assert_array_equal(fixed[:, :content], ours[:, :content])
    unpadded = ours[:, :content]
    assert padded_as_silence(unpadded, content) is unpadded  # nothing to pad: left as it is


def test_lead_in_is_cut_to_a_fixed_length_before_the_speech() -> None:
    from wyoming_servers.asr.speech_level import without_leading_silence

    rng = np.random.default_rng(2)
    speech = (0.2 * rng.standard_normal(16000)).astype(np.float32)
    lead_in = np.zeros(24000, np.float32)  # 1.5 s from the wake word
    trimmed = without_leading_silence(np.concatenate([lead_in, speech]), keep=0.3)
    assert trimmed.size == 4800 + 16000
    np.testing.assert_array_equal(trimmed[4800:], speech)
    short = np.concatenate([np.zeros(1600, np.float32), speech])  # 0.1 s: kept
    assert without_leading_silence(short, keep=0.3) is short
    noise = (0.05 * rng.standard_normal(32000)).astype(np.float32)  # no quiet start
    assert without_leading_silence(noise) is noise
    silence = np.zeros(32000, np.float32)
    assert without_leading_silence(silence) is silence


def test_a_thread_window_applies_to_that_thread_only() -> None:
    import threading

    from wyoming_servers.asr.window import WindowedWhisperModel

    # Only the window bookkeeping, not a loaded model.
    model = WindowedWhisperModel.__new__(WindowedWhisperModel)
    model.window, model._local = 1500, threading.local()
    assert model._thread_window() == 1500
    model.thread_window(1000)
    assert model._thread_window() == 1000
    seen: list[int] = []
    other = threading.Thread(target=lambda: seen.append(model._thread_window()))
    other.start()
    other.join()
    assert seen == [1500]
    model.thread_window(None)
    assert model._thread_window() == 1500


def test_the_encoder_sees_the_window_then_15_s_then_everything() -> None:
    from wyoming_servers.asr.window import encoded_frames

    assert encoded_frames(1500, 300, 3000) == 1500  # a 3 s command in the 15 s window
    assert encoded_frames(1000, 300, 3000) == 1000
    assert encoded_frames(1000, 1200, 3000) == 1500  # too long for 10 s: 15 s, not 30 s
    assert encoded_frames(1500, 2000, 3000) == 3000
    assert encoded_frames(3000, 300, 3000) == 3000
    assert encoded_frames(1500, 1000, 1200) == 1200  # never more than there is


def test_the_running_speech_level_is_numpys_90th_percentile() -> None:
    from wyoming_servers.asr.speech_level import percentile_90

    rng = np.random.default_rng(3)
    for size in (1, 2, 3, 10, 151):
        values = sorted(rng.random(size).tolist())
        assert percentile_90(values) == pytest.approx(float(np.percentile(values, 90)))


def test_transcript_chunks_carry_only_newly_stable_words() -> None:
    utterance = Utterance(fmt=AudioFormat(rate=16000, width=2, channels=1), max_seconds=30.0)
    assert utterance.next_chunk("Turn", final=False) is None  # the last word may still change
    assert utterance.next_chunk("Turn on the", final=False) == "Turn on"
    assert utterance.next_chunk("turn on, the kitchen", final=False) == " the"
    assert utterance.next_chunk("Turn off the kitchen", final=False) is None  # a revision
    assert utterance.next_chunk("Turn on the kitchen light.", final=True) == " kitchen light."
    assert utterance.sent_words == ["Turn", "on", "the", "kitchen", "light."]


def _pause_in(pcm: bytes, voice: VoiceTracker | None) -> float:
    """Seconds into ``pcm`` (sent in 20 ms chunks) where the first pause after speech was reached."""
    fmt = AudioFormat(rate=16000, width=2, channels=1)
    utterance = Utterance(fmt=fmt, max_seconds=30.0, voice=voice)
    for offset in range(0, len(pcm) - 639, 640):
        utterance.add(pcm[offset : offset + 640], fmt)
        if utterance.pause_at:
            return utterance.pause_at / 16000
    return 0.0


def test_in_steady_noise_the_voice_detector_finds_the_pause_after_the_last_word(
    dev_commands: list[SpokenCommand],
) -> None:
    """In pink noise at 10 dB SNR loudness finds no pause; loud *and* voiced finds the last.

    What follows the command's last word is steady noise only: the first
    pause is a little more than ``PAUSE_SECONDS`` after the last word (the
    detector takes a window or few to let go), none before it.
    """
    for command in dev_commands:
        pcm, speech_ends = in_noise(WavAudio.load(command.audio).pcm, 10.0)
        assert _pause_in(pcm, None) == 0.0, command.text
        pause = _pause_in(pcm, VoiceTracker())
        assert speech_ends + PAUSE_SECONDS <= pause <= speech_ends + 0.45, (command.text, pause)


def test_the_voice_detector_keeps_a_quiet_room_to_the_loudness_rule(
    dev_commands: list[SpokenCommand],
) -> None:
    """In a quiet room, loud and voiced ends at the same pause as loudness alone."""
    for command in dev_commands[:4]:
        pcm = WavAudio.load(command.audio).pcm + bytes(int(0.5 * 16000) * 2)
        assert _pause_in(pcm, VoiceTracker()) == _pause_in(pcm, None) > 0, command.text
