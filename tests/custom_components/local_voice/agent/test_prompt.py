"""The prompt laid out for the prefix cache, history trimming, and the context size."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import pytest
from agent_helpers import say, user_input
from homeassistant.components import conversation
from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import llm
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.local_voice.agent.prompt import (
    async_stable_prompt,
    auto_num_ctx,
    context_size,
    is_timer_tool,
    mentions_time,
    messages_for_model,
    model_tools,
    volatile_context,
)
from custom_components.local_voice.agent.settings import AgentSettings
from custom_components.local_voice.const import MAX_ANSWER_TOKENS, MAX_NUM_CTX, MIN_NUM_CTX
from local_voice_harness.fake_ollama import FakeOllama, ScriptedTurn

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant


def test_auto_context_is_bounded_and_rounded() -> None:
    assert auto_num_ctx(0) == MIN_NUM_CTX
    assert auto_num_ctx(1461) == 3072
    assert auto_num_ctx(10**7) == MAX_NUM_CTX
    assert auto_num_ctx(5000) % 1024 == 0


def test_the_context_is_sized_from_the_stable_part_and_grows_only_when_needed() -> None:
    """Ollama reloads on every new num_ctx: warm-up and turns ask for the same size."""
    base = 1990  # the demo home's stable prompt and tools
    assert context_size(base, base + 200) == auto_num_ctx(base) == 3072  # the warm-up
    assert context_size(base, base + 500) == 3072  # a turn with some history: still fits
    assert context_size(base, 3072 - MAX_ANSWER_TOKENS + 1) == 4096  # no room to answer


def _chat_log(hass: HomeAssistant, turns: int) -> conversation.ChatLog:
    log = conversation.ChatLog(hass, "c1")
    for n in range(turns):
        log.async_add_user_content(conversation.UserContent(f"u{n}"))
        log.async_add_assistant_content_without_tools(
            conversation.AssistantContent(agent_id="a", content=f"a{n}")
        )
    log.async_add_user_content(conversation.UserContent("now"))
    return log


async def test_history_is_trimmed_and_the_volatile_part_comes_last(hass: HomeAssistant) -> None:
    log = _chat_log(hass, 4)
    messages = messages_for_model(log, "STABLE", "VOLATILE", max_turns=2)
    assert [m["content"] for m in messages] == ["STABLE", "u2", "a2", "u3", "a3", "VOLATILE", "now"]
    assert next(m["role"] for m in messages) == "system"
    assert messages[-2]["role"] == "system"
    everything = messages_for_model(log, "STABLE", "VOLATILE", max_turns=0)
    assert len(everything) == 2 + 4 * 2 + 1


async def test_a_sentence_that_says_all_it_means_gets_no_history(hass: HomeAssistant) -> None:
    """Through a satellite every model turn re-read the last turn and the states: too slow."""
    log = _chat_log(hass, 2)
    log.async_add_assistant_content_without_tools(
        conversation.AssistantContent(agent_id="a", content="a-now")
    )
    log.async_add_user_content(conversation.UserContent("turn off the bedroom light"))
    messages = messages_for_model(log, "STABLE", "VOLATILE", max_turns=4)
    assert [m["content"] for m in messages] == ["STABLE", "VOLATILE", "turn off the bedroom light"]
    log.async_add_assistant_content_without_tools(
        conversation.AssistantContent(agent_id="a", content="Which light?")
    )
    log.async_add_user_content(conversation.UserContent("the bedroom one"))
    messages = messages_for_model(log, "STABLE", "VOLATILE", max_turns=4)
    assert [m["content"] for m in messages][-4:] == [
        "turn off the bedroom light",
        "Which light?",
        "VOLATILE",
        "the bedroom one",
    ]


async def test_stable_part_is_the_same_for_every_satellite_and_minute(
    demo_home: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Only the volatile message names the time and the speaker's area."""
    entry = MockConfigEntry(domain="test")
    entry.add_to_hass(demo_home)
    areas = ar.async_get(demo_home)
    devices = dr.async_get(demo_home)
    kitchen = devices.async_get_or_create(config_entry_id=entry.entry_id, identifiers={("t", "k")})
    office = devices.async_get_or_create(config_entry_id=entry.entry_id, identifiers={("t", "o")})
    devices.async_update_device(kitchen.id, area_id=areas.async_get_area_by_name("Kitchen").id)
    devices.async_update_device(office.id, area_id=areas.async_get_area_by_name("Office").id)
    settings = AgentSettings(model="m")
    freezer.move_to("2026-12-06 08:00:00")
    early = dt_util.now().strftime("%H:%M")
    first = await async_stable_prompt(demo_home, settings, "en")
    early_kitchen = volatile_context(demo_home, user_input("x", device_id=kitchen.id))
    freezer.move_to("2026-12-06 09:17:00")
    late = dt_util.now().strftime("%H:%M")
    second = await async_stable_prompt(demo_home, settings, "en")
    late_office = volatile_context(demo_home, user_input("x", device_id=office.id))
    assert first == second
    assert "Kitchen Light" in first  # the home's overview is in the stable part
    assert early in early_kitchen
    assert "Kitchen" in early_kitchen
    assert late in late_office
    assert "Office" in late_office
    assert late not in second
    assert "Office" not in second.split("Static Context")[0]


