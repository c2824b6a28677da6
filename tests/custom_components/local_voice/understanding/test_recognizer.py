"""HA's recogniser through ``Recognizer``: the internals it needs, the lock, the cache, warm-up.

Real HA core with the demo home; the model behind the agent is the scripted
Ollama (``chat_requests`` shows whether it was asked).
"""

from __future__ import annotations

import asyncio
import inspect
import time
from typing import TYPE_CHECKING

import pytest
from agent_helpers import home_of, say, speech, user_input
from hassil.recognize import RecognizeResult
from homeassistant.components.conversation import async_get_chat_log
from homeassistant.components.conversation.agent_manager import async_get_agent
from homeassistant.components.conversation.default_agent import DefaultAgent
from homeassistant.components.homeassistant.exposed_entities import async_expose_entity
from homeassistant.helpers.chat_session import async_get_chat_session
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.local_voice.understanding.local import LocalKind, async_try_local
from custom_components.local_voice.understanding.recognizer import Recognizer

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

pytestmark = pytest.mark.timeout(60)


def state(hass: HomeAssistant, entity_id: str) -> str:
    """The state of an entity, which must exist."""
    current = hass.states.get(entity_id)
    assert current is not None
    return current.state


def test_the_ha_internals_the_recognizer_uses_are_still_there() -> None:
    """Fails on the day HA changes what ``recognizer.py`` relies on (docs/ha-internals.md)."""
    parameters = inspect.signature(DefaultAgent.async_recognize_intent).parameters
    assert list(parameters)[:3] == ["self", "user_input", "strict_intents_only"]
    assert {"intent", "entities_list"} <= set(RecognizeResult.__dataclass_fields__)


async def test_index_parses_are_made_ahead_and_reused(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry
) -> None:
    recognizer = home_of(demo_home).recognizer
    await say(demo_home, agent_entry, "talk on the desk lamp")  # builds index, starts warming
    await demo_home.async_block_till_done(wait_background_tasks=True)
    assert state(demo_home, "light.desk_lamp") == "on"
    hits, misses = recognizer.hits, recognizer.misses
    await say(demo_home, agent_entry, "talk off the desk lamp")
    assert state(demo_home, "light.desk_lamp") == "off"
    assert recognizer.hits == hits + 1  # the index sentence was parsed ahead
    assert recognizer.misses == misses


async def test_new_vocabulary_drops_old_parses(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry
) -> None:
    recognizer = home_of(demo_home).recognizer
    await say(demo_home, agent_entry, "talk on the desk lamp")
    await demo_home.async_block_till_done(wait_background_tasks=True)
    version = recognizer.version
    async_expose_entity(demo_home, "conversation", "light.desk_lamp", should_expose=False)
    await demo_home.async_block_till_done()
    await say(demo_home, agent_entry, "talk on the kitchen light")
    assert state(demo_home, "light.kitchen") == "on"
    assert recognizer.version > version  # the cache follows the vocabulary
    await say(demo_home, agent_entry, "talk off the desk lamp")
    assert state(demo_home, "light.desk_lamp") == "on"  # no longer exposed: not touched


async def test_a_live_command_waits_for_a_recognition_in_flight(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry
) -> None:
    hass = demo_home
    recognizer = home_of(hass).recognizer
    sentence = user_input("turn on the kitchen light")
    await recognizer.lock.acquire()
    with (
        async_get_chat_session(hass) as session,
        async_get_chat_log(hass, session, sentence) as chat_log,
    ):
        task = hass.async_create_task(
            async_try_local(hass, recognizer, sentence, chat_log, question=False, confirm=())
        )
        await asyncio.sleep(0.2)
        assert not task.done()
        assert state(hass, "light.kitchen") == "off"
        recognizer.lock.release()
        outcome = await asyncio.wait_for(task, 10)
    assert outcome is not None
    assert outcome.kind is LocalKind.DONE
    assert state(hass, "light.kitchen") == "on"


async def test_a_nested_recognition_does_not_wait_for_itself(demo_home: HomeAssistant) -> None:
    """An intent whose script asks the agent again runs inside the held lock."""
    recognizer = Recognizer(demo_home)
    async with asyncio.timeout(2), recognizer.one_at_a_time(), recognizer.one_at_a_time():
        assert recognizer.lock.locked()
    assert not recognizer.lock.locked()


async def test_commands_said_at_once_while_repair_parses_warm_up_all_match(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry
) -> None:
    """Satellites speaking together while the background parses run: none misses.

    A miss would show as a strict parse by the repair (``misses``) for a
    sentence HA's intents know word for word.
    """
    hass = demo_home
    await say(hass, agent_entry, "turn on the mess lamp")  # a repair: starts the parses
    recognizer = home_of(hass).recognizer
    commands = [
        "unlock the front door",  # risky: held for a "yes"
        "turn on the kitchen light",
        "turn off the desk lamp",
        "turn on the office fan",
        "turn on the coffee maker",
        "turn on the living room lamp",
        "open the garage door",  # risky: held
        "turn on the bedroom light",
    ]
    for _ in range(3):
        misses = recognizer.misses
        results = await asyncio.gather(*(say(hass, agent_entry, text) for text in commands))
        heard = {text: speech(result) for text, result in zip(commands, results, strict=True)}
        assert recognizer.misses == misses, heard
        assert results[0].continue_conversation, heard
    assert state(hass, "lock.front_door") == "locked"
    assert state(hass, "light.desk_lamp") == "off"
    assert state(hass, "fan.office_fan") == "on"


async def test_setup_warms_the_matcher_without_side_effects(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry
) -> None:
    events = async_capture_events(demo_home, "local_voice_command")
    recognizer = home_of(demo_home).recognizer
    await demo_home.async_block_till_done(wait_background_tasks=True)
    assert "en" in recognizer.warmed_languages  # warmed once HA started
    assert await recognizer.async_warm() == 0.0  # once per language
    agent = async_get_agent(demo_home)
    assert isinstance(agent, DefaultAgent)
    began = time.perf_counter()
    result = await agent.async_recognize_intent(user_input("turn on the kitchen light"))
    first_s = time.perf_counter() - began
    assert result is not None
    assert result.intent.name == "HassTurnOn"
    assert events == []
    assert state(demo_home, "light.kitchen") == "off"  # recognition only
    print(f"first recognition after warm-up: {first_s * 1000:.0f} ms")


async def test_warm_up_without_conversation_does_nothing(hass: HomeAssistant) -> None:
    recognizer = Recognizer(hass)
    assert await recognizer.async_warm() == 0.0  # no conversation yet: nothing
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "conversation", {})
    assert await recognizer.async_warm() > 0
    assert await recognizer.async_warm() == 0.0
