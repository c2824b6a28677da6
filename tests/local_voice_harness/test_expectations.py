"""The ``expect`` checks, against hand-built before/after states."""

from __future__ import annotations

from typing import Any

import pytest

from local_voice_harness.expectations import changes, check, says


def _states(**items: tuple[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {k.replace("__", "."): {"state": s, "attributes": a} for k, (s, a) in items.items()}


BEFORE = _states(
    light__kitchen=("off", {"brightness": None}),
    climate__thermostat=("heat", {"temperature": 20}),
    cover__garage_door=("closed", {}),
)


def test_state_met_and_missed() -> None:
    after = _states(light__kitchen=("on", {}))
    assert check({"state": {"light.kitchen": "on"}}, BEFORE, after, "") == []
    assert check({"state": {"light.kitchen": "off"}}, BEFORE, after, "") == [
        "light.kitchen is 'on', wanted 'off'"
    ]


def test_state_accepts_any_of_a_list() -> None:
    after = _states(cover__garage_door=("opening", {}))
    assert check({"state": {"cover.garage_door": ["open", "opening"]}}, BEFORE, after, "") == []


def test_missing_entity_fails() -> None:
    assert check({"state": {"light.nowhere": "on"}}, BEFORE, BEFORE, "") == [
        "light.nowhere is None, wanted 'on'"
    ]


def test_attributes_compare_numbers_as_numbers() -> None:
    after = _states(climate__thermostat=("heat", {"temperature": 22.0}))
    assert (
        check({"attributes": {"climate.thermostat": {"temperature": 22}}}, BEFORE, after, "") == []
    )
    failures = check({"attributes": {"climate.thermostat": {"temperature": 23}}}, BEFORE, after, "")
    assert failures == ["climate.thermostat.temperature is 22.0, wanted 23"]


def test_attribute_in_a_range() -> None:
    dimmer = {"attributes": {"light.kitchen": {"brightness": {"min": 1, "max": 254}}}}
    for brightness, ok in ((1, True), (128, True), (254, True), (255, False), (0, False)):
        after = _states(light__kitchen=("on", {"brightness": brightness}))
        assert (check(dimmer, BEFORE, after, "") == []) is ok, brightness
    off = _states(light__kitchen=("off", {"brightness": None}))
    assert check(dimmer, BEFORE, off, "") == [
        "light.kitchen.brightness is None, wanted {'min': 1, 'max': 254}"
    ]


def test_a_range_may_have_one_bound_and_sit_in_a_list() -> None:
    at_most_half = {"attributes": {"light.kitchen": {"brightness": [{"max": 128}, 255]}}}
    for brightness, ok in ((3, True), (128, True), (129, False), (255, True), (True, False)):
        after = _states(light__kitchen=("on", {"brightness": brightness}))
        assert (check(at_most_half, BEFORE, after, "") == []) is ok, brightness


def test_attribute_bool_is_not_a_number() -> None:
    after = _states(light__kitchen=("on", {"flag": True}))
    assert check({"attributes": {"light.kitchen": {"flag": 1}}}, BEFORE, after, "") != []


def test_unchanged() -> None:
    assert check({"unchanged": ["cover.garage_door"]}, BEFORE, BEFORE, "") == []
    after = _states(cover__garage_door=("open", {}))
    assert check({"unchanged": ["cover.garage_door"]}, BEFORE, after, "") == [
        "cover.garage_door changed 'closed' -> 'open', must not change"
    ]


def test_response_contains_is_case_insensitive_any_of() -> None:
    expect = {"response_contains": ["sure", "confirm"]}
    assert check(expect, BEFORE, BEFORE, "Please CONFIRM: open the garage door?") == []
    assert check(expect, BEFORE, BEFORE, "Opened the garage door") == [
        "answer 'Opened the garage door' contains none of ['sure', 'confirm']"
    ]


def test_every_failure_is_reported() -> None:
    expect = {"state": {"light.kitchen": "on"}, "response_contains": ["on"]}
    assert len(check(expect, BEFORE, BEFORE, "nope")) == 2


def test_changes_reports_states_then_attributes_only_for_the_house() -> None:
    after = _states(
        light__kitchen=("on", {"brightness": 255}),
        climate__thermostat=("heat", {"temperature": 22}),
        cover__garage_door=("closed", {}),
        tts__piper=("2026-01-01", {}),
    )
    house = {"light.kitchen", "climate.thermostat", "cover.garage_door"}
    assert changes(BEFORE, after, house) == [
        "climate.thermostat.temperature: 20 -> 22",
        "light.kitchen: off -> on",
    ]
    assert "tts.piper: None -> 2026-01-01" in changes(BEFORE, after)


@pytest.mark.parametrize(
    ("answer", "phrase", "found"),
    [
        ("No, the coffee maker is off.", "no", True),
        ("I do not know.", "no", False),  # "no" is not a word of "not" or "know"
        ("Nothing is running.", "no", False),
        ("Are you sure you want me to unlock the Front Door?", "sure", True),
        ("I can't order food.", "can't", True),
        ("It is 21.5 degrees.", "21.5", True),
        ("The thermostat is set to 20.", "20", True),
        ("The thermostat is set to 200.", "20", False),
    ],
)
def test_answers_are_matched_by_whole_words(answer: str, phrase: str, found: bool) -> None:
    assert says(answer, phrase) is found
