"""Whether a model's call has anything to do with the words of the request."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from custom_components.local_voice.agent.relevance import (
    asks_for_change,
    meant_by_word,
    opens,
    pointed_at,
    related,
    speaks_of_warmth,
)
from custom_components.local_voice.understanding.safety import Effect
from local_voice_harness.commands import CommandText, load_texts
from local_voice_harness.paths import llm_commands_file

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

KITCHEN_LIGHT = Effect("light.kitchen", "Kitchen Light", "light", "turn_on")
THERMOSTAT = Effect("climate.thermostat", "Thermostat", "climate", "set (ClimateSetTemperature)")
OFFICE_FAN = Effect("fan.office_fan", "Office Fan", "fan", "turn_on")
FRONT_DOOR = Effect("lock.front_door", "Front Door", "lock", "unlock")
COFFEE = Effect("switch.coffee_maker", "Coffee Maker", "switch", "turn_on")


@pytest.mark.parametrize(
    ("request_text", "effect"),
    [
        ("the kitchen is too dark to cook in", KITCHEN_LIGHT),  # the area
        ("it's too dark in here", KITCHEN_LIGHT),  # what a light changes
        ("I can't see a thing", KITCHEN_LIGHT),
        ("warm it up a couple of degrees", THERMOSTAT),
        ("knock the heating down a degree", THERMOSTAT),  # "heating" starts with "heat"
        ("I'm freezing", THERMOSTAT),
        ("it's stuffy in the office", OFFICE_FAN),
        ("the office feels like an oven", OFFICE_FAN),
        ("a parcel is here, let the courier in", FRONT_DOOR),
        ("I need caffeine, get the coffee going", COFFEE),  # the name
        ("I need caffeine", COFFEE),  # what it is for
    ],
)
async def test_related(demo_home: HomeAssistant, request_text: str, effect: Effect) -> None:
    assert related(demo_home, request_text, [effect])


@pytest.mark.parametrize(
    ("request_text", "effect"),
    [
        ("order a pizza", KITCHEN_LIGHT),  # the 1.5B switched it on
        ("the office feels like an oven", THERMOSTAT),  # the 1.5B set it to 25
        ("call my mum", COFFEE),
        ("wash the dishes", OFFICE_FAN),
    ],
)
async def test_unrelated(demo_home: HomeAssistant, request_text: str, effect: Effect) -> None:
    assert not related(demo_home, request_text, [effect])


async def test_one_related_target_is_enough(demo_home: HomeAssistant) -> None:
    assert related(demo_home, "switch off the coffee and the lamp", [OFFICE_FAN, COFFEE])


@pytest.mark.parametrize(
    ("request_text", "entity_ids"),
    [
        ("is it muggy in the bedroom", ["sensor.bedroom_humidity"]),  # area and measure
        ("how damp is the bedroom", ["sensor.bedroom_humidity"]),
        (
            "do I need a jumper in the living room",
            ["climate.thermostat", "sensor.living_room_temperature"],
        ),
        ("is the coffee maker still brewing", ["switch.coffee_maker"]),  # its name
        # "door" names both doors; every word of the Back Door's name is heard
        ("did somebody leave the back door open", ["binary_sensor.back_door"]),
        ("is it bright enough in the kitchen to read", ["light.kitchen"]),
        ("what's the news", []),
        # an area and no word for a kind of thing: all of the area
        ("is anything running in the kitchen", ["light.kitchen", "switch.coffee_maker"]),
        # "temperature" names the sensor alone, but is a word for the thermostat too
        ("what temperature is the heating aiming for", []),
    ],
)
async def test_what_a_question_points_at(
    demo_home: HomeAssistant, request_text: str, entity_ids: list[str]
) -> None:
    assert sorted(pointed_at(demo_home, request_text)) == entity_ids


async def test_an_area_alone_is_all_of_it_only_when_asked(demo_home: HomeAssistant) -> None:
    assert pointed_at(demo_home, "how come this is a bedroom", whole_area=False) == []
    assert pointed_at(demo_home, "how come this is a bedroom") == [
        "light.bedroom",
        "sensor.bedroom_humidity",
    ]


async def test_what_is_not_exposed_is_never_pointed_at(demo_home: HomeAssistant) -> None:
    assert pointed_at(demo_home, "is the basement light on") == []
    assert pointed_at(demo_home, "is the basement light on", "Kitchen") == ["light.kitchen"]


async def test_without_an_area_the_speakers_is_meant(demo_home: HomeAssistant) -> None:
    assert pointed_at(demo_home, "is it muggy in here") == []
    assert pointed_at(demo_home, "is it muggy in here", "Bedroom") == ["sensor.bedroom_humidity"]


async def test_a_word_of_one_name_alone_points_at_it(demo_home: HomeAssistant) -> None:
    """From the kitchen, "night" is a word for its light; "front" names the Front Door alone."""
    request = "have I locked up the front for the night"
    assert pointed_at(demo_home, request, "Kitchen") == ["lock.front_door"]
    assert pointed_at(demo_home, "is it too dark in here", "Kitchen") == ["light.kitchen"]


@pytest.mark.parametrize(
    ("request_text", "asks"),
    [
        ("open up the front door so I can get in", True),
        ("I've forgotten my keys, can you let me in at the front", True),
        ("unlock the front door", True),
        ("I'm forgotten my keys. Can you let me get into the front?", True),  # tiny.en
        ("lock the front door", False),
        ("make sure nobody can open the front door, lock it", False),
        ("let the dog out", False),
        # locked out: a reason to open (the 1.5B locked the locked Front Door again)
        ("I'm locked out, let me into the house", True),
        ("I locked myself out, let me in", True),
        ("lock the door, then let me out", False),
    ],
)
def test_a_request_to_open(request_text: str, asks: bool) -> None:
    assert opens(request_text) is asks


def test_the_unlock_tool_is_named_like_the_call() -> None:
    """HA 2026.3+ names the Assist tools ``intent__HassTurnOn``; 2026.2 ``HassTurnOn``."""
    from custom_components.local_voice.agent.guard import unlock_tool

    assert unlock_tool("HassTurnOn") == "HassTurnOff"
    assert unlock_tool("intent__HassTurnOn") == "intent__HassTurnOff"


async def test_the_speakers_area_without_a_word_for_a_kind_points_at_nothing(
    demo_home: HomeAssistant,
) -> None:
    """Only an area the question names is all of it; "in here" with no kind is not."""
    assert pointed_at(demo_home, "is anything going on in here", "Kitchen") == []


def _requests_for_a_change() -> list[str]:
    """Every request of both model sets that is not a question or impossible."""
    return [t.text for t in _both_sets() if t.kind not in {"question", "impossible"}]


def _both_sets() -> list[CommandText]:
    return [t for name in ("tuning", "heldout") for t in load_texts(llm_commands_file(name))]


@pytest.mark.parametrize("request_text", _requests_for_a_change())
def test_every_request_of_the_sets_asks_for_a_change(request_text: str) -> None:
    assert asks_for_change(request_text)


@pytest.mark.parametrize(
    "request_text",
    [
        "lamp on",
        "heating up a bit",
        "I'm off to bed",
        "the living room is like a fridge, I'm frozen",
        "could the desk lamp be a touch dimmer",
        "I could really use a coffee",
        "it's too loud",
    ],
)
def test_short_requests_ask_for_a_change(request_text: str) -> None:
    assert asks_for_change(request_text)


@pytest.mark.parametrize(
    "request_text",
    [
        "I'll dump this a bedroom.",  # tiny.en for "how damp is the bedroom"
        "what's the news",
        "order a pizza",
        "the bedroom",
    ],
)
def test_words_that_ask_for_no_change(request_text: str) -> None:
    assert not asks_for_change(request_text)


def _requests_about_the_thermostat() -> list[str]:
    """Every request of both model sets that wants the thermostat changed."""
    return [
        t.text
        for t in _both_sets()
        if any("climate.thermostat" in (t.expect.get(key) or {}) for key in ("state", "attributes"))
    ]


@pytest.mark.parametrize("request_text", _requests_about_the_thermostat())
def test_every_thermostat_request_of_the_sets_speaks_of_warmth(request_text: str) -> None:
    assert speaks_of_warmth(request_text)


@pytest.mark.parametrize(
    "request_text",
    ["the living room is like a fridge, I'm frozen", "I'm freezing", "is it cold in here"],
)
def test_more_words_for_warmth(request_text: str) -> None:
    assert speaks_of_warmth(request_text)


@pytest.mark.parametrize(
    "request_text",
    [
        "I need caffeine, get the coffee going",
        "order a pizza",
        "is anything running in the kitchen",
    ],
)
def test_requests_not_about_warmth(request_text: str) -> None:
    assert not speaks_of_warmth(request_text)


@pytest.mark.parametrize(
    ("name", "meant"),
    [
        ("Courier", "Front Door"),  # a word for a lock; one lock
        ("Caffeine", "Coffee Maker"),  # a word for what it is for
        ("oven", "Office Fan"),  # "the office feels like an oven": a word for a fan
        ("Lamp", None),  # four lights
        ("Pizza", None),  # a word for nothing
        ("Humidity", None),  # sensors are never meant
        ("Front Courier", None),  # one word only
    ],
)
async def test_a_made_up_name_is_the_one_device_it_is_a_word_for(
    demo_home: HomeAssistant, name: str, meant: str | None
) -> None:
    assert meant_by_word(demo_home, name) == meant
