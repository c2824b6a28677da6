"""One recognition at a time through HA's default agent, in the real HA core.

Two at once share HA's slot lists and can make a live command miss (and HA
caches the miss): one CI run under load had "unlock the front door" miss
while the repair parses warmed up in the background.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest
from agent_helpers import say, speech
from homeassistant.components import conversation
from homeassistant.core import Context

from custom_components.local_voice.local_intents import LocalKind, async_try_local
from custom_components.local_voice.recognition_lock import one_recognition, recognition_lock
from custom_components.local_voice.repair import get_repairer

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

pytestmark = pytest.mark.timeout(60)


def _input(text: str) -> conversation.ConversationInput:
    return conversation.ConversationInput(text, Context(), None, None, "en", "test")


async def test_a_live_command_waits_for_a_recognition_in_flight(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry
) -> None:
    hass = demo_home
    lock = recognition_lock(hass)
    await lock.acquire()
    try:
        task = hass.async_create_task(
            async_try_local(hass, _input("turn on the kitchen light"), ())
        )
        await asyncio.sleep(0.2)
        assert not task.done()
        assert hass.states.get("light.kitchen").state == "off"
    finally:
        lock.release()
    outcome = await asyncio.wait_for(task, 10)
    assert outcome is not None
    assert outcome.kind is LocalKind.DONE
    assert hass.states.get("light.kitchen").state == "on"


async def test_a_nested_recognition_does_not_wait_for_itself(demo_home: HomeAssistant) -> None:
    """An intent whose script asks the agent again runs inside the held lock."""
    async with asyncio.timeout(2), one_recognition(demo_home), one_recognition(demo_home):
        assert recognition_lock(demo_home).locked()
    assert not recognition_lock(demo_home).locked()


async def test_commands_said_at_once_while_repair_parses_warm_up_all_match(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry
) -> None:
    """Satellites speaking together while the background parses run: none misses.

    A miss would show as a repair attempt (``timings_ms``) for a sentence HA's
    intents know word for word.
    """
    hass = demo_home
    await say(hass, agent_entry, "turn on the mess lamp")  # a repair: starts the parses
    repairer = get_repairer(hass)
    repairs_before = len(repairer.timings_ms)
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
        results = await asyncio.gather(*(say(hass, agent_entry, text) for text in commands))
        heard = {text: speech(result) for text, result in zip(commands, results, strict=True)}
        assert len(repairer.timings_ms) == repairs_before, heard
        assert results[0].continue_conversation, heard
    assert hass.states.get("lock.front_door").state == "locked"
    assert hass.states.get("light.desk_lamp").state == "off"
    assert hass.states.get("fan.office_fan").state == "on"
