"""Whether a model's call has anything to do with the words of the request."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from custom_components.local_voice.agent.relevance import related
from custom_components.local_voice.understanding.safety import Effect

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
