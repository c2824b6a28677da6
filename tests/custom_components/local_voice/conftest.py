"""Agent fixtures: the scripted Ollama on a real socket, and a loaded server entry with one agent."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from agent_helpers import MODEL, server_entry

from local_voice_harness.fake_ollama import FakeOllama

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry


@pytest.fixture
async def fake_ollama(socket_enabled: None) -> AsyncIterator[FakeOllama]:
    """A scripted Ollama with one model, on a free loopback port."""
    async with FakeOllama(models=[MODEL], pullable=["qwen2.5:3b"]) as server:
        yield server


@pytest.fixture
def agent_options() -> dict[str, Any]:
    """The agent's sub-entry data beyond the model (tests override this fixture)."""
    return {"request_timeout": 3.0}


@pytest.fixture
async def agent_entry(
    demo_home: HomeAssistant, fake_ollama: FakeOllama, agent_options: dict[str, Any]
) -> AsyncIterator[MockConfigEntry]:
    """A loaded server entry pointing at the scripted Ollama, with one agent, in the demo home."""
    entry = server_entry(fake_ollama.url, agent_options)
    entry.add_to_hass(demo_home)
    assert await demo_home.config_entries.async_setup(entry.entry_id)
    await demo_home.async_block_till_done()
    yield entry
    await demo_home.config_entries.async_unload(entry.entry_id)
    await demo_home.async_block_till_done()
