"""Setting up a Local Voice entry warms HA's intent matcher, without side effects.

HA's default agent loads its sentence templates and builds its name lists
on the first sentence it sees (0.92 s measured under load). After setup the
first command must find them ready: these tests look at the default agent's
own caches (its loaded language intents and slot lists) before and after.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from agent_helpers import MODEL
from homeassistant.components.conversation import ConversationInput
from homeassistant.components.conversation.const import DATA_DEFAULT_ENTITY, HOME_ASSISTANT_AGENT
from homeassistant.core import Context, HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.local_voice.const import CONF_KIND, CONF_MODEL, CONF_URL, DOMAIN, KIND_AGENT
from custom_components.local_voice.warmup import async_warm_intent_matcher

if TYPE_CHECKING:
    from local_voice_harness.fake_ollama import FakeOllama


def _warm(hass: HomeAssistant) -> bool:
    """Whether the default agent holds loaded intents and built slot lists for English."""
    agent = hass.data[DATA_DEFAULT_ENTITY]
    intents = agent._lang_intents.get("en")
    return intents is not None and hasattr(intents, "intents") and agent._slot_lists is not None


async def test_agent_setup_warms_the_matcher_without_side_effects(
    demo_home: HomeAssistant, fake_ollama: FakeOllama
) -> None:
    events = async_capture_events(demo_home, "local_voice_command")
    changes = async_capture_events(demo_home, "state_changed")
    assert await async_setup_component(demo_home, "conversation", {})
    assert not _warm(demo_home), "the default agent should be cold before our entry"

    entry = MockConfigEntry(
        domain=DOMAIN,
        data={CONF_KIND: KIND_AGENT, CONF_URL: fake_ollama.url, CONF_MODEL: MODEL},
        options={"request_timeout": 3.0},
    )
    entry.add_to_hass(demo_home)
    assert await demo_home.config_entries.async_setup(entry.entry_id)
    await demo_home.async_block_till_done(wait_background_tasks=True)

    assert _warm(demo_home)
    assert events == []
    house = [e for e in changes if not e.data["entity_id"].startswith("conversation.")]
    assert house == [], [e.data["entity_id"] for e in house]

    # The first real sentence now costs a recognition only.
    agent = demo_home.data[DATA_DEFAULT_ENTITY]
    began = time.perf_counter()
    result = await agent.async_recognize_intent(
        ConversationInput(
            "turn on the kitchen light", Context(), None, None, "en", HOME_ASSISTANT_AGENT
        )
    )
    first_s = time.perf_counter() - began
    assert result is not None
    assert result.intent.name == "HassTurnOn"
    print(f"first recognition after warm-up: {first_s * 1000:.0f} ms")
    await demo_home.config_entries.async_unload(entry.entry_id)


async def test_warm_up_runs_once_per_language(demo_home: HomeAssistant) -> None:
    assert await async_warm_intent_matcher(demo_home) == 0.0  # no conversation yet: nothing
    assert await async_setup_component(demo_home, "conversation", {})
    first = await async_warm_intent_matcher(demo_home)
    assert first > 0
    assert _warm(demo_home)
    assert await async_warm_intent_matcher(demo_home) == 0.0
