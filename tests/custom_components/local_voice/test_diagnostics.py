"""Diagnostics redact the URL and the prompt, and keep what helps a bug report."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from agent_helpers import say

from custom_components.local_voice.diagnostics import async_get_config_entry_diagnostics

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from local_voice_harness.fake_ollama import FakeOllama


@pytest.mark.parametrize("agent_options", [{"prompt": "Secret house of Alice Example."}])
async def test_diagnostics_redact_secrets(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    await say(demo_home, agent_entry, "turn on the kitchen light")
    await say(demo_home, agent_entry, "unlock the front door")
    diagnostics = await async_get_config_entry_diagnostics(demo_home, agent_entry)
    text = json.dumps(diagnostics)
    assert fake_ollama.url not in text
    assert str(fake_ollama.port) not in text
    assert "Alice" not in text
    assert diagnostics["data"]["url"] == "**REDACTED**"
    assert diagnostics["data"]["model"] == "llama3.2:latest"
    assert diagnostics["options"]["prompt"] == "**REDACTED**"
    assert diagnostics["stats"]["local"] == 2
    assert diagnostics["stats"]["confirmations_asked"] == 1
    assert diagnostics["pending_confirmations"] == 1
    assert diagnostics["settings"]["confirm"] == sorted(agent_entry.runtime_data.settings.confirm)
