"""Agent fixtures: the fake Ollama server on a real socket and a loaded agent entry."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from agent_helpers import MODEL
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.local_voice.const import CONF_KIND, CONF_MODEL, CONF_URL, DOMAIN, KIND_AGENT
from local_voice_harness.fake_ollama import FakeOllama

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from homeassistant.core import HomeAssistant


@pytest.fixture
async def fake_ollama(socket_enabled: None) -> AsyncIterator[FakeOllama]:
    """A fake Ollama with one model, on a free loopback port."""
    async with FakeOllama(models=[MODEL], pullable=["qwen2.5:3b"]) as server:
        yield server


@pytest.fixture
def agent_options() -> dict[str, Any]:
    """Options for the agent entry (tests override this fixture to change them)."""
    return {"request_timeout": 3.0}


@pytest.fixture
async def agent_entry(
    demo_home: HomeAssistant, fake_ollama: FakeOllama, agent_options: dict[str, Any]
) -> AsyncIterator[MockConfigEntry]:
    """A loaded agent entry pointing at the fake server, in the demo home."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="llama3.2",
        data={CONF_KIND: KIND_AGENT, CONF_URL: fake_ollama.url, CONF_MODEL: MODEL},
        options=agent_options,
        unique_id=f"{fake_ollama.url}|{MODEL}",
    )
    entry.add_to_hass(demo_home)
    assert await demo_home.config_entries.async_setup(entry.entry_id)
    await demo_home.async_block_till_done()
    yield entry
    await demo_home.config_entries.async_unload(entry.entry_id)
    await demo_home.async_block_till_done()
