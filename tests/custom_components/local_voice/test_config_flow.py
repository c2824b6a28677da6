"""Every step and error path of the agent's config, reconfigure and options flows."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from homeassistant import config_entries
from homeassistant.data_entry_flow import FlowResultType, InvalidData
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.local_voice.const import (
    CONF_CONFIRM,
    CONF_KIND,
    CONF_MODEL,
    CONF_NUM_CTX,
    CONF_URL,
    DEFAULT_CONFIRM,
    DOMAIN,
    KIND_AGENT,
)
from local_voice_harness.ports import free_port

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from local_voice_harness.fake_ollama import FakeOllama

MODEL = "llama3.2:latest"


async def start(hass: HomeAssistant) -> dict:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    return result


async def test_user_flow_picks_a_listed_model(
    hass_core: HomeAssistant, fake_ollama: FakeOllama
) -> None:
    hass = hass_core
    result = await start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: fake_ollama.url}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "model"
    assert result["description_placeholders"]["count"] == "1"
    with_setup = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_MODEL: MODEL}
    )
    assert with_setup["type"] is FlowResultType.CREATE_ENTRY
    assert with_setup["title"] == "llama3.2"
    assert with_setup["data"] == {
        CONF_KIND: KIND_AGENT,
        CONF_URL: fake_ollama.url,
        CONF_MODEL: MODEL,
    }
    entry = with_setup["result"]
    assert entry.unique_id == f"{fake_ollama.url}|{MODEL}"
    await hass.async_block_till_done()
    assert entry.state is config_entries.ConfigEntryState.LOADED
    # The same server + model cannot be added twice.
    result = await start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: fake_ollama.url + "/"}
    )
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_MODEL: MODEL})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_cannot_connect_then_recovers(
    hass_core: HomeAssistant, fake_ollama: FakeOllama
) -> None:
    hass = hass_core
    result = await start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: f"http://127.0.0.1:{free_port()}"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: fake_ollama.url}
    )
    assert result["step_id"] == "model"


@pytest.mark.parametrize(("fault", "error"), [("status_500", "unknown"), ("garbage", "unknown")])
async def test_server_that_is_not_ollama_is_unknown(
    hass_core: HomeAssistant, fake_ollama: FakeOllama, fault: str, error: str
) -> None:
    fake_ollama.tags_fault = fault  # type: ignore[assignment]
    result = await start(hass_core)
    result = await hass_core.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: fake_ollama.url}
    )
    assert result["errors"] == {"base": error}


async def test_empty_model_name_is_an_error(
    hass_core: HomeAssistant, fake_ollama: FakeOllama
) -> None:
    result = await start(hass_core)
    result = await hass_core.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: fake_ollama.url}
    )
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
    result = await start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: fake_ollama.url}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_MODEL: "qwen2.5:3b"}
    )
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    assert result["step_id"] == "pull"
    assert result["progress_action"] == "pull"
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_MODEL] == "qwen2.5:3b"
    assert "qwen2.5:3b" in fake_ollama.models
    await hass.async_block_till_done()
    assert await hass.config_entries.async_unload(result["result"].entry_id)


async def test_pull_of_unknown_model_aborts(
    hass_core: HomeAssistant, fake_ollama: FakeOllama
) -> None:
    hass = hass_core
    result = await start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: fake_ollama.url}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_MODEL: "nope:1b"}
    )
    if result["type"] is FlowResultType.SHOW_PROGRESS:
        await hass.async_block_till_done()
        result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "pull_failed"
    assert "nope:1b" not in fake_ollama.models


async def test_reconfigure_changes_model_and_unique_id(
    hass_core: HomeAssistant, fake_ollama: FakeOllama
) -> None:
    hass = hass_core
    fake_ollama.models.append("qwen2.5:3b")
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="llama3.2",
        unique_id=f"{fake_ollama.url}|{MODEL}",
        data={CONF_KIND: KIND_AGENT, CONF_URL: fake_ollama.url, CONF_MODEL: MODEL},
    )
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: f"http://127.0.0.1:{free_port()}"}
    )
    assert result["errors"] == {"base": "cannot_connect"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: fake_ollama.url}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_MODEL: "qwen2.5:3b"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_MODEL] == "qwen2.5:3b"
    assert entry.unique_id == f"{fake_ollama.url}|qwen2.5:3b"
    assert entry.title == "qwen2.5:3b"
    await hass.async_block_till_done()
    await hass.config_entries.async_unload(entry.entry_id)


async def test_reconfigure_onto_another_entry_aborts(
    hass_core: HomeAssistant, fake_ollama: FakeOllama
) -> None:
    hass = hass_core
    fake_ollama.models.append("qwen2.5:3b")
    entries = []
    for model in (MODEL, "qwen2.5:3b"):
        entry = MockConfigEntry(
            domain=DOMAIN,
            title=model,
            unique_id=f"{fake_ollama.url}|{model}",
            data={CONF_KIND: KIND_AGENT, CONF_URL: fake_ollama.url, CONF_MODEL: model},
        )
        entry.add_to_hass(hass)
        entries.append(entry)
    result = await entries[0].start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: fake_ollama.url}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_MODEL: "qwen2.5:3b"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entries[0].data[CONF_MODEL] == MODEL


async def test_options_flow_saves_and_validates(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry
) -> None:
    hass = demo_home
    result = await hass.config_entries.options.async_init(agent_entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    tokens = int(result["description_placeholders"]["tokens"])
    assert 500 < tokens < 20000
    assert int(result["description_placeholders"]["auto_num_ctx"]) >= tokens
    base = {
        "control": True,
        "prefer_local_intents": False,
        "max_history": 4,
        "keep_alive": 60,
        "temperature": 0.5,
        "request_timeout": 7,
        CONF_CONFIRM: ["unlock_locks"],
    }
    with pytest.raises(InvalidData):
        await hass.config_entries.options.async_configure(
            result["flow_id"], {**base, CONF_NUM_CTX: 4096, CONF_CONFIRM: ["bogus"]}
        )
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**base, CONF_NUM_CTX: 100}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_NUM_CTX: "num_ctx_too_small"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**base, CONF_NUM_CTX: 4096, CONF_CONFIRM: ["unlock_locks"]}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert agent_entry.options[CONF_NUM_CTX] == 4096
    assert agent_entry.options["max_history"] == 4
    assert agent_entry.options[CONF_CONFIRM] == ["unlock_locks"]
    await hass.async_block_till_done()
    assert agent_entry.state is config_entries.ConfigEntryState.LOADED
    assert agent_entry.runtime_data.settings.prefer_local is False
    assert agent_entry.runtime_data.settings.confirm == frozenset({"unlock_locks"})


async def test_defaults_confirm_the_risky_three(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry
) -> None:
    assert agent_entry.runtime_data.settings.confirm == frozenset(DEFAULT_CONFIRM)
    assert set(DEFAULT_CONFIRM) == {"unlock_locks", "open_garage_gates", "disarm_alarms"}


def test_agent_entries_get_the_agent_options_flow() -> None:
    from custom_components.local_voice.agent_options import AgentOptionsFlow
    from custom_components.local_voice.config_flow import LocalVoiceConfigFlow

    agent = MockConfigEntry(domain=DOMAIN, data={CONF_KIND: KIND_AGENT})
    assert isinstance(LocalVoiceConfigFlow.async_get_options_flow(agent), AgentOptionsFlow)
