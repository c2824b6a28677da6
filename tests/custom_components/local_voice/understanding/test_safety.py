"""The safety assessment: which effects need a spoken yes."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

import pytest
from homeassistant.setup import async_setup_component

from custom_components.local_voice.agent.relevance import says
from custom_components.local_voice.const import DEFAULT_CONFIRM
from custom_components.local_voice.understanding.safety import (
    Effect,
    assess,
    base_name,
    fit_place,
    is_read_only,
    needs_confirmation,
)

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant


@pytest.mark.parametrize(
    ("effect", "confirm"),
    [
        (Effect("lock.front_door", "Front Door", "lock", "unlock"), True),
        (Effect("lock.front_door", "Front Door", "lock", "lock"), False),
        (Effect("cover.garage_door", "Garage Door", "cover", "open", "garage"), True),
        (Effect("cover.gate", "Gate", "cover", "open", "gate"), True),
        (Effect("cover.garage_door", "Garage Door", "cover", "close", "garage"), False),
        (Effect("cover.blind", "Blind", "cover", "open", "blind"), False),
        (Effect("alarm_control_panel.home", "Alarm", "alarm_control_panel", "alarm_disarm"), True),
        (Effect("light.kitchen", "Kitchen Light", "light", "turn_on"), False),
    ],
)
def test_default_confirmation_list(effect: Effect, confirm: bool) -> None:
    assert needs_confirmation(effect, DEFAULT_CONFIRM) is confirm


def test_open_any_cover_includes_garages() -> None:
    garage = Effect("cover.garage_door", "Garage Door", "cover", "open", "garage")
    blind = Effect("cover.blind", "Blind", "cover", "open", "blind")
    assert needs_confirmation(garage, ["open_any_cover"])
    assert needs_confirmation(blind, ["open_any_cover"])
    assert not needs_confirmation(garage, [])


def test_tool_names_of_every_ha_release_map_to_intents() -> None:
    """HA 2026.3+ names the Assist tools ``intent__HassTurnOn``; 2026.2 ``HassTurnOn``."""
    assert base_name("intent__HassTurnOn") == base_name("HassTurnOn") == "HassTurnOn"
    assert is_read_only("GetLiveContext")
    assert is_read_only("homeassistant__GetLiveContext")
    assert not is_read_only("intent__HassTurnOff")


@pytest.fixture
async def house(demo_home: HomeAssistant) -> HomeAssistant:
    """The demo home with HA's intent handlers (HassTurnOn, ...) registered."""
    assert await async_setup_component(demo_home, "intent", {})
    # The climate integration's HassClimateSetTemperature comes from an intent platform
    # the intent integration loads in a task: without the wait a busy worker ran the
    # thermostat tests before it was registered.
    await demo_home.async_block_till_done()
    return demo_home


@pytest.mark.parametrize(
    ("values", "fitted"),
    [
        # A floor the home does not have (the model's guess) is dropped.
        (
            {"name": "Living Room Lamp", "area": "Living Room", "floor": "Living Room"},
            {"name": "Living Room Lamp", "area": "Living Room"},
        ),
        ({"area": "Kitchen", "floor": "Ground", "domain": ["light"]},
         {"area": "Kitchen", "domain": ["light"]}),
        ({"name": "Garage Door", "area": "Garage", "floor": "Ground"},
         {"name": "Garage Door", "area": "Garage"}),
        # A wrong area beside a name that picks one entity is dropped too.
        ({"name": "Living Room Lamp", "area": "Kitchen"}, {"name": "Living Room Lamp"}),
        # A made-up name in an area: the area's one entity with the name's last word.
        ({"name": "Office Lamp", "area": "Office", "floor": "Living Room"},
         {"name": "Desk Lamp", "area": "Office"}),
        ({"name": "Main Light", "area": "Bedroom"}, {"name": "Bedroom Light", "area": "Bedroom"}),
        # ... but not when the name names another place ("room" of "Living Room"):
        # "the main room light" was called "Main Room Light" in the speaker's Kitchen.
        ({"name": "Main Room Light", "area": "Kitchen"},
         {"name": "Main Room Light", "area": "Kitchen"}),
        ({"name": "Bedroom Lamp", "area": "Office"}, {"name": "Bedroom Lamp", "area": "Office"}),
        ({"name": "Office Light", "area": "Office"}, {"name": "Office Light", "area": "Office"}),
        ({"name": "Office Thing", "area": "Office"}, {"name": "Office Thing", "area": "Office"}),
        # Values that match, or that match nothing even loosened, stay as they are.
        ({"name": "Kitchen Light", "area": "Kitchen"}, {"name": "Kitchen Light", "area": "Kitchen"}),
        ({"name": "Hot Tub", "area": "Garden"}, {"name": "Hot Tub", "area": "Garden"}),
        ({"area": "Attic", "floor": "Top"}, {"area": "Attic", "floor": "Top"}),
        ({"name": "Kitchen Light"}, {"name": "Kitchen Light"}),
    ],
)  # fmt: skip
async def test_fit_place_drops_a_floor_or_area_that_keeps_a_name_from_matching(
    house: HomeAssistant, values: dict[str, Any], fitted: dict[str, Any]
) -> None:
    assert fit_place(house, "HassTurnOn", values) == fitted
    assert fit_place(house, "intent__HassTurnOff", values) == fitted


