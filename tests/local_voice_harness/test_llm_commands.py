"""The model's command sets: well formed, honest about the house, beyond HA's own sentences.

The sets (``local_voice_harness/data/llm_commands``) exist to test the model
behind the agent, so none of their texts may be something Home Assistant's
default agent already handles: the agent tries HA's intents first, and a
text they catch (rightly or wrongly) never reaches the model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
import yaml
from homeassistant.components import conversation
from homeassistant.components.homeassistant.exposed_entities import async_expose_entity
from homeassistant.core import Context
from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import intent
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from local_voice_harness import command_set, paths
from local_voice_harness.commands import TEXT_KINDS, CommandText, load_commands, load_texts
from local_voice_harness.expectations import changes, check

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from local_voice_harness.expectations import States

TUNING = load_texts(paths.llm_commands_file("tuning"))
HELDOUT = load_texts(paths.llm_commands_file("heldout"))
ACTIONS = frozenset({"indirect", "relative", "compound"})  # the house must change
# A sentence HA's own intents do handle: proves the check below can fail.
HANDLED_BY_HA = "turn on the kitchen light"


def _house() -> dict[str, Any]:
    spec = yaml.safe_load(paths.demo_home_file().read_text(encoding="utf-8"))
    return {e["entity_id"]: e for e in spec["entities"]}


def _states(hass: HomeAssistant) -> States:
    return {
        entity_id: {"state": state.state, "attributes": dict(state.attributes)}
        for entity_id in _house()
        if (state := hass.states.get(entity_id)) is not None
    }


def _mentioned(expect: dict[str, Any]) -> set[str]:
    return {
        *(expect.get("state") or {}),
        *(expect.get("attributes") or {}),
        *(expect.get("unchanged") or []),
    }


def test_sizes_kinds_and_no_repeats() -> None:
    assert len(TUNING) >= 36
    assert len(HELDOUT) >= 12
    assert {c.kind for c in TUNING} == {c.kind for c in HELDOUT} == TEXT_KINDS
    texts = [c.text.lower() for c in TUNING + HELDOUT]
    assert len(set(texts)) == len(texts), "a text is in both sets or twice in one"
    # Nothing from the HA-phrased sets: those test recognition, these the model.
    others = {text for text, _ in command_set.PHRASES}
    others |= {c.text for c in load_commands(paths.dev_commands_dir())}
    assert not set(texts) & {t.lower() for t in others}


async def test_expectations_fit_the_house(demo_home: HomeAssistant) -> None:
    """Doing nothing fails every action; every other request must leave the whole house as is."""
    house = _house()
    actionable = {i for i in house if not i.startswith(("sensor.", "binary_sensor."))}
    initial = _states(demo_home)
    for command in TUNING + HELDOUT:
        expect = command.expect
        assert _mentioned(expect) <= set(house), command.text
        idle = check(expect, initial, initial, "")
        if command.kind in ACTIONS:
            assert idle, f"{command.text!r} passes with the house untouched"
        else:
            assert set(expect.get("unchanged", [])) == actionable, command.text
            assert not expect.get("state"), command.text
            assert not expect.get("attributes"), command.text
        if command.kind == "risky":
            assert expect["response_contains"] == ["sure", "confirm"], command.text


async def _hear_in_the_kitchen(hass: HomeAssistant) -> str:
    """A device in the Kitchen, like the demo's satellite: HA reads 'here' as its area."""
    entry = MockConfigEntry(domain="demo_home")
    entry.add_to_hass(hass)
    kitchen = ar.async_get(hass).async_get_area_by_name("Kitchen")
    assert kitchen is not None
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={("demo_home", "satellite")}
    )
    dr.async_get(hass).async_update_device(device.id, area_id=kitchen.id)
    return device.id


async def _handled_by_ha(
    hass: HomeAssistant, command: CommandText | str, device_id: str | None
) -> str | None:
    """What HA's default agent did with the text, or None when it gave up and changed nothing."""
    text = command if isinstance(command, str) else command.text
    await hass.services.async_call("demo_home", "reset", blocking=True)
    before = _states(hass)
    result = await conversation.async_converse(
        hass,
        text,
        None,
        Context(),
        "en",
        agent_id=conversation.HOME_ASSISTANT_AGENT,
        device_id=device_id,
    )
    await hass.async_block_till_done()
    response = result.response
    did = changes(before, _states(hass))
    if response.response_type is intent.IntentResponseType.ERROR and not did:
        return None
    speech = response.speech.get("plain", {}).get("speech", "")
    return f"{text!r}: {response.response_type.value} {speech!r} {did}"


@pytest.mark.parametrize("setting", ["as is", "basement exposed", "heard in the kitchen"])
async def test_home_assistant_does_not_handle_them(demo_home: HomeAssistant, setting: str) -> None:
    """HA's default agent (its sentences, then its fuzzy matching) gives up on every text.

    Also with ``light.basement`` exposed, so the basement requests fail for their
    wording and not only for the exposure, and as heard by a device in the Kitchen.
    """
    assert await async_setup_component(demo_home, "conversation", {})
    if setting == "basement exposed":
        async_expose_entity(demo_home, "conversation", "light.basement", should_expose=True)
    device_id = await _hear_in_the_kitchen(demo_home) if setting == "heard in the kitchen" else None
    assert await _handled_by_ha(demo_home, HANDLED_BY_HA, device_id) is not None
    handled = [
        outcome
        for command in TUNING + HELDOUT
        if (outcome := await _handled_by_ha(demo_home, command, device_id)) is not None
    ]
    assert not handled, "HA handles:\n" + "\n".join(handled)
