"""Agent entry lifecycle: retry when Ollama is down, unload and reload, the prompt budget."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from agent_helpers import MODEL, say
from homeassistant.config_entries import ConfigEntryState
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.local_voice.const import CONF_KIND, CONF_MODEL, CONF_URL, DOMAIN, KIND_AGENT
from custom_components.local_voice.agent.prompt import auto_num_ctx
from local_voice_harness.fake_ollama import FakeOllama, ScriptedTurn
from local_voice_harness.ports import free_port

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant


async def test_unreachable_ollama_retries_then_loads(
    hass_core: HomeAssistant, socket_enabled: None
) -> None:
    port = free_port()
    entry = MockConfigEntry(
        domain=DOMAIN,
        data={CONF_KIND: KIND_AGENT, CONF_URL: f"http://127.0.0.1:{port}", CONF_MODEL: MODEL},
    )
    entry.add_to_hass(hass_core)
    assert not await hass_core.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    async with FakeOllama(models=[MODEL], port=port):
        await hass_core.config_entries.async_reload(entry.entry_id)
        await hass_core.async_block_till_done()
        assert entry.state is ConfigEntryState.LOADED
        assert await hass_core.config_entries.async_unload(entry.entry_id)
        assert entry.state is ConfigEntryState.NOT_LOADED


async def test_missing_model_retries(hass_core: HomeAssistant, socket_enabled: None) -> None:
    async with FakeOllama(models=["other:latest"]) as server:
        entry = MockConfigEntry(
            domain=DOMAIN, data={CONF_KIND: KIND_AGENT, CONF_URL: server.url, CONF_MODEL: MODEL}
        )
        entry.add_to_hass(hass_core)
        assert not await hass_core.config_entries.async_setup(entry.entry_id)
        assert entry.state is ConfigEntryState.SETUP_RETRY
        await hass_core.config_entries.async_unload(entry.entry_id)


async def test_reload_keeps_working(demo_home: HomeAssistant, agent_entry: MockConfigEntry) -> None:
    assert await demo_home.config_entries.async_reload(agent_entry.entry_id)
    await demo_home.async_block_till_done()
    assert agent_entry.state is ConfigEntryState.LOADED
    await say(demo_home, agent_entry, "turn on the desk lamp")
    assert demo_home.states.get("light.desk_lamp").state == "on"


async def test_auto_context_fits_the_prompt(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    fake_ollama.add_turns(ScriptedTurn(text="Fine."))
    await say(demo_home, agent_entry, "how are you today")
    request = fake_ollama.chat_requests[-1]
    tokens = agent_entry.runtime_data.stats.last_prompt_tokens_estimate
    assert tokens is not None
    assert request["options"]["num_ctx"] == auto_num_ctx(tokens) >= tokens + 1024
    assert request["options"]["temperature"] == pytest.approx(0.2)
    assert request["keep_alive"] == "-1s"
    assert request["tools"]  # control is on: HA's Assist tools are offered
    assert request["messages"][0]["role"] == "system"
    assert "Kitchen Light" in request["messages"][0]["content"]
    assert "Basement Light" not in request["messages"][0]["content"]
    assert (
        ir.async_get(demo_home).async_get_issue(DOMAIN, f"prompt_truncated_{agent_entry.entry_id}")
        is None
    )


@pytest.mark.parametrize("agent_options", [{"num_ctx": 512, "control": True}])
async def test_too_small_context_raises_repair_issue(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    fake_ollama.add_turns(ScriptedTurn(text="Fine."))
    await say(demo_home, agent_entry, "how are you today")
    assert fake_ollama.chat_requests[-1]["options"]["num_ctx"] == 512
    issue = ir.async_get(demo_home).async_get_issue(
        DOMAIN, f"prompt_truncated_{agent_entry.entry_id}"
    )
    assert issue is not None
    assert int(issue.translation_placeholders["tokens"]) > 512


@pytest.mark.parametrize("agent_options", [{"control": False, "prefer_local_intents": False}])
async def test_without_control_no_tools_and_no_local_intents(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    fake_ollama.add_turns(ScriptedTurn(text="I can only chat."))
    result = await say(demo_home, agent_entry, "turn on the kitchen light")
    assert demo_home.states.get("light.kitchen").state == "off"
    assert result.response.speech["plain"]["speech"] == "I can only chat."
    assert fake_ollama.chat_requests[-1].get("tools") in (None, [])


@pytest.mark.parametrize("agent_options", [{"max_history": 1}])
async def test_history_is_trimmed(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    conversation_id = None
    for n in range(3):
        fake_ollama.add_turns(ScriptedTurn(text=f"answer {n}"))
        result = await say(demo_home, agent_entry, f"tell me thing {n}", conversation_id)
        conversation_id = result.conversation_id
    users = [m["content"] for m in fake_ollama.chat_requests[-1]["messages"] if m["role"] == "user"]
    assert users == ["tell me thing 1", "tell me thing 2"]


async def test_incomplete_entry_is_a_setup_error(hass_core: HomeAssistant) -> None:
    entry = MockConfigEntry(domain=DOMAIN, data={CONF_KIND: KIND_AGENT})
    entry.add_to_hass(hass_core)
    assert not await hass_core.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_ERROR
