"""Cached strict parses, and the new readings through the real agent with the guards."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from agent_helpers import say, speech
from homeassistant.components.homeassistant.exposed_entities import async_expose_entity

from custom_components.local_voice.repair import get_repairer

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from local_voice_harness.fake_ollama import FakeOllama

pytestmark = pytest.mark.timeout(60)


def state(hass: HomeAssistant, entity_id: str) -> str:
    """The state of an entity, which must exist."""
    current = hass.states.get(entity_id)
    assert current is not None
    return current.state


async def test_index_parses_are_made_ahead_and_reused(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry
) -> None:
    repairer = get_repairer(demo_home)
    await say(demo_home, agent_entry, "talk on the desk lamp")  # builds index, starts warming
    await demo_home.async_block_till_done(wait_background_tasks=True)
    assert state(demo_home, "light.desk_lamp") == "on"
    hits, misses = repairer.parses.hits, repairer.parses.misses
    repairer.timings_ms.clear()
    await say(demo_home, agent_entry, "talk off the desk lamp")
    assert state(demo_home, "light.desk_lamp") == "off"
    assert repairer.parses.hits == hits + 1  # the index sentence was parsed ahead
    assert repairer.parses.misses == misses
    assert repairer.timings_ms[0] < 20  # a table lookup and a cached parse


async def test_new_vocabulary_drops_old_parses(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry
) -> None:
    repairer = get_repairer(demo_home)
    await say(demo_home, agent_entry, "talk on the desk lamp")
    await demo_home.async_block_till_done(wait_background_tasks=True)
    version = repairer.parses.version
    async_expose_entity(demo_home, "conversation", "light.desk_lamp", should_expose=False)
    await demo_home.async_block_till_done()
    await say(demo_home, agent_entry, "talk on the kitchen light")
    assert state(demo_home, "light.kitchen") == "on"
    assert repairer.parses.version > version  # the cache follows the vocabulary
    await say(demo_home, agent_entry, "talk off the desk lamp")
    assert state(demo_home, "light.desk_lamp") == "on"  # no longer exposed: not touched


async def test_misheard_verb_that_looked_like_a_question_asks_first(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    result = await say(demo_home, agent_entry, "which the coffee maker on")
    assert state(demo_home, "switch.coffee_maker") == "off"  # never acts without a yes
    assert result.continue_conversation
    assert "coffee maker" in speech(result).lower()
    await say(demo_home, agent_entry, "yes", result.conversation_id)
    await demo_home.async_block_till_done()
    assert state(demo_home, "switch.coffee_maker") == "on"
    assert fake_ollama.chat_requests == []


async def test_filler_before_a_question_is_answered_not_acted(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry
) -> None:
    result = await say(demo_home, agent_entry, "this is the kitchen light on")
    assert state(demo_home, "light.kitchen") == "off"
    assert not result.continue_conversation
    answer = speech(result).lower()
    assert "no" in answer or "off" in answer


async def test_name_then_structure_is_repaired_read_only(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry
) -> None:
    # No "bathroom" here, and HA has no "humidity in <area>" phrasing: the name is
    # repaired first, then the sentence matched as a whole; a question only reads.
    result = await say(demo_home, agent_entry, "what is the humidity in the bathroom")
    assert "45" in speech(result)
    assert not result.continue_conversation
