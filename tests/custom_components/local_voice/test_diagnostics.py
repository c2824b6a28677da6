"""Diagnostics of every kind of entry: secrets redacted, the rest as a snapshot."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from agent_helpers import agent_subentry_id, say
from homeassistant.helpers import entity_registry as er  # noqa: F401 - registries exist

from custom_components.local_voice.diagnostics import async_get_config_entry_diagnostics

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry
    from syrupy.assertion import SnapshotAssertion

    from local_voice_harness.fake_ollama import FakeOllama


@pytest.mark.parametrize("agent_options", [{"prompt": "Secret house of Alice Example."}])
async def test_server_diagnostics_redact_secrets(
    demo_home: HomeAssistant,
    agent_entry: MockConfigEntry,
    fake_ollama: FakeOllama,
    snapshot: SnapshotAssertion,
) -> None:
    await say(demo_home, agent_entry, "turn on the kitchen light")
    await say(demo_home, agent_entry, "unlock the front door")
    diagnostics = await async_get_config_entry_diagnostics(demo_home, agent_entry)
    text = json.dumps(diagnostics)
    assert fake_ollama.url not in text
    assert str(fake_ollama.port) not in text
    assert "Alice" not in text
    agent = diagnostics["agents"]["llama3.2"]
    assert agent["stats"]["local"] == 2
    assert agent["stats"]["confirmations_asked"] == 1
    assert agent["pending_confirmations"] == 1
    settings = agent_entry.runtime_data.agents[agent_subentry_id(agent_entry)].settings
    assert agent["settings"]["confirm"] == sorted(settings.confirm)
    assert diagnostics == snapshot
