"""The model path when Ollama misbehaves: always a short spoken answer, never a hang."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pytest
from agent_helpers import say, speech
from homeassistant.helpers import intent

from custom_components.local_voice.agent.backend import (
    SPOKEN_BROKEN,
    SPOKEN_FAILING,
    SPOKEN_TIMEOUT,
    SPOKEN_UNREACHABLE,
)
from custom_components.local_voice.const import MAX_TOOL_ITERATIONS
from local_voice_harness.fake_ollama import ScriptedTurn, tool_call

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from local_voice_harness.fake_ollama import FakeOllama


def is_error(result: object) -> bool:
    return result.response.response_type is intent.IntentResponseType.ERROR  # type: ignore[attr-defined]


@pytest.mark.parametrize("agent_options", [{"request_timeout": 1.0}])
async def test_hanging_model_times_out_with_spoken_error(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    fake_ollama.add_turns(ScriptedTurn(fault="hang"))
    await say(demo_home, agent_entry, "what time is it")  # warm up HA's intent matcher
    start = time.monotonic()
    result = await say(demo_home, agent_entry, "tell me a story")
    assert time.monotonic() - start < 2.5  # 1 s deadline + margin for 2 shared cores
    assert speech(result) == SPOKEN_TIMEOUT
    assert is_error(result)


@pytest.mark.parametrize("agent_options", [{"request_timeout": 1.0}])
async def test_slow_stream_after_first_token_also_times_out(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    fake_ollama.add_turns(ScriptedTurn(text="one two three four five", token_delay_s=0.4))
    await say(demo_home, agent_entry, "what time is it")  # warm up HA's intent matcher
    start = time.monotonic()
    result = await say(demo_home, agent_entry, "count slowly")
    assert time.monotonic() - start < 2.5  # 1 s deadline + margin for 2 shared cores
    assert speech(result) == SPOKEN_TIMEOUT


@pytest.mark.parametrize(
    ("fault", "spoken"),
    [
        ("status_503", SPOKEN_FAILING),
        ("malformed_line", SPOKEN_BROKEN),
        ("disconnect", SPOKEN_UNREACHABLE),
        # The official client rejects arguments sent as one JSON string.
        ("arguments_as_string", SPOKEN_BROKEN),
    ],
)
async def test_broken_answers_become_short_spoken_errors(
    demo_home: HomeAssistant,
    agent_entry: MockConfigEntry,
    fake_ollama: FakeOllama,
    fault: str,
    spoken: str,
) -> None:
    fake_ollama.add_turns(
        ScriptedTurn(
            text="Sure thing", tool_calls=[tool_call("HassTurnOn", name="Desk Lamp")], fault=fault
        ),  # type: ignore[arg-type]
    )
    result = await say(demo_home, agent_entry, "make it bright at the desk")
    assert speech(result) == spoken
    assert is_error(result)
    assert demo_home.states.get("light.desk_lamp").state == "off"
    # The agent recovers on the next sentence.
    fake_ollama.add_turns(ScriptedTurn(text="Hello again."))
    assert speech(await say(demo_home, agent_entry, "what's new")) == "Hello again."


async def test_json_in_string_arguments_are_repaired(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    fake_ollama.add_turns(
        ScriptedTurn(
            tool_calls=[tool_call("HassTurnOn", name="Office Fan", domain='["fan"]', area="")]
        ),
        ScriptedTurn(text="Fan is on."),
    )
    result = await say(demo_home, agent_entry, "I'm hot in the office")
    assert demo_home.states.get("fan.office_fan").state == "on"
    assert speech(result) == "Office Fan is now on."


async def test_invalid_arguments_go_back_to_the_model(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    fake_ollama.add_turns(
        ScriptedTurn(
            tool_calls=[tool_call("HassLightSet", name="Kitchen Light", brightness="blinding")]
        ),
        ScriptedTurn(text="I could not set that brightness."),
    )
    result = await say(demo_home, agent_entry, "make the kitchen blinding")
    assert demo_home.states.get("light.kitchen").state == "off"
    assert speech(result) == "I could not set that brightness."
    tool_message = fake_ollama.chat_requests[1]["messages"][-1]
    assert tool_message["role"] == "tool"
    assert "Invalid arguments" in tool_message["content"]


async def test_tool_loop_is_capped(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    fake_ollama.add_turns(
        *[
            ScriptedTurn(tool_calls=[tool_call("GetLiveContext")])
            for _ in range(MAX_TOOL_ITERATIONS + 3)
        ]
    )
    result = await say(demo_home, agent_entry, "keep looking at the kitchen light")
    assert len(fake_ollama.chat_requests) == MAX_TOOL_ITERATIONS
    assert speech(result) == "Sorry, I could not finish that."


async def test_a_successful_action_ends_the_turn_without_asking_the_model_again(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    fake_ollama.add_turns(
        ScriptedTurn(tool_calls=[tool_call("HassTurnOn", name="Kitchen Light")]),
        ScriptedTurn(text="This second round must never be asked for."),
    )
    result = await say(demo_home, agent_entry, "it is too dark to cook in here")
    assert len(fake_ollama.chat_requests) == 1
    assert speech(result) == "Kitchen Light is now on."


async def test_a_failed_action_goes_back_to_the_model(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    fake_ollama.add_turns(
        ScriptedTurn(tool_calls=[tool_call("HassTurnOn", name=5)]),  # wrong type
        ScriptedTurn(tool_calls=[tool_call("HassTurnOn", name="Kitchen Light")]),
    )
    result = await say(demo_home, agent_entry, "it is too dark to cook in here")
    assert len(fake_ollama.chat_requests) == 2
    second = fake_ollama.chat_requests[1]["messages"]
    assert any(m["role"] == "tool" and "expected string" in m["content"] for m in second)
    assert speech(result) == "Kitchen Light is now on."


async def test_local_intents_work_while_ollama_is_down(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    await fake_ollama.stop()
    result = await say(demo_home, agent_entry, "turn on the kitchen light")
    assert demo_home.states.get("light.kitchen").state == "on"
    assert not is_error(result)
    start = time.monotonic()
    result = await say(demo_home, agent_entry, "what should I cook tonight")
    assert time.monotonic() - start < 3.5
    assert speech(result) == SPOKEN_UNREACHABLE


async def test_an_outage_is_logged_once_and_its_issue_clears_when_the_server_is_back(
    demo_home: HomeAssistant,
    agent_entry: MockConfigEntry,
    fake_ollama: FakeOllama,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from homeassistant.helpers import issue_registry as ir

    from custom_components.local_voice.const import DOMAIN

    issue_id = f"server_unreachable_{agent_entry.entry_id}"
    await fake_ollama.stop()
    for _ in range(3):
        result = await say(demo_home, agent_entry, "what should I cook tonight")
        assert speech(result) == SPOKEN_UNREACHABLE
    assert caplog.text.count("is not reachable") == 1
    assert ir.async_get(demo_home).async_get_issue(DOMAIN, issue_id) is not None
    await fake_ollama.start()
    fake_ollama.add_turns(ScriptedTurn(text="Pasta."))
    result = await say(demo_home, agent_entry, "what should I cook tonight")
    assert speech(result) == "Pasta."
    assert ir.async_get(demo_home).async_get_issue(DOMAIN, issue_id) is None
    assert caplog.text.count("answers again") == 1
