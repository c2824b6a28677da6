"""Which sentences go on from the conversation (and get its earlier turns)."""

from __future__ import annotations

import pytest

from custom_components.local_voice.agent.follow_up import continues


@pytest.mark.parametrize(
    "sentence",
    [
        "it's way too light to sleep in the bedroom",
        "turn on the kitchen light",
        "I can't see a thing in the kitchen",
        "is the office fan still blowing",
        "the office feels like an oven",
        "switch off the bedroom light and the living room lamp",
        "make it three degrees cooler in here",
        "I'll dim this room",
        "I need more light in the kitchen please",
        "I'm going to read that my desk and it's too dark there",  # tiny.en: "at my desk"
        "How Them Is The Bedroom.",  # tiny.en: "how damp is the bedroom"
        "is that the garage door",
        "",
        "is the back door open",
        "A parsley pear, left back earlier in.",  # tiny.en, for "let the courier in"
    ],
)
def test_a_sentence_that_says_all_it_means_stands_alone(sentence: str) -> None:
    assert not continues(sentence, "Bedroom Light is now off.")
    assert not continues(sentence, None)


@pytest.mark.parametrize(
    "sentence",
    [
        "and the kitchen",
        "what about the hall",
        "How about the office?",
        "no, the other one",
        "turn it off again",
        "a bit more",
        "do the same in the office",
        "now the fan",
        "put them back",
        "set it back to how it was",
        "switch those on",
        "turn that off",
        "no, not that",
        "the other ones",
        "that one",
        "the kitchen too",
        "the hall as well",
    ],
)
def test_a_sentence_that_points_back_continues(sentence: str) -> None:
    assert continues(sentence, "Bedroom Light is now off.")


def test_an_answer_to_a_question_continues() -> None:
    assert continues("the kitchen", "Which light do you mean?")
    assert not continues("the kitchen", "Kitchen Light is now on.")
    # a reply to our yes-or-no that is neither is a new request (the pending action is gone)
    assert not continues("is the fan on", "Are you sure you want me to unlock Front Door?")
    assert not continues("is the fan on", "Did you mean: turn on the fan?")
