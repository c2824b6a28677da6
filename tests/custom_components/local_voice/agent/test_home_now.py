"""The home right now: a short line per exposed entity for the model's volatile message."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from homeassistant.core import State

from custom_components.local_voice.agent.home_now import describe, home_now, live_context

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant


@pytest.mark.parametrize(
    ("entity_id", "state", "attributes", "words"),
    [
        ("light.a", "on", {"brightness": 128}, "on at 50 percent brightness"),
        ("light.a", "on", {}, "on"),
        ("light.a", "off", {"brightness": None}, "off"),
        (
            "climate.a",
            "heat_cool",
            {"temperature": 20.0, "current_temperature": 19.5},
            "heat cool, set to 20 °",
        ),
        ("sensor.a", "45.0", {"unit_of_measurement": "%"}, "45 %"),
        ("sensor.a", "21.5", {"unit_of_measurement": "°C"}, "21.5 °C"),
        ("sensor.a", "dry", {}, "dry"),
        ("binary_sensor.a", "off", {"device_class": "door"}, "closed"),
        ("binary_sensor.a", "on", {"device_class": "garage_door"}, "open"),
        ("binary_sensor.a", "on", {"device_class": "motion"}, "motion detected"),
        ("binary_sensor.a", "on", {}, "on"),
        ("fan.a", "on", {"percentage": 33}, "on at 33 percent speed"),
        ("cover.a", "open", {"current_position": 40}, "open, 40 percent open"),
        ("cover.a", "closed", {"current_position": 0}, "closed"),
        ("lock.a", "locked", {}, "locked (HassTurnOff unlocks it)"),
        ("lock.a", "unlocked", {}, "unlocked (HassTurnOn locks it)"),
        ("lock.a", "jammed", {}, "jammed"),
        ("vacuum.a", "returning_home", {}, "returning home"),
        ("light.a", "unavailable", {"brightness": 128}, "unavailable"),
    ],
)
def test_describe(entity_id: str, state: str, attributes: dict[str, Any], words: str) -> None:
    assert describe(State(entity_id, state, attributes)) == words


async def test_only_exposed_entities_with_their_areas_and_states(demo_home: HomeAssistant) -> None:
    text = home_now(demo_home)
    lines = text.splitlines()
    assert lines[0] == "Current states:"
    assert lines[1:] == sorted(lines[1:])
    assert "- Office Fan (Office): off" in lines
    assert "- Back Door (Hallway): closed" in lines
    assert "- Bedroom Humidity (Bedroom): 45 %" in lines
    unit = demo_home.config.units.temperature_unit
    assert f"- Thermostat (Living Room): heat, set to 20 {unit}" in lines
    assert not any("Basement" in line for line in lines)  # not exposed
    assert len(lines) == 1 + 12


async def test_a_change_shows_in_the_next_text(demo_home: HomeAssistant) -> None:
    demo_home.states.async_set("fan.office_fan", "on", {"friendly_name": "Office Fan"})
    assert "- Office Fan (Office): on" in home_now(demo_home).splitlines()


@pytest.mark.parametrize(
    ("arguments", "lines"),
    [
        ({"area": "Bedroom", "domain": ["light"]}, ["- Bedroom Light (Bedroom): off"]),
        ({"area": "bedroom", "domain": "sensor"}, ["- Bedroom Humidity (Bedroom): 45 %"]),
        ({"name": "office fan"}, ["- Office Fan (Office): off"]),
        ({"area": "Basement"}, None),  # nothing matches (not exposed): every line
        ({}, None),
        ({"area": 7, "domain": None}, None),  # junk from the model: ignored
    ],
)
async def test_live_context_answers_with_the_lines_asked_about(
    demo_home: HomeAssistant, arguments: dict[str, Any], lines: list[str] | None
) -> None:
    demo_home.states.async_set(
        "light.bedroom", "off", {"friendly_name": "Bedroom Light", "brightness": None}
    )
    text = live_context(demo_home, arguments)
    assert text.splitlines()[0] == "Current states:"
    assert text.splitlines()[1:] == (lines or home_now(demo_home).splitlines()[1:])
