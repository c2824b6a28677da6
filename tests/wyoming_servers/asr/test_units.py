"""Small pure parts: vocabulary validation, hotwords, silence detection, WER."""

from __future__ import annotations

import numpy as np
import pytest

from wyoming_servers.asr.scoring import normalize, word_error_rate
from wyoming_servers.asr.utterance import tail_is_silent
from wyoming_servers.asr.vocabulary import (
    MAX_PROMPT_CHARS,
    hotwords,
    load_vocabulary_file,
    merge,
    validate_names,
)
from wyoming_servers.core.errors import BadEventDataError


def test_vocabulary_is_validated_merged_and_capped(tmp_path) -> None:
    assert validate_names(["Desk  Lamp", " ", "Office Fan"], "v") == ["Desk Lamp", "Office Fan"]
    for bad in ("Desk Lamp", [1], ["x" * 65], ["a"] * 201, {"a": 1}):
        with pytest.raises(BadEventDataError):
            validate_names(bad, "v")
    assert merge(["Desk Lamp"], ["desk lamp", "Fan"]) == ("Desk Lamp", "Fan")
    assert hotwords(["Desk Lamp", "Office Fan"]) == "desk lamp, office fan"
    assert hotwords([]) is None
    long = hotwords([f"device number {i}" for i in range(200)])
    assert long is not None
    assert len(long) <= MAX_PROMPT_CHARS
    path = tmp_path / "v.txt"
    path.write_text("Kitchen # an area\n\n# comment\nDesk Lamp\n")
    assert load_vocabulary_file(path) == ["Kitchen", "Desk Lamp"]


def test_tail_silence_is_relative_to_the_speech() -> None:
    rng = np.random.default_rng(0)
    speech = (0.3 * rng.standard_normal(16000)).astype(np.float32)
    quiet = (0.001 * rng.standard_normal(8000)).astype(np.float32)
    loud = (0.3 * rng.standard_normal(8000)).astype(np.float32)
    assert tail_is_silent(np.concatenate([speech, quiet]), 16000)
    assert not tail_is_silent(np.concatenate([speech, loud]), 16000)
    assert tail_is_silent(speech, 16000)
    assert not tail_is_silent(np.concatenate([speech[:100], quiet]), 100)  # too little decoded


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
