"""Entry lifecycle: a server that is down, unload and reload, migration, the prompt budget."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from agent_helpers import MODEL, agent_id, agent_subentry_id, home_of, say, server_entry, speech
from homeassistant.config_entries import ConfigEntryState
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.local_voice.agent.backend import SPOKEN_UNREACHABLE
from custom_components.local_voice.agent.prompt import auto_num_ctx
from custom_components.local_voice.const import (
    CONF_ASR_URI,
    CONF_KIND,
    CONF_MODEL,
    CONF_URL,
    DOMAIN,
    KIND_SERVER,
    KIND_SPEECH,
    SUBENTRY_AGENT,
)
from custom_components.local_voice.runtime import async_get_home
from local_voice_harness.fake_ollama import FakeOllama, ScriptedTurn
from local_voice_harness.ports import free_port

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant


async def test_a_server_that_is_down_still_controls_the_home(
    demo_home: HomeAssistant, socket_enabled: None
) -> None:
    """HA's intents and the repair need no model: the agent loads and works, with an issue."""
    port = free_port()
    entry = server_entry(f"http://127.0.0.1:{port}", {"request_timeout": 2.0})
    entry.add_to_hass(demo_home)
    assert await demo_home.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.LOADED
    issue_id = f"server_unreachable_{entry.entry_id}"
    assert ir.async_get(demo_home).async_get_issue(DOMAIN, issue_id) is not None
    await say(demo_home, entry, "turn on the kitchen light")
    assert demo_home.states.get("light.kitchen").state == "on"
    result = await say(demo_home, entry, "tell me a joke")
    assert speech(result) == SPOKEN_UNREACHABLE
    async with FakeOllama(models=[MODEL], port=port):
        await demo_home.config_entries.async_reload(entry.entry_id)
        await demo_home.async_block_till_done()
        assert entry.state is ConfigEntryState.LOADED
        assert ir.async_get(demo_home).async_get_issue(DOMAIN, issue_id) is None
        assert await demo_home.config_entries.async_unload(entry.entry_id)


async def test_missing_model_raises_an_issue(
    hass_core: HomeAssistant, socket_enabled: None
) -> None:
    async with FakeOllama(models=["other:latest"]) as server:
        entry = server_entry(server.url)
        entry.add_to_hass(hass_core)
        assert await hass_core.config_entries.async_setup(entry.entry_id)
        issue_id = f"model_missing_{agent_subentry_id(entry)}"
        issue = ir.async_get(hass_core).async_get_issue(DOMAIN, issue_id)
        assert issue is not None
        assert issue.translation_placeholders == {"url": server.url, "model": MODEL}
        await hass_core.config_entries.async_unload(entry.entry_id)


async def test_reload_keeps_working_and_unload_tears_down(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry
) -> None:
    assert await demo_home.config_entries.async_reload(agent_entry.entry_id)
    await demo_home.async_block_till_done()
    assert agent_entry.state is ConfigEntryState.LOADED
    await say(demo_home, agent_entry, "turn on the desk lamp")
    assert demo_home.states.get("light.desk_lamp").state == "on"
    home = home_of(demo_home)
    assert await demo_home.config_entries.async_unload(agent_entry.entry_id)
    assert async_get_home(demo_home) is None  # the last entry gone: nothing left behind
    assert home.vocabulary._unsubs == []


