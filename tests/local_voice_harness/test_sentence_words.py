"""The simulated user's reading of "Did you mean: X?"."""

from __future__ import annotations

import pytest

from local_voice_harness.sentence_words import answered_yes, means, suggestion_of, with_yes


def test_the_suggestion_is_read_from_the_question_only() -> None:
    assert suggestion_of("Did you mean: turn on the desk lamp?") == "turn on the desk lamp"
    assert suggestion_of("Turned on the light") is None
    assert suggestion_of("Did you mean: ?") is None


@pytest.mark.parametrize(
    ("suggestion", "said", "meant"),
    [
        ("switch on the coffee maker", "switch the coffee maker on", True),
        ("turn off the bedroom light", "could you turn off the bedroom light", True),
        ("set the thermostat to 23 degrees", "set the thermostat to 23 degrees", True),
        ("turn on the lights in the office", "turn on the fan in the office", False),
        ("turn off the lights in the living room", "turn off the lamp in the living room", False),
        ("unlock the front door", "lock the front door", False),
    ],
)
def test_yes_only_when_the_suggestion_adds_nothing(suggestion: str, said: str, meant: bool) -> None:
    assert means(suggestion, said) is meant


def test_a_yes_written_into_the_answer_is_read_back() -> None:
    recorded = with_yes("Did you mean: turn on the desk lamp?", "Turned on the light")
    assert recorded == "Did you mean: turn on the desk lamp? | yes | Turned on the light"
    assert answered_yes(recorded)
    assert not answered_yes("Did you mean: turn on the desk lamp? | no | OK")
