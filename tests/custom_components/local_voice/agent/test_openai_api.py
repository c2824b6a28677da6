"""The agent on an OpenAI-compatible server (the official ``openai`` client, real socket)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from agent_helpers import MODEL, agent_subentry_id, say, server_entry, speech

from custom_components.local_voice.agent.backend import (
    SPOKEN_BROKEN,
    SPOKEN_FAILING,
    ChatRequest,
    ModelFailedError,
    ModelUnreachableError,
)
from custom_components.local_voice.agent.chat import SPOKEN_CANNOT
from custom_components.local_voice.agent.openai_api import OpenAIBackend
from custom_components.local_voice.const import BACKEND_OPENAI
from local_voice_harness.fake_ollama import FakeOllama, ScriptedTurn, tool_call
from local_voice_harness.ports import free_port

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry


@pytest.fixture
async def openai_entry(
    demo_home: HomeAssistant, fake_ollama: FakeOllama
) -> AsyncIterator[MockConfigEntry]:
    """A server entry of the OpenAI-compatible kind, on the scripted server's /v1 API."""
    entry = server_entry(f"{fake_ollama.url}/v1", {"request_timeout": 3.0}, backend=BACKEND_OPENAI)
    entry.add_to_hass(demo_home)
    assert await demo_home.config_entries.async_setup(entry.entry_id)
    await demo_home.async_block_till_done()
    yield entry
    await demo_home.config_entries.async_unload(entry.entry_id)


async def test_models_are_listed_and_text_streams(fake_ollama: FakeOllama) -> None:
    backend = OpenAIBackend(fake_ollama.url, 5.0)
    assert await backend.async_list_models(5.0) == [MODEL]
    fake_ollama.add_turns(ScriptedTurn(text="It is sunny and warm."))
    request = ChatRequest(model=MODEL, messages=[{"role": "user", "content": "weather?"}])
    chunks = [c async for c in backend.chat(request)]
    assert "".join(c.content for c in chunks) == "It is sunny and warm."
    usage = [c.usage for c in chunks if c.usage]
    assert usage
    assert usage[0].prompt_tokens
    assert fake_ollama.chat_requests[-1]["stream_options"] == {"include_usage": True}
    await backend.async_close()


async def test_tool_call_fragments_are_put_together(fake_ollama: FakeOllama) -> None:
    backend = OpenAIBackend(fake_ollama.url, 5.0)
    fake_ollama.add_turns(
        ScriptedTurn(tool_calls=[tool_call("HassTurnOn", name="Kitchen Light", domain=["light"])])
    )
    request = ChatRequest(model=MODEL, messages=[{"role": "user", "content": "light"}])
    calls = [call async for c in backend.chat(request) for call in c.tool_calls]
    assert [(c.name, c.arguments, c.id) for c in calls] == [
        ("HassTurnOn", {"name": "Kitchen Light", "domain": ["light"]}, "call_0")
    ]
    await backend.async_close()


async def test_errors_are_mapped(fake_ollama: FakeOllama) -> None:
    backend = OpenAIBackend(fake_ollama.url, 5.0)
    fake_ollama.add_turns(ScriptedTurn(fault="status_503"))
    request = ChatRequest(model=MODEL, messages=[{"role": "user", "content": "hi"}])
    with pytest.raises(ModelFailedError):
        _ = [c async for c in backend.chat(request)]
    down = OpenAIBackend(f"http://127.0.0.1:{free_port()}", 2.0)
    with pytest.raises(ModelUnreachableError):
        await down.async_list_models(2.0)
    await backend.async_close()
    await down.async_close()


async def test_agent_acts_through_an_openai_server(
    demo_home: HomeAssistant, openai_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    fake_ollama.add_turns(ScriptedTurn(tool_calls=[tool_call("HassTurnOn", name="Desk Lamp")]))
    result = await say(demo_home, openai_entry, "I need light to read at my desk")
    assert demo_home.states.get("light.desk_lamp").state == "on"
    assert speech(result) == "Desk Lamp is now on."
    request = fake_ollama.chat_requests[-1]
    assert request["tools"]
    assert request["messages"][0]["role"] == "system"
    assert request["messages"][-1] == {"role": "user", "content": "I need light to read at my desk"}
    assert request["messages"][-2]["role"] == "system"  # the volatile part, last before the user
    stats = openai_entry.runtime_data.agents[agent_subentry_id(openai_entry)].stats
    assert stats.last_prompt_tokens
    assert stats.last_completion_tokens is not None
    assert stats.last_rounds == 1  # the state says what happened: no second round
    assert stats.last_model_s is not None
    assert stats.last_first_token_s is not None
    assert 0 <= stats.last_first_token_s <= stats.last_model_s


async def test_a_call_written_as_text_is_recovered_and_never_spoken(
    demo_home: HomeAssistant, openai_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    """Qwen2.5-Coder writes its calls as JSON in the text, through every server."""
    fake_ollama.add_turns(
        ScriptedTurn(text='{"name": "HassTurnOn", "arguments": {"name": "Coffee Maker"}}')
    )
    result = await say(demo_home, openai_entry, "I could really use a coffee")
    assert demo_home.states.get("switch.coffee_maker").state == "on"
    assert speech(result) == "Coffee Maker is now on."


@pytest.mark.parametrize(
    ("turn", "spoken"),
    [
        (ScriptedTurn(fault="status_503"), SPOKEN_FAILING),
        (ScriptedTurn(text='{"pizza": "margherita", "size": 32}'), SPOKEN_BROKEN),
        # a call of a tool it was not offered: it cannot do that (``chat.SPOKEN_CANNOT``)
        (ScriptedTurn(text='{"name": "OrderPizza", "arguments": {}}'), SPOKEN_CANNOT),
        (ScriptedTurn(text='{"name": "HassTurnOn", "arguments": {"name": '), SPOKEN_BROKEN),
    ],
)
async def test_bad_answers_are_spoken_errors_and_change_nothing(
    demo_home: HomeAssistant,
    openai_entry: MockConfigEntry,
    fake_ollama: FakeOllama,
    turn: ScriptedTurn,
    spoken: str,
) -> None:
    before = {s.entity_id: s.state for s in demo_home.states.async_all()}
    fake_ollama.add_turns(turn)
    result = await say(demo_home, openai_entry, "do something clever")
    assert speech(result) == spoken
    after = {s.entity_id: s.state for s in demo_home.states.async_all()}
    assert {k: v for k, v in after.items() if not k.startswith("conversation.")} == {
        k: v for k, v in before.items() if not k.startswith("conversation.")
    }
