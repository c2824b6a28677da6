"""``local_voice_command`` on HA's bus, the shipped blueprints, and the pipeline warning."""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

import yaml
from agent_helpers import say
from homeassistant.components import assist_pipeline
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.local_voice.const import DOMAIN, EVENT_COMMAND
from local_voice_harness.fake_ollama import ScriptedTurn, tool_call
from local_voice_harness.paths import REPO_ROOT

if TYPE_CHECKING:
    from pathlib import Path

    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from local_voice_harness.fake_ollama import FakeOllama

BLUEPRINTS = REPO_ROOT / "blueprints" / "automation" / "local_voice"


async def test_every_handled_command_fires_an_event(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    events = async_capture_events(demo_home, EVENT_COMMAND)
    await say(demo_home, agent_entry, "turn on the kitchen light")
    fake_ollama.add_turns(
        ScriptedTurn(tool_calls=[tool_call("HassTurnOn", name="Coffee Maker")]),
        ScriptedTurn(text="Coffee is on its way."),
    )
    await say(demo_home, agent_entry, "I need caffeine")
    first = await say(demo_home, agent_entry, "unlock the front door")
    await say(demo_home, agent_entry, "no", first.conversation_id)
    await demo_home.async_block_till_done()

    local, model, asked, cancelled = (e.data for e in events)
    assert local["text"] == "turn on the kitchen light"
    assert local["path"] == "local_intent"
    assert local["intent"] == "HassTurnOn"
    assert local["targets"] == ["light.kitchen"]
    assert local["used_model"] is False
    assert local["language"] == "en"
    assert local["outcome"] == "done"
    assert local["response"]
    assert {"device_id", "satellite_id", "area", "area_id", "conversation_id"} <= set(local)
    assert model["path"] == "model"
    assert model["used_model"] is True
    assert model["names"] == ["HassTurnOn"]
    assert model["targets"] == ["switch.coffee_maker"]
    assert model["response"] == "Coffee Maker is now on."
    assert asked["outcome"] == "confirmation_required"
    assert asked["targets"] == ["lock.front_door"]
    assert cancelled["path"] == "confirmation"
    assert cancelled["outcome"] == "cancelled"


async def test_blueprint_automation_runs_on_command(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, tmp_path: Path
) -> None:
    hass = demo_home
    hass.config.config_dir = str(tmp_path)
    target = tmp_path / "blueprints" / "automation" / "local_voice"
    target.mkdir(parents=True)
    for blueprint in BLUEPRINTS.glob("*.yaml"):
        shutil.copy(blueprint, target / blueprint.name)
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": [
                {
                    "id": "kitchen_coffee",
                    "use_blueprint": {
                        "path": "local_voice/when_command_says.yaml",
                        "input": {
                            "phrase": "kitchen",
                            "actions": [
                                {
                                    "action": "switch.turn_on",
                                    "target": {"entity_id": "switch.coffee_maker"},
                                }
                            ],
                        },
                    },
                },
                {
                    "id": "risky",
                    "use_blueprint": {
                        "path": "local_voice/notify_risky_action.yaml",
                        "input": {
                            "actions": [
                                {
                                    "event": "risky_seen",
                                    "event_data": {"outcome": "{{ trigger.event.data.outcome }}"},
                                }
                            ]
                        },
                    },
                },
            ]
        },
    )
    await hass.async_block_till_done()
    risky = async_capture_events(hass, "risky_seen")
    await say(hass, agent_entry, "turn on the kitchen light")
    await hass.async_block_till_done()
    assert hass.states.get("switch.coffee_maker").state == "on"
    first = await say(hass, agent_entry, "unlock the front door")
    await say(hass, agent_entry, "yes", first.conversation_id)
    await hass.async_block_till_done()
    assert [e.data["outcome"] for e in risky] == ["confirmation_required", "done"]


def test_blueprints_are_valid_yaml_with_inputs() -> None:
    class Loader(yaml.SafeLoader):
        pass

    Loader.add_constructor("!input", lambda loader, node: loader.construct_scalar(node))
    files = sorted(BLUEPRINTS.glob("*.yaml"))
    assert len(files) >= 2
    for path in files:
        data = yaml.load(path.read_text(), Loader=Loader)
        assert data["blueprint"]["domain"] == "automation"
        assert data["triggers"][0]["event_type"] in {EVENT_COMMAND, "local_voice_timer"}


async def test_pipeline_preferring_local_intents_raises_repair_issue(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry
) -> None:
    from agent_helpers import agent_id, agent_subentry_id

    hass = demo_home
    entity_id = agent_id(hass, agent_entry)
    pipeline = await assist_pipeline.pipeline.async_create_default_pipeline(
        hass, stt_engine_id=None, tts_engine_id=None, pipeline_name="Kitchen voice"
    )
    assert pipeline is not None
    await assist_pipeline.pipeline.async_update_pipeline(
        hass, pipeline, conversation_engine=entity_id, prefer_local_intents=True
    )
    await say(hass, agent_entry, "what time is it")
    issue_id = f"pipeline_bypasses_confirmation_{agent_subentry_id(agent_entry)}"
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_placeholders == {"pipelines": "Kitchen voice"}
    assert issue.is_fixable
    # The fix flow turns the pipeline's own local handling off.
    assert await async_setup_component(hass, "repairs", {})
    flows = hass.data["repairs"]["flow_manager"]
    result = await flows.async_init(DOMAIN, data={"issue_id": issue_id})
    assert result["step_id"] == "confirm"
    assert result["description_placeholders"] == {"pipelines": "Kitchen voice"}
    result = await flows.async_configure(result["flow_id"], {})
    assert result["type"] == "create_entry"
    assert assist_pipeline.async_get_pipeline(hass, pipeline.id).prefer_local_intents is False
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    await say(hass, agent_entry, "what time is it")
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None


async def test_event_names_the_satellite_and_its_area(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry
) -> None:
    from homeassistant.helpers import area_registry as ar
    from homeassistant.helpers import device_registry as dr
    from homeassistant.helpers import entity_registry as er

    hass = demo_home
    kitchen = ar.async_get(hass).async_get_area_by_name("Kitchen")
    assert kitchen is not None
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=agent_entry.entry_id,
        identifiers={(DOMAIN, "kitchen-satellite")},
        name="Kitchen satellite",
    )
    dr.async_get(hass).async_update_device(device.id, area_id=kitchen.id)
    satellite = er.async_get(hass).async_get_or_create(
        "assist_satellite", DOMAIN, "kitchen-satellite", device_id=device.id
    )
    events = async_capture_events(hass, EVENT_COMMAND)
    # "the lights" with no area: HA prefers the area of the device that heard it.
    await say(hass, agent_entry, "turn on the lights", device_id=device.id)
    await hass.async_block_till_done()
    assert hass.states.get("light.kitchen").state == "on"
    assert hass.states.get("light.desk_lamp").state == "off"
    data = events[-1].data
    assert data["device_id"] == device.id
    assert data["area_id"] == kitchen.id
    assert data["area"] == "Kitchen"
    assert data["satellite_id"] == satellite.entity_id
