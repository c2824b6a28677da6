"""Which sentences claim that something was done, and which only say how things are."""

from __future__ import annotations

import pytest

from custom_components.local_voice.agent.claims import claims_a_change


@pytest.mark.parametrize(
    "sentence",
    [
        "Garage Door is now open.",
        "The lights are now off.",
        "It's now on.",
        "They\u2019re now locked.",
        "Kitchen light now on.",
        "The front door has been locked.",
        "Both lights have been turned off.",
        "The bedroom light was switched off.",
        "The thermostat was set to 22 degrees.",
        "The coffee maker was successfully started.",
        "I've set the thermostat to 21 degrees.",
        "I have turned on the kitchen light.",
        "I just opened the garage door for you.",
        "I turned off the living room lamp.",
        "I'll switch on the coffee maker.",
        "Let me turn on the desk lamp.",
        "Turned on the kitchen light.",
        "Kitchen light switched off.",
        "Done.",
        "Done!",
        "Okay, done.",
        "All done, the lamp is off.",
        "All set.",
        "Sure, there you go.",
        "I've added milk to your shopping list.",
    ],
)
def test_claims_of_a_change(sentence: str) -> None:
    assert claims_a_change(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "The garage door is open.",
        "The front door is locked.",
        "The kitchen light is on.",
        "The kitchen light is turned on.",
        "It's turned off.",
        "The lights are all turned off.",
        "The bedroom light isn't turned on.",
        "The front door has not been locked.",
        "I didn't turn anything on.",
        "I have not turned on the light.",
        "I can't control the basement light.",
        "I can turn on the kitchen light if you like.",
        "I could not set that brightness.",
        "The temperature is 21 degrees.",
        "Tea is best brewed at eighty degrees.",
        "To be honest, I have no idea.",
        "I don't know what you mean.",
        "Your shopping list has milk and eggs on it.",
        "Hello! How can I help?",
        "Coffee is on its way.",
    ],
)
def test_statements_of_the_current_state_and_other_answers_are_not_claims(
    sentence: str,
) -> None:
    assert not claims_a_change(sentence)
