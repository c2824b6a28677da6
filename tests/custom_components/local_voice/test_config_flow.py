"""Every step and error path of the server, speech and agent (sub-entry) flows.

Satellite discovery and its options are in ``test_satellite_flow.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from agent_helpers import MODEL, agent_subentry_id, server_entry
from homeassistant import config_entries
from homeassistant.data_entry_flow import FlowResultType, InvalidData

from custom_components.local_voice.const import (
    BACKEND_OLLAMA,
    BACKEND_OPENAI,
    CONF_ASR_URI,
    CONF_BACKEND,
    CONF_CONFIRM,
    CONF_KIND,
    CONF_MODEL,
    CONF_NUM_CTX,
    CONF_URL,
    DEFAULT_CONFIRM,
    DOMAIN,
    KIND_SERVER,
    KIND_SPEECH,
    SUBENTRY_AGENT,
)
from local_voice_harness.ports import free_port

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from local_voice_harness.fake_ollama import FakeOllama


async def start(hass: HomeAssistant, choice: str = "server") -> dict[str, Any]:
    """Open the flow and pick what to add."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_USER}
    )
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["server", "speech"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": choice}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == choice
    return result


async def server_step(
    hass: HomeAssistant, result: dict[str, Any], url: str, backend: str = BACKEND_OLLAMA
) -> dict[str, Any]:
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_BACKEND: backend, CONF_URL: url}
    )


async def test_ollama_server_with_its_first_agent(
    hass_core: HomeAssistant, fake_ollama: FakeOllama
) -> None:
    hass = hass_core
    result = await server_step(hass, await start(hass), fake_ollama.url)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "model"
    assert result["description_placeholders"]["count"] == "1"
    created = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_MODEL: MODEL})
    assert created["type"] is FlowResultType.CREATE_ENTRY
    assert created["title"] == fake_ollama.url
    assert created["data"] == {
        CONF_KIND: KIND_SERVER,
        CONF_BACKEND: BACKEND_OLLAMA,
        CONF_URL: fake_ollama.url,
    }
    entry = created["result"]
    (subentry,) = entry.subentries.values()
    assert (subentry.subentry_type, subentry.title, dict(subentry.data)) == (
        SUBENTRY_AGENT, "llama3.2", {CONF_MODEL: MODEL},
    )  # fmt: skip
    await hass.async_block_till_done()
    assert entry.state is config_entries.ConfigEntryState.LOADED
    # The same server cannot be added twice.
    result = await server_step(hass, await start(hass), fake_ollama.url + "/")
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_MODEL: MODEL})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_openai_compatible_server(hass_core: HomeAssistant, fake_ollama: FakeOllama) -> None:
    hass = hass_core
    result = await server_step(hass, await start(hass), f"{fake_ollama.url}/v1", BACKEND_OPENAI)
    assert result["step_id"] == "model"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_MODEL: "absent"}
    )
    assert result["errors"] == {"base": "model_not_on_server"}  # such servers cannot pull
    created = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_MODEL: MODEL})
    assert created["type"] is FlowResultType.CREATE_ENTRY
    assert created["data"][CONF_BACKEND] == BACKEND_OPENAI
    await hass.async_block_till_done()
    assert await hass.config_entries.async_unload(created["result"].entry_id)


async def test_cannot_connect_then_recovers(
    hass_core: HomeAssistant, fake_ollama: FakeOllama
) -> None:
    hass = hass_core
    result = await server_step(hass, await start(hass), f"http://127.0.0.1:{free_port()}")
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}
    result = await server_step(hass, result, fake_ollama.url)
    assert result["step_id"] == "model"


@pytest.mark.parametrize("fault", ["status_500", "garbage"])
async def test_a_server_of_another_kind_is_unknown(
    hass_core: HomeAssistant, fake_ollama: FakeOllama, fault: str
) -> None:
    fake_ollama.tags_fault = fault  # type: ignore[assignment]
    result = await server_step(hass_core, await start(hass_core), fake_ollama.url)
    assert result["errors"] == {"base": "unknown"}


async def test_empty_model_name_is_an_error(
    hass_core: HomeAssistant, fake_ollama: FakeOllama
) -> None:
    result = await server_step(hass_core, await start(hass_core), fake_ollama.url)
    result = await hass_core.config_entries.flow.async_configure(
        result["flow_id"], {CONF_MODEL: "  "}
    )
    assert result["step_id"] == "model"
    assert result["errors"] == {"base": "model_required"}


async def test_pull_shows_progress_then_creates_entry(
    hass_core: HomeAssistant, fake_ollama: FakeOllama
) -> None:
    hass = hass_core
    fake_ollama.pull_step_delay_s = 0.05
    result = await server_step(hass, await start(hass), fake_ollama.url)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_MODEL: "qwen2.5:3b"}
    )
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    assert result["step_id"] == "pull"
    assert result["progress_action"] == "pull"
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["type"] is FlowResultType.CREATE_ENTRY
    (subentry,) = result["result"].subentries.values()
    assert subentry.data[CONF_MODEL] == "qwen2.5:3b"
    assert "qwen2.5:3b" in fake_ollama.models
    await hass.async_block_till_done()
    assert await hass.config_entries.async_unload(result["result"].entry_id)