async def test_questions_are_answered_from_the_states_not_a_tool_round(
    demo_home: HomeAssistant,
) -> None:
    """HA's "You MUST call `GetLiveContext`" is left out: the states are in the volatile part.

    Fails when HA's Assist API stops putting ``llm.DYNAMIC_CONTEXT_PROMPT`` in
    its prompt as it is (the replacement then does nothing).
    """
    api = await llm.async_get_api(
        demo_home,
        llm.LLM_API_ASSIST,
        llm.LLMContext("test", None, "en", conversation.DOMAIN, None),
    )
    assert llm.DYNAMIC_CONTEXT_PROMPT in api.api_prompt
    stable = await async_stable_prompt(demo_home, AgentSettings(model="m"), "en")
    assert "MUST call `GetLiveContext`" not in stable
    assert "current states listed at the end" in stable  # the rules say where they are
    assert "Static Context" in stable  # the rest of HA's guidance stays
    assert "Use HassTurnOn to lock and HassTurnOff to unlock a lock." in stable


async def test_the_warm_up_caches_the_prefix_every_turn_starts_with(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    """Once HA runs, the server reads the stable prompt and the tools; turns reuse them."""
    await demo_home.async_block_till_done(wait_background_tasks=True)
    assert len(fake_ollama.warm_requests) == 1
    warm = fake_ollama.warm_requests[0]
    fake_ollama.add_turns(ScriptedTurn(text="Nice weather."), ScriptedTurn(text="Yes."))
    first = await say(demo_home, agent_entry, "how is the weather", device_id=None)
    await say(demo_home, agent_entry, "really?", first.conversation_id)
    states = warm["messages"][1]["content"]
    assert states.startswith("Current states:\n")  # each turn's volatile message begins so
    for request in fake_ollama.chat_requests:
        assert request["messages"][0] == warm["messages"][0]
        assert request["messages"][-2]["content"].startswith(states + "\n")
        assert request["tools"] == warm["tools"]
        assert request["options"]["num_ctx"] == warm["options"]["num_ctx"]  # no reload


async def test_a_satellite_meets_the_warmed_tools_and_gets_timer_tools_only_for_time(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    """A device that runs timers gets HA's timer tools only when the sentence speaks of time.

    Offered them on every turn, the 1.5B started a timer for "start the machine".
    """
    from homeassistant.components.intent import async_register_timer_handler

    await demo_home.async_block_till_done(wait_background_tasks=True)
    (warm,) = fake_ollama.warm_requests
    warmed = [t["function"]["name"] for t in warm["tools"]]
    assert not any(is_timer_tool(name) for name in warmed)
    device = dr.async_get(demo_home).async_get_or_create(
        config_entry_id=agent_entry.entry_id, identifiers={("local_voice", "sat1")}
    )
    async_register_timer_handler(demo_home, device.id, lambda *_: None)
    fake_ollama.add_turns(ScriptedTurn(text="Sure."), ScriptedTurn(text="Sure."))
    await say(demo_home, agent_entry, "could the machine start brewing", device_id=device.id)
    await say(
        demo_home,
        agent_entry,
        "the pasta needs ten minutes, keep an eye on it",
        device_id=device.id,
    )
    await demo_home.async_block_till_done(wait_background_tasks=True)
    assert len(fake_ollama.warm_requests) == 1  # the satellite needs no warm-up of its own
    plain, timed = ([t["function"]["name"] for t in r["tools"]] for r in fake_ollama.chat_requests)
    assert plain == warmed
    assert timed[: len(warmed)] == warmed
    assert any(is_timer_tool(name) for name in timed[len(warmed) :])
    # The line that says so goes with the tools: heard before "start the machine", the
    # 1.5B answered "The device can run timers, so ...".
    said = [
        "\n".join(m["content"] for m in r["messages"] if m["role"] == "system")
        for r in fake_ollama.chat_requests
    ]
    assert ["This device can run timers." in text for text in said] == [False, True]


@pytest.mark.parametrize(
    ("sentence", "timed"),
    [
        ("set a timer for five minutes", True),
        ("remind me in an hour", True),
        ("how long is left on the pasta", True),
        ("start the machine", False),
        ("it's way too light to sleep in the bedroom", False),
    ],
)
def test_mentions_time(sentence: str, *, timed: bool) -> None:
    assert mentions_time(sentence) is timed


async def test_the_tools_come_in_one_order_whatever_order_ha_lists_them_in(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    """HA lists intents in the order integrations registered them, which varies between starts.

    The model gets them sorted by name, so a restarted HA sends the prompt the
    server has cached (and the model answers as before).
    """
    context = llm.LLMContext(
        platform="local_voice", context=None, language="en", assistant="conversation",
        device_id=None,
    )  # fmt: skip
    api = await llm.async_get_api(demo_home, llm.LLM_API_ASSIST, context)
    names = [t.name for t in api.tools]
    reordered = dataclasses.replace(api, tools=list(reversed(api.tools)))
    assert model_tools(reordered) == model_tools(api)
    in_order = sorted(names, key=lambda n: ("Timer" in n, n))  # HA's timer tools last
    assert [t["function"]["name"] for t in model_tools(api)] == in_order
    await demo_home.async_block_till_done(wait_background_tasks=True)
    (warm,) = fake_ollama.warm_requests
    assert [t["function"]["name"] for t in warm["tools"]] == [
        name for name in in_order if not is_timer_tool(name)
    ]


async def test_a_device_with_timers_gets_the_same_tools_first_and_its_timer_tools_after(
    demo_home: HomeAssistant,
) -> None:
    """A satellite's prompt starts with the prompt of a chat in HA's UI (the server's cache)."""
    from homeassistant.components.intent import async_register_timer_handler
    from homeassistant.setup import async_setup_component

    assert await async_setup_component(demo_home, "intent", {})
    entry = MockConfigEntry(domain="local_voice")
    entry.add_to_hass(demo_home)
    device = dr.async_get(demo_home).async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={("local_voice", "sat1")}
    )
    unregister = async_register_timer_handler(demo_home, device.id, lambda *_: None)
    tools = {}
    for device_id in (None, device.id):
        context = llm.LLMContext(
            platform="local_voice", context=None, language="en", assistant="conversation",
            device_id=device_id,
        )  # fmt: skip
        api = await llm.async_get_api(demo_home, llm.LLM_API_ASSIST, context)
        tools[device_id] = [t["function"]["name"] for t in model_tools(api)]
    unregister()
    plain, satellite = tools[None], tools[device.id]
    assert len(satellite) > len(plain)
    common = [n for n in plain if n in satellite]
    assert satellite[: len(common)] == common
    assert all("Timer" in n for n in satellite[len(common) :])


async def test_earlier_turns_that_ha_handled_are_left_out(hass: HomeAssistant) -> None:
    """HA writes its matched intents as tool calls; the model only sees its own turns."""
    log = conversation.ChatLog(hass, "c1")
    log.async_add_user_content(conversation.UserContent("turn on the kitchen light"))
    log.async_add_assistant_content_without_tools(
        conversation.AssistantContent(
            agent_id="a",
            content=None,
            tool_calls=[llm.ToolInput("HassTurnOn", {"name": "Kitchen Light"}, external=True)],
        )
    )
    log.async_add_assistant_content_without_tools(
        conversation.AssistantContent(agent_id="a", content="Turned on the light")
    )
    log.async_add_user_content(conversation.UserContent("what is the meaning of life"))
    log.async_add_assistant_content_without_tools(
        conversation.AssistantContent(agent_id="a", content="Forty-two.")
    )
    log.async_add_user_content(conversation.UserContent("and turn off the bedroom light"))
    log.async_add_assistant_content_without_tools(
        conversation.AssistantContent(
            agent_id="a",
            content=None,
            tool_calls=[llm.ToolInput("HassTurnOff", {"name": "Bedroom Light"}, external=True)],
        )
    )
    messages = messages_for_model(log, "STABLE", "VOLATILE", max_turns=10)
    assert [(m["role"], m["content"]) for m in messages[:5]] == [
        ("system", "STABLE"),
        ("user", "what is the meaning of life"),
        ("assistant", "Forty-two."),
        ("system", "VOLATILE"),
        ("user", "and turn off the bedroom light"),
    ]
    # This turn's call has no result (HA gave up on it): not sent, llama.cpp refuses it.
    assert len(messages) == 5


async def test_the_volatile_part_has_the_states_before_the_time(demo_home: HomeAssistant) -> None:
    """The states come first (cached while unchanged); no timer line for a device without."""
    volatile = volatile_context(demo_home, user_input("is the fan on"))
    states, _, rest = volatile.partition("\nCurrent time is ")
    assert states.startswith("Current states:\n")
    assert "- Office Fan (Office): off" in states.splitlines()
    assert rest  # the time follows the states
    assert "timers" not in volatile


async def test_the_only_thermostat_serves_the_speakers_area(demo_home: HomeAssistant) -> None:
    """ "make it cooler in here" from the kitchen: the thermostat is in the living room."""
    entry = MockConfigEntry(domain="test")
    entry.add_to_hass(demo_home)
    areas = ar.async_get(demo_home)
    devices = dr.async_get(demo_home)
    for room in ("Kitchen", "Living Room"):
        device = devices.async_get_or_create(
            config_entry_id=entry.entry_id, identifiers={("t", room)}
        )
        devices.async_update_device(device.id, area_id=areas.async_get_area_by_name(room).id)
        volatile = volatile_context(demo_home, user_input("make it cooler", device_id=device.id))
        said = "Thermostat is the home's only thermostat; it serves Kitchen too."
        assert (said in volatile) is (room == "Kitchen"), volatile
        # Said before a request about anything else, it made the 1.5B call the thermostat
        # for "I need caffeine, get the coffee going" and "order a pizza".
        for other in ("I need caffeine, get the coffee going", "order a pizza"):
            volatile = volatile_context(demo_home, user_input(other, device_id=device.id))
            assert "only thermostat" not in volatile, other


async def test_a_call_without_its_result_is_not_sent(hass: HomeAssistant) -> None:
    """llama.cpp refuses a request whose assistant message has calls with no result."""
    log = conversation.ChatLog(hass, "c1")
    log.async_add_user_content(conversation.UserContent("what is the heating aiming for"))
    log.content.append(
        conversation.AssistantContent(
            agent_id="a",
            tool_calls=[llm.ToolInput(tool_name="HassClimateGetTemperature", tool_args={})],
        )
    )
    messages = messages_for_model(log, "STABLE", "VOLATILE", max_turns=0)
    assert not any(m.get("tool_calls") for m in messages)
    assert messages[-1] == {"role": "user", "content": "what is the heating aiming for"}