@pytest.mark.parametrize(
    ("request_text", "values", "fitted"),
    [
        # The request names the area, not the entity: the area wins.
        ("I want coffee and light in the kitchen",
         {"name": "Bedroom Light", "area": "Kitchen", "brightness": 100},
         {"name": "Kitchen Light", "area": "Kitchen", "brightness": 100}),
        # It names the entity (the area is the speaker's, filled in): the name wins.
        ("I'm heading to bed, kill the lamp in the living room",
         {"name": "Living Room Lamp", "area": "Kitchen"}, {"name": "Living Room Lamp"}),
        # A made-up name that begins with an area the request says: that area's.
        ("get the office ready for work, lamp and fan on",
         {"name": "Office Lamp", "area": "Kitchen", "floor": "Living Room"},
         {"name": "Desk Lamp", "area": "Office"}),
        # It names neither: as without the request, the one entity so named.
        ("it's too bright in here", {"name": "Bedroom Light", "area": "Kitchen"},
         {"name": "Bedroom Light"}),
    ],
)  # fmt: skip
async def test_fit_place_follows_the_words_of_the_request(
    house: HomeAssistant, request_text: str, values: dict[str, Any], fitted: dict[str, Any]
) -> None:
    """ "light in the kitchen" came as the Bedroom Light with area Kitchen from the 1.5B."""
    heard = partial(says, request_text)
    assert fit_place(house, "HassLightSet", values, heard=heard) == fitted


async def test_fit_place_leaves_unknown_tools_and_read_only_context_alone(
    house: HomeAssistant,
) -> None:
    values = {"area": "Living Room", "floor": "Ground"}
    assert fit_place(house, "GetLiveContext", values) == values
    assert fit_place(house, "NoSuchTool", values) == values


@pytest.mark.parametrize(
    "values",
    [
        {"name": "Thermostat", "area": "Living Room", "floor": "Living Room", "temperature": 21},
        {"name": "Thermostat", "area": "Office", "temperature": 21},  # the 1.5B's wrong area
        {"name": "Thermostat", "temperature": 21},
    ],
)
async def test_the_thermostat_tool_is_fitted_and_its_target_known(
    house: HomeAssistant, values: dict[str, Any]
) -> None:
    """HA's climate handler is not a dynamic service handler: its targets are resolved too."""
    fitted = fit_place(house, "HassClimateSetTemperature", values)
    assert "floor" not in fitted
    assert fitted.get("area") in {None, "Living Room"}
    verdict = assess(
        house, "HassClimateSetTemperature", fitted, language="en", device_id=None, confirm=()
    )
    assert verdict.target_ids == ["climate.thermostat"]
    assert not verdict.risky


async def test_an_intent_with_no_service_for_the_domain_is_invalid(house: HomeAssistant) -> None:
    """The 1.5B stopped the Living Room Lamp (HassStopMoving is for covers and valves)."""
    verdict = assess(
        house,
        "HassStopMoving",
        {"name": "Living Room Lamp"},
        language="en",
        device_id=None,
        confirm=(),
    )
    assert verdict.invalid == "HassStopMoving cannot act on Living Room Lamp"
    assert not verdict.risky