async def test_pull_of_unknown_model_aborts(
    hass_core: HomeAssistant, fake_ollama: FakeOllama
) -> None:
    hass = hass_core
    result = await server_step(hass, await start(hass), fake_ollama.url)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_MODEL: "nope:1b"}
    )
    if result["type"] is FlowResultType.SHOW_PROGRESS:
        await hass.async_block_till_done()
        result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "pull_failed"
    assert "nope:1b" not in fake_ollama.models


async def test_reconfigure_moves_the_server_and_keeps_its_agents(
    hass_core: HomeAssistant, fake_ollama: FakeOllama
) -> None:
    hass = hass_core
    entry = server_entry("http://127.0.0.1:1")  # an old address
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"
    result = await server_step(hass, result, f"http://127.0.0.1:{free_port()}")
    assert result["errors"] == {"base": "cannot_connect"}
    result = await server_step(hass, result, fake_ollama.url)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_URL] == fake_ollama.url
    assert entry.unique_id == f"ollama|{fake_ollama.url.lower()}"
    assert [s.data[CONF_MODEL] for s in entry.subentries.values()] == [MODEL]
    await hass.async_block_till_done()
    await hass.config_entries.async_unload(entry.entry_id)


async def test_reconfigure_onto_another_entry_aborts(
    hass_core: HomeAssistant, fake_ollama: FakeOllama
) -> None:
    hass = hass_core
    first = server_entry(fake_ollama.url)
    second = server_entry("http://127.0.0.1:1")
    first.add_to_hass(hass)
    second.add_to_hass(hass)
    result = await second.start_reconfigure_flow(hass)
    result = await server_step(hass, result, fake_ollama.url)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert second.data[CONF_URL] == "http://127.0.0.1:1"


async def test_agent_subentry_adds_and_changes_an_agent(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry
) -> None:
    hass = demo_home
    result = await hass.config_entries.subentries.async_init(
        (agent_entry.entry_id, SUBENTRY_AGENT), context={"source": config_entries.SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    tokens = int(result["description_placeholders"]["tokens"])
    assert 500 < tokens < 20000
    assert int(result["description_placeholders"]["auto_num_ctx"]) >= tokens
    base = {
        CONF_MODEL: MODEL,
        "control": True,
        "prefer_local_intents": False,
        "max_history": 4,
        "keep_alive": 60,
        "temperature": 0.5,
        "request_timeout": 7,
        CONF_CONFIRM: ["unlock_locks"],
    }
    with pytest.raises(InvalidData):
        await hass.config_entries.subentries.async_configure(
            result["flow_id"], {**base, CONF_NUM_CTX: 4096, CONF_CONFIRM: ["bogus"]}
        )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**base, CONF_NUM_CTX: 100}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_NUM_CTX: "num_ctx_too_small"}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**base, CONF_NUM_CTX: 4096}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert len(agent_entry.subentries) == 2
    new_id = next(s for s in agent_entry.subentries if s != agent_subentry_id(agent_entry))
    agent = agent_entry.runtime_data.agents[new_id]
    assert (agent.settings.num_ctx, agent.settings.max_history) == (4096, 4)
    assert agent.settings.prefer_local is False
    assert agent.settings.confirm == frozenset({"unlock_locks"})
    # Change the first agent.
    first_id = agent_subentry_id(agent_entry)
    result = await agent_entry.start_subentry_reconfigure_flow(hass, first_id)
    assert result["step_id"] == "reconfigure"
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**base, CONF_NUM_CTX: 0, "temperature": 0.0}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert agent_entry.runtime_data.agents[first_id].settings.temperature == 0.0


async def test_defaults_confirm_the_risky_three(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry
) -> None:
    agent = agent_entry.runtime_data.agents[agent_subentry_id(agent_entry)]
    assert agent.settings.confirm == frozenset(DEFAULT_CONFIRM)
    assert set(DEFAULT_CONFIRM) == {"unlock_locks", "open_garage_gates", "disarm_alarms"}


async def test_speech_server_is_described_then_added(
    hass_core: HomeAssistant, asr_server: Any, socket_enabled: None
) -> None:
    hass = hass_core
    result = await start(hass, "speech")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ASR_URI: "not an address"}
    )
    assert result["errors"] == {CONF_ASR_URI: "invalid_asr_uri"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ASR_URI: f"tcp://127.0.0.1:{free_port()}"}
    )
    assert result["errors"] == {"base": "cannot_connect"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ASR_URI: asr_server.uri}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {CONF_KIND: KIND_SPEECH, CONF_ASR_URI: asr_server.uri}
    await hass.async_block_till_done()
    assert await hass.config_entries.async_unload(result["result"].entry_id)


def test_only_satellites_have_options_and_only_servers_have_agents() -> None:
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from custom_components.local_voice.config_flow import LocalVoiceConfigFlow
    from custom_components.local_voice.flows.agent import AgentSubentryFlow

    server = server_entry("http://127.0.0.1:1")
    satellite = MockConfigEntry(domain=DOMAIN, data={CONF_KIND: "satellite"})
    speech = MockConfigEntry(domain=DOMAIN, data={CONF_KIND: KIND_SPEECH})
    assert not LocalVoiceConfigFlow.async_supports_options_flow(server)
    assert LocalVoiceConfigFlow.async_supports_options_flow(satellite)
    assert LocalVoiceConfigFlow.async_get_supported_subentry_types(server) == {
        SUBENTRY_AGENT: AgentSubentryFlow
    }
    assert LocalVoiceConfigFlow.async_get_supported_subentry_types(speech) == {}
