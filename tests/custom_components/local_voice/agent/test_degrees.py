"""The change a request asks for in degrees (``agent/degrees.py``)."""

from __future__ import annotations

import pytest

from custom_components.local_voice.agent.degrees import degrees_asked, new_setting


@pytest.mark.parametrize(
    ("request_text", "change"),
    [
        ("warm it up a couple of degrees", 2),
        ("it's a bit chilly, bump the heat up by one degree", 1),
        ("knock the heating down a degree", -1),
        ("make it three degrees cooler in here", -3),
        ("make it 2 degrees warmer", 2),
        ("half a degree warmer please", 0.5),
        ("could you lower the heating by 1.5 degrees", -1.5),
        ("a couple degrees colder", -2),
    ],
)
def test_a_change_by_an_amount(request_text: str, change: float) -> None:
    assert degrees_asked(request_text) == change


@pytest.mark.parametrize(
    "request_text",
    [
        "heat the place up to 22 degrees and light up the kitchen",  # a setting
        "set the temperature to 22 degrees",
        "keep it at 21 degrees",
        "it's 18 degrees in here, warm it up",  # more than five: a reading, not a change
        "warm it up a bit",  # no amount
        "what is it in degrees",
        "a couple of degrees",  # no way
        "turn the heat up a degree or two, no, down",  # both ways
    ],
)
def test_no_change_read(request_text: str) -> None:
    assert degrees_asked(request_text) is None


def test_the_new_setting() -> None:
    assert new_setting(20, 2) == 22
    assert new_setting(20.5, -1.5) == 19
    assert new_setting(None, 2) is None
    assert new_setting("20", 2) is None
    assert new_setting(True, 2) is None