async def test_two_agents_on_one_server(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    from types import MappingProxyType

    from homeassistant.config_entries import ConfigSubentry

    demo_home.config_entries.async_add_subentry(
        agent_entry,
        ConfigSubentry(
            data=MappingProxyType({CONF_MODEL: MODEL, "control": False}),
            subentry_type=SUBENTRY_AGENT,
            title="Chatty",
            unique_id=None,
        ),
    )
    await demo_home.async_block_till_done()
    entities = er.async_entries_for_config_entry(er.async_get(demo_home), agent_entry.entry_id)
    assert sorted(e.entity_id for e in entities) == ["conversation.chatty", "conversation.llama3_2"]
    assert len(agent_entry.runtime_data.agents) == 2


async def test_auto_context_fits_the_prompt(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    fake_ollama.add_turns(ScriptedTurn(text="Fine."))
    await say(demo_home, agent_entry, "how are you today")
    request = fake_ollama.chat_requests[-1]
    stats = agent_entry.runtime_data.agents[agent_subentry_id(agent_entry)].stats
    tokens = stats.last_prompt_tokens_estimate
    assert tokens is not None
    assert request["options"]["num_ctx"] == auto_num_ctx(tokens) >= tokens + 1024
    assert request["options"]["temperature"] == pytest.approx(0.2)
    assert request["keep_alive"] == "-1s"
    assert request["tools"]  # control is on: HA's Assist tools are offered
    assert request["messages"][0]["role"] == "system"
    assert "Kitchen Light" in request["messages"][0]["content"]
    assert "Basement Light" not in request["messages"][0]["content"]
    issue_id = f"prompt_truncated_{agent_subentry_id(agent_entry)}"
    assert ir.async_get(demo_home).async_get_issue(DOMAIN, issue_id) is None


@pytest.mark.parametrize("agent_options", [{"num_ctx": 512, "control": True}])
async def test_too_small_context_raises_repair_issue(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    fake_ollama.add_turns(ScriptedTurn(text="Fine."))
    await say(demo_home, agent_entry, "how are you today")
    assert fake_ollama.chat_requests[-1]["options"]["num_ctx"] == 512
    issue_id = f"prompt_truncated_{agent_subentry_id(agent_entry)}"
    issue = ir.async_get(demo_home).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert int(issue.translation_placeholders["tokens"]) > 512


@pytest.mark.parametrize("agent_options", [{"control": False, "prefer_local_intents": False}])
async def test_without_control_no_tools_and_no_local_intents(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    fake_ollama.add_turns(ScriptedTurn(text="I can only chat."))
    result = await say(demo_home, agent_entry, "turn on the kitchen light")
    assert demo_home.states.get("light.kitchen").state == "off"
    assert speech(result) == "I can only chat."
    assert fake_ollama.chat_requests[-1].get("tools") in (None, [])


@pytest.mark.parametrize("agent_options", [{"max_history": 1}])
async def test_history_is_trimmed(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    conversation_id = None
    for n in range(3):
        fake_ollama.add_turns(ScriptedTurn(text=f"answer {n}"))
        # "and ...": a sentence that goes on from the conversation gets its history
        result = await say(demo_home, agent_entry, f"and tell me thing {n}", conversation_id)
        conversation_id = result.conversation_id
    users = [m["content"] for m in fake_ollama.chat_requests[-1]["messages"] if m["role"] == "user"]
    assert users == ["and tell me thing 1", "and tell me thing 2"]


@pytest.mark.parametrize("agent_options", [{"max_history": 2}])
async def test_history_is_dropped_in_blocks_so_the_prefix_stays_cached(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    """Earlier turns go two at a time: the history before this turn stays put in between."""
    conversation_id = None
    kept: list[list[str]] = []
    for n in range(6):
        fake_ollama.add_turns(ScriptedTurn(text=f"answer {n}"))
        result = await say(demo_home, agent_entry, f"and tell me thing {n}", conversation_id)
        conversation_id = result.conversation_id
        messages = fake_ollama.chat_requests[-1]["messages"]
        kept.append([m["content"][-1] for m in messages if m["role"] == "user"])
    assert kept == [["0"], ["0", "1"], ["0", "1", "2"], ["2", "3"], ["2", "3", "4"], ["4", "5"]]


async def test_incomplete_entry_is_a_setup_error(hass_core: HomeAssistant) -> None:
    entry = MockConfigEntry(domain=DOMAIN, version=2, data={CONF_KIND: KIND_SERVER})
    entry.add_to_hass(hass_core)
    assert not await hass_core.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_ERROR


async def test_version_1_agent_becomes_a_server_with_one_agent(
    demo_home: HomeAssistant, fake_ollama: FakeOllama
) -> None:
    """The entity and its device move to the sub-entry; speech to text gets its own entry."""
    old = MockConfigEntry(
        domain=DOMAIN,
        version=1,
        title="llama3.2",
        data={CONF_KIND: "agent", CONF_URL: fake_ollama.url, CONF_MODEL: MODEL},
        options={"request_timeout": 3.0, "temperature": 0.5, CONF_ASR_URI: "tcp://127.0.0.1:10300"},
        unique_id=f"{fake_ollama.url}|{MODEL}",
    )
    old.add_to_hass(demo_home)
    entities = er.async_get(demo_home)
    devices = dr.async_get(demo_home)
    device = devices.async_get_or_create(
        config_entry_id=old.entry_id, identifiers={(DOMAIN, old.entry_id)}
    )
    entity = entities.async_get_or_create(
        "conversation", DOMAIN, old.entry_id, config_entry=old, device_id=device.id,
        suggested_object_id="my_agent",
    )  # fmt: skip
    entities.async_get_or_create("stt", DOMAIN, f"{old.entry_id}-stt", config_entry=old)
    assert await demo_home.config_entries.async_setup(old.entry_id)
    await demo_home.async_block_till_done()

    assert old.version == 2
    assert old.data[CONF_KIND] == KIND_SERVER
    assert old.options == {}
    (subentry,) = old.subentries.values()
    assert subentry.subentry_type == SUBENTRY_AGENT
    assert dict(subentry.data) == {CONF_MODEL: MODEL, "request_timeout": 3.0, "temperature": 0.5}
    moved = entities.async_get(entity.entity_id)
    assert moved is not None
    assert (moved.unique_id, moved.config_subentry_id) == (
        subentry.subentry_id,
        subentry.subentry_id,
    )
    assert agent_id(demo_home, old) == "conversation.my_agent"
    assert devices.async_get_device(identifiers={(DOMAIN, subentry.subentry_id)}) is not None
    speech_entries = [
        e
        for e in demo_home.config_entries.async_entries(DOMAIN)
        if e.data[CONF_KIND] == KIND_SPEECH
    ]
    assert [e.data[CONF_ASR_URI] for e in speech_entries] == ["tcp://127.0.0.1:10300"]
    await say(demo_home, old, "turn on the kitchen light")
    assert demo_home.states.get("light.kitchen").state == "on"
    for entry in demo_home.config_entries.async_entries(DOMAIN):
        await demo_home.config_entries.async_unload(entry.entry_id)
