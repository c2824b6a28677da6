"""The agent in the real demo home: local intents, the model path, safety, events."""

from __future__ import annotations

from typing import TYPE_CHECKING

from conftest import say, speech

from local_voice_harness.fake_ollama import ScriptedTurn, tool_call

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from local_voice_harness.fake_ollama import FakeOllama


async def test_local_intent_turns_on_kitchen_without_model(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    result = await say(demo_home, agent_entry, "turn on the kitchen light")
    assert demo_home.states.get("light.kitchen").state == "on"
    assert fake_ollama.chat_requests == []
    assert speech(result)


async def test_model_tool_call_changes_state_and_reports_real_state(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    fake_ollama.add_turns(
        ScriptedTurn(tool_calls=[tool_call("HassTurnOn", name="Desk Lamp", domain=["light"])]),
        ScriptedTurn(text="I turned on the desk lamp and also made coffee."),
    )
    result = await say(demo_home, agent_entry, "it's too dark to read at my desk")
    assert demo_home.states.get("light.desk_lamp").state == "on"
    assert len(fake_ollama.chat_requests) == 2
    assert speech(result) == "Desk Lamp is now on."
