"""How many parts a request has: when a successful call may not be all it asked for."""

from __future__ import annotations

import pytest

from custom_components.local_voice.agent.compound import request_parts, rest_of


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("it is too dark to cook in here", 1),
        ("turn on everything in the office", 2),
        ("switch off all the lights upstairs", 2),
        ("set the thermostat to 21.5 degrees", 1),
        ("switch off the bedroom light and the living room lamp", 2),
        ("get the office ready for work, lamp and fan on", 2),
        ("switch off the living room lamp, and the bedroom light while you're at it", 2),
        ("I'm off to bed, switch off the bedroom light and the living room lamp", 2),
        ("I'm heading to bed, kill the lamp in the living room", 1),
        ("it's late, the lamp can go off", 1),
        ("lights off, fan on", 2),
        ("it's too dark in here, and too hot", 2),  # no clause asks: all of it counts
        ("turn off the lights, the fan and the tv", 3),
        ("turn on the kitchen light and then start the coffee", 2),
        ("open the blinds; also put some music on", 2),
        ("Lights off AND fan on", 2),
        ("the heating to 1,000 degrees", 1),
        ("the brandy is handy", 1),  # "and" inside a word
        # a statement joined to a condition is its reason: one change
        ("I'm going to read at my desk and it's too dark there", 1),
        ("I want coffee and light in the kitchen", 2),
        ("it's movie night, dim the living room lamp and switch off the bedroom light", 2),
        ("I'm off to bed and it's too bright in here", 1),
        ("I'm cold and it's too dark", 2),
        ("a parcel is here, let the courier in", 1),
        ("I'd like the desk lamp on, but only faintly", 1),
        ("switch off the kitchen light and that lamp", 2),
        ("turn on the fan and this light", 2),
    ],
)
def test_request_parts(text: str, parts: int) -> None:
    assert request_parts(text) == parts


@pytest.mark.parametrize(
    ("text", "done", "rest"),
    [
        ("heat the place up to 22 degrees and light up the kitchen", 1, "light up the kitchen"),
        ("Get the office ready for work, lamp and fan on.", 1, "fan on"),
        ("I'm off to bed, switch off the bedroom light and the living room lamp", 1,
         "the living room lamp"),
        ("turn off the lights, the fan and the tv", 1, "the fan and the tv"),
        ("turn off the lights, the fan and the tv", 2, "the tv"),
        ("turn off the lights, the fan and the tv", 3, None),  # all done
        ("switch off the bedroom light and the living room lamp", 0, None),  # nothing done yet
        ("turn on everything in the office", 1, None),  # one part in words
    ],
)  # fmt: skip
def test_rest_of(text: str, done: int, rest: str | None) -> None:
    assert rest_of(text, done) == rest
