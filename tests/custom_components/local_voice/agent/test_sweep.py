"""Everything in one area at once, without the model: real HA, the demo home, the scripted model."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from agent_helpers import device_in, say, speech
from homeassistant.components.homeassistant.exposed_entities import async_expose_entity
from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import entity_registry as er

from custom_components.local_voice.agent.sweep import sweep_call
from custom_components.local_voice.const import ASSISTANT, DOMAIN
from custom_components.local_voice.understanding.text import hear
from local_voice_harness.fake_ollama import ScriptedTurn

if TYPE_CHECKING:
    from homeassistant.core import Event, HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from local_voice_harness.fake_ollama import FakeOllama

TOOLS = ("HassTurnOn", "HassTurnOff", "HassLightSet")


def state(hass: HomeAssistant, entity_id: str) -> str:
    found = hass.states.get(entity_id)
    assert found is not None
    return found.state


@pytest.mark.parametrize(
    ("text", "tool", "area", "domains"),
    [
        ("turn on everything in the office", "HassTurnOn", "Office", ["fan", "light"]),
        ("Switch everything in the kitchen off.", "HassTurnOff", "Kitchen", ["light", "switch"]),
        (
            "please turn all the devices off in the Office",
            "HassTurnOff",
            "Office",
            ["fan", "light"],
        ),
        (
            "can you power off all the things in living room",
            "HassTurnOff",
            "Living Room",
            ["light"],
        ),
        ("shut off everything in the bedroom please", "HassTurnOff", "Bedroom", ["light"]),
    ],
)
async def test_the_sentences_it_reads(
    demo_home: HomeAssistant, text: str, tool: str, area: str, domains: list[str]
) -> None:
    call = sweep_call(demo_home, hear(text), TOOLS, None, None)
    assert call is not None
    assert (call.tool_name, call.tool_args) == (tool, {"area": area, "domain": domains})


@pytest.mark.parametrize(
    "text",
    [
        "turn on the lights in the office",  # HA's own sentence
        "is everything in the office on",  # a question
        "turn on everything in the attic",  # no such area
        "turn on everything in the garage",  # only a door there: not "everything" to switch
        "turn on everything",  # no area
        "turn on everything in the office and the kitchen",  # not one area
    ],
)
async def test_what_it_leaves_alone(demo_home: HomeAssistant, text: str) -> None:
    assert sweep_call(demo_home, hear(text), TOOLS, None, None) is None


async def test_the_tool_is_named_as_the_api_names_it(demo_home: HomeAssistant) -> None:
    """HA 2026.3+ prefixes intent tools; a tool the API lacks means no call."""
    heard = hear("turn off everything in the office")
    call = sweep_call(demo_home, heard, ("intent__HassTurnOff",), None, None)
    assert call is not None
    assert call.tool_name == "intent__HassTurnOff"
    assert sweep_call(demo_home, heard, ("HassTurnOn",), None, None) is None


async def test_everything_in_the_office_without_the_model(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    """The 1.5B switched on the office fan alone (three voices of three)."""
    events: list[Event[Any]] = []
    demo_home.bus.async_listen(f"{DOMAIN}_command", events.append)
    result = await say(demo_home, agent_entry, "Turn on everything in the office.")
    assert fake_ollama.chat_requests == []
    assert state(demo_home, "light.desk_lamp") == "on"
    assert state(demo_home, "fan.office_fan") == "on"
    assert "Desk Lamp" in speech(result)
    assert "Office Fan" in speech(result)
    await demo_home.async_block_till_done()
    assert events[-1].data["path"] == "local_intent"
    assert events[-1].data["outcome"] == "done"


async def test_in_here_is_the_speakers_area_and_only_what_switches(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    """The living room's thermostat keeps heating; its lamp goes off."""
    device_id = device_in(demo_home, agent_entry, "Living Room")
    await say(demo_home, agent_entry, "switch off everything in here", device_id=device_id)
    assert fake_ollama.chat_requests == []
    assert state(demo_home, "light.living_room_lamp") == "off"
    assert state(demo_home, "climate.thermostat") == "heat"


async def test_an_unexposed_light_in_the_area_stays_off(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    office = ar.async_get(demo_home).async_get_area_by_name("Office")
    assert office is not None
    er.async_get(demo_home).async_update_entity("light.basement", area_id=office.id)
    await say(demo_home, agent_entry, "turn on everything in the office")
    assert state(demo_home, "light.desk_lamp") == "on"
    assert state(demo_home, "light.basement") == "off"
    async_expose_entity(demo_home, ASSISTANT, "light.basement", True)  # the check can fail
    await say(demo_home, agent_entry, "turn on everything in the office")
    assert state(demo_home, "light.basement") == "on"


async def test_a_room_with_nothing_to_switch_goes_to_the_model(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    fake_ollama.add_turns(ScriptedTurn(text="There is only the garage door there."))
    result = await say(demo_home, agent_entry, "turn on everything in the garage")
    assert len(fake_ollama.chat_requests) == 1
    assert speech(result) == "There is only the garage door there."
    assert state(demo_home, "cover.garage_door") == "closed"
