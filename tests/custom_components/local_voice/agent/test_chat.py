"""The model path when Ollama misbehaves: always a short spoken answer, never a hang."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pytest
from agent_helpers import device_in, say, speech
from homeassistant.components import conversation
from homeassistant.helpers import chat_session, intent
from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.local_voice.agent.answer_gate import ASK_FOR_THE_CALL
from custom_components.local_voice.agent.backend import (
    SPOKEN_BROKEN,
    SPOKEN_FAILING,
    SPOKEN_TIMEOUT,
    SPOKEN_UNREACHABLE,
)
from custom_components.local_voice.agent.chat import NEXT_PART, SPOKEN_DESCRIBED, SPOKEN_NO_ANSWER
from custom_components.local_voice.agent.warmup import WARM_SENTENCE
from custom_components.local_voice.const import MAX_TOOL_ITERATIONS
from local_voice_harness.fake_ollama import ScriptedTurn, tool_call

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from local_voice_harness.fake_ollama import FakeOllama


def is_error(result: object) -> bool:
    return result.response.response_type is intent.IntentResponseType.ERROR  # type: ignore[attr-defined]


async def say_streamed(
    hass: HomeAssistant, entry: MockConfigEntry, text: str
) -> tuple[conversation.ConversationResult, list[str]]:
    """Say ``text``; the result and every piece of text the chat log streamed (to TTS)."""
    deltas: list[dict] = []
    with (
        chat_session.async_get_chat_session(hass) as session,
        conversation.async_get_chat_log(
            hass, session, chat_log_delta_listener=lambda _log, delta: deltas.append(delta)
        ),
    ):
        result = await say(hass, entry, text, session.conversation_id)
    return result, [d["content"] for d in deltas if d.get("content")]


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
async def test_after_a_timeout_the_prompt_is_read_in_the_background_once(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    """A CPU server drops a cancelled prompt: the agent has it read once, without a deadline."""
    await say(demo_home, agent_entry, "what time is it")  # warm up HA's intent matcher
    await demo_home.async_block_till_done(wait_background_tasks=True)  # the start-up warm-up
    warmed_at_start = len(fake_ollama.warm_requests)
    fake_ollama.add_turns(ScriptedTurn(fault="hang"))
    result = await say(demo_home, agent_entry, "tell me a story")
    assert speech(result) == SPOKEN_TIMEOUT
    await demo_home.async_block_till_done(wait_background_tasks=True)
    reread = fake_ollama.warm_requests[warmed_at_start:]
    assert len(reread) == 1
    timed_out = fake_ollama.chat_requests[-1]
    # What every next turn starts with: the same messages up to the volatile one.
    assert reread[0]["messages"][:-1] == timed_out["messages"][:-1]
    assert timed_out["messages"][-1]["content"] == "tell me a story"
    assert reread[0]["messages"][-1] == {"role": "user", "content": WARM_SENTENCE}
    assert reread[0]["tools"] == timed_out["tools"]
    fake_ollama.add_turns(ScriptedTurn(text="Once upon a time."))
    result = await say(demo_home, agent_entry, "tell me a story")
    assert speech(result) == "Once upon a time."
    await demo_home.async_block_till_done(wait_background_tasks=True)
    assert len(fake_ollama.warm_requests) == warmed_at_start + 1  # no timeout: no re-read


@pytest.mark.parametrize("agent_options", [{"request_timeout": 1.0}])
async def test_a_timeout_in_a_later_round_rereads_only_what_the_next_turn_shares(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    """Not the tool's result: reading it again kept the server busy past the next turns."""
    await demo_home.async_block_till_done(wait_background_tasks=True)  # the start-up warm-up
    warmed_at_start = len(fake_ollama.warm_requests)
    fake_ollama.add_turns(
        ScriptedTurn(tool_calls=[tool_call("GetLiveContext", area="Kitchen")]),
        ScriptedTurn(fault="hang"),
    )
    result = await say(demo_home, agent_entry, "is anything on in here")
    assert speech(result) == SPOKEN_TIMEOUT
    await demo_home.async_block_till_done(wait_background_tasks=True)
    (reread,) = fake_ollama.warm_requests[warmed_at_start:]
    timed_out = fake_ollama.chat_requests[-1]
    assert [m["role"] for m in timed_out["messages"]][-3:] == ["user", "assistant", "tool"]
    volatile = max(i for i, m in enumerate(timed_out["messages"]) if m["role"] == "system")
    assert reread["messages"] == [
        *timed_out["messages"][: volatile + 1],
        {"role": "user", "content": WARM_SENTENCE},
    ]


async def test_get_live_context_answers_with_the_states_asked_about(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    """A few lines, not every entity's attributes: the second round stays short."""
    fake_ollama.add_turns(
        ScriptedTurn(tool_calls=[tool_call("GetLiveContext", area="Kitchen")]),
        ScriptedTurn(text="No, everything in the kitchen is off."),
    )
    result = await say(demo_home, agent_entry, "is anything on in here")
    assert speech(result) == "No, everything in the kitchen is off."
    tool_message = fake_ollama.chat_requests[1]["messages"][-1]
    assert tool_message["role"] == "tool"
    assert "Kitchen Light (Kitchen): off" in tool_message["content"]
    assert "Office" not in tool_message["content"]


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
            # other calls each round (the same calls again end the turn)
            ScriptedTurn(tool_calls=[tool_call("GetLiveContext", name=f"lamp {i}")])
            for i in range(MAX_TOOL_ITERATIONS + 3)
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


# --- a change claimed in words, without a call ----------------------------------------------


async def test_a_claim_made_twice_is_never_spoken_and_changes_nothing(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    """The 1.5B's worded claim: "Garage Door is now open." with no call at all."""
    fake_ollama.add_turns(
        ScriptedTurn(text="Garage Door is now open."),
        ScriptedTurn(text="Done, the garage door is open."),
    )
    result, streamed = await say_streamed(demo_home, agent_entry, "I need to get the car out")
    assert demo_home.states.get("cover.garage_door").state == "closed"
    assert len(fake_ollama.chat_requests) == 2  # asked once more for the call
    assert speech(result) == SPOKEN_DESCRIBED
    assert "".join(streamed) == SPOKEN_DESCRIBED
    retry = fake_ollama.chat_requests[1]["messages"]
    assert retry[-2] == {"role": "assistant", "content": "Garage Door is now open."}
    assert retry[-1] == {"role": "user", "content": ASK_FOR_THE_CALL}


async def test_a_claim_makes_the_model_be_asked_for_the_call(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    fake_ollama.add_turns(
        ScriptedTurn(
            text="Sure, happy to help you with that tonight. I've switched on the coffee maker."
        ),
        ScriptedTurn(tool_calls=[tool_call("HassTurnOn", name="Coffee Maker")]),
    )
    result, streamed = await say_streamed(demo_home, agent_entry, "I need a coffee right now")
    assert demo_home.states.get("switch.coffee_maker").state == "on"
    assert speech(result) == "Coffee Maker is now on."
    # The first sentence streamed as soon as it was complete; the claim never did.
    assert streamed[0] == "Sure, happy to help you with that tonight. "
    assert not any("switched" in piece for piece in streamed)
    retry = fake_ollama.chat_requests[1]["messages"]
    assert "I've switched on the coffee maker." in retry[-2]["content"]
    assert retry[-1]["content"] == ASK_FOR_THE_CALL


async def test_a_claim_after_a_failed_call_is_not_spoken(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    fake_ollama.add_turns(
        ScriptedTurn(tool_calls=[tool_call("HassTurnOn", name=5)]),  # wrong type: fails
        ScriptedTurn(text="The kitchen light has been turned on."),
        ScriptedTurn(text="The kitchen light has been turned on."),
    )
    result = await say(demo_home, agent_entry, "it is too dark to cook in here")
    assert demo_home.states.get("light.kitchen").state == "off"
    assert len(fake_ollama.chat_requests) == 3
    assert speech(result) == SPOKEN_DESCRIBED


async def test_a_state_read_by_a_tool_is_spoken_as_it_streams(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    fake_ollama.add_turns(
        ScriptedTurn(tool_calls=[tool_call("GetLiveContext")]),
        ScriptedTurn(text="The garage door is closed. The front door is locked."),
    )
    result, streamed = await say_streamed(demo_home, agent_entry, "check the doors before I go")
    assert len(fake_ollama.chat_requests) == 2
    assert speech(result) == "The garage door is closed. The front door is locked."
    assert streamed == ["The garage door is closed. ", "The front door is locked."]


async def test_a_question_is_not_judged_for_claims_and_streams_a_sentence_at_a_time(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    fake_ollama.add_turns(
        ScriptedTurn(tool_calls=[tool_call("GetLiveContext")]),
        # "now": at this moment, not a claim of a change
        ScriptedTurn(text="The coffee maker is now off. The kitchen light is off too."),
    )
    result, streamed = await say_streamed(demo_home, agent_entry, "did I leave anything on")
    assert len(fake_ollama.chat_requests) == 2
    assert speech(result) == "The coffee maker is now off. The kitchen light is off too."
    assert streamed == ["The coffee maker is now off. ", "The kitchen light is off too."]


@pytest.mark.parametrize(
    "echo",
    [
        # The guard's answer to a change during a question, read out (the 1.5B did).
        (
            "The user asked a question: do not change anything. Answer it from the current "
            "states listed before the request."
        ),
        # A rule of the default instructions.
        "When the user asks about the home, answer from the current states listed at the end.",
        # The question itself.
        "Is it muggy or dry in here?",
        # The instructions retold, about "the user" (the 1.5B, for a misheard question).
        "The user is asking about the bedroom, which is a room in the kitchen area.",
        # Nothing at all.
        "",
    ],
)
async def test_an_answer_that_reads_out_the_instructions_or_says_nothing_is_not_spoken(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama, echo: str
) -> None:
    fake_ollama.add_turns(ScriptedTurn(text=echo))
    # (a question that names no room: one that does is answered from the states)
    result, streamed = await say_streamed(
        demo_home, agent_entry, "is it muggy or dry in here right now"
    )
    assert speech(result) == SPOKEN_NO_ANSWER
    assert streamed == [SPOKEN_NO_ANSWER]


async def test_an_answer_that_reads_out_the_speakers_area_line_is_not_spoken(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    """The volatile message's sentences are instructions too (the 1.5B read this one out)."""
    device_id = device_in(demo_home, agent_entry, "Kitchen")
    echo = (
        "The user is speaking in the area Kitchen; generic commands like 'turn on the "
        "lights' target this area."
    )
    fake_ollama.add_turns(ScriptedTurn(text=echo))
    result = await say(demo_home, agent_entry, "how come this is a bedroom", device_id=device_id)
    assert speech(result) == SPOKEN_NO_ANSWER


async def test_the_examples_answer_is_spoken_in_a_home_that_has_a_porch_light(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    """The examples' words are not instructions: a home may have a Porch Light too."""
    fake_ollama.add_turns(ScriptedTurn(text="No, the Porch Light is off. Anything else?"))
    result = await say(demo_home, agent_entry, "did I leave the porch light on")
    assert speech(result) == "No, the Porch Light is off. Anything else?"


# --- compound requests: a round per part ----------------------------------------------------


async def test_a_compound_request_gets_a_round_per_part(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    """The 1.5B makes one call per round; both parts are done."""
    fake_ollama.add_turns(
        ScriptedTurn(tool_calls=[tool_call("HassTurnOff", name="Bedroom Light")]),
        ScriptedTurn(tool_calls=[tool_call("HassTurnOff", name="Living Room Lamp")]),
        ScriptedTurn(text="This third round must never be asked for."),
    )
    text = "the bedroom light and the living room lamp can go off now"
    result = await say(demo_home, agent_entry, text)
    assert demo_home.states.get("light.bedroom").state == "off"
    assert demo_home.states.get("light.living_room_lamp").state == "off"
    assert len(fake_ollama.chat_requests) == 2  # two parts, two calls: no third round
    second = fake_ollama.chat_requests[1]["messages"]
    assert second[-2]["role"] == "tool"  # the model saw the first call's result
    # and what is left (asked with the whole request, the 1.5B repeated the first call)
    assert second[-1] == {
        "role": "user",
        "content": f"{NEXT_PART}the living room lamp can go off now",
    }
    assert speech(result) == "Bedroom Light is now off. Living Room Lamp is now off."


async def test_after_a_change_the_models_words_are_not_spoken(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    fake_ollama.add_turns(
        ScriptedTurn(tool_calls=[tool_call("HassTurnOff", name="Bedroom Light")]),
        ScriptedTurn(tool_calls=[tool_call("HassTurnOff", name="Living Room Lamp")]),
        ScriptedTurn(text="Both lights are now off, and I also made you a cup of tea. Sleep well!"),
    )
    text = "switch off the bedroom light and the living room lamp, then say good night"
    result, streamed = await say_streamed(demo_home, agent_entry, text)
    assert len(fake_ollama.chat_requests) == 3  # three parts counted: one round to spare
    assert speech(result) == "Bedroom Light is now off. Living Room Lamp is now off."
    assert streamed == [speech(result)]


async def test_a_failing_call_repeated_ends_the_turn(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    """The 1.5B repeated a call that changed nothing until the deadline (three rounds)."""
    fake_ollama.add_turns(
        ScriptedTurn(tool_calls=[tool_call("HassTurnOn", name="Garden Gnome")]),
        ScriptedTurn(tool_calls=[tool_call("HassTurnOn", name="Garden Gnome")]),
        ScriptedTurn(text="This third round must never be asked for."),
    )
    result = await say(demo_home, agent_entry, "wake up the garden gnome")
    assert len(fake_ollama.chat_requests) == 2
    assert "third round" not in speech(result)
    assert speech(result).strip()


async def test_a_repeated_call_runs_once_and_ends_the_turn(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    calls = async_capture_events(demo_home, "call_service")
    fake_ollama.add_turns(
        ScriptedTurn(tool_calls=[tool_call("HassTurnOff", name="Bedroom Light")]),
        ScriptedTurn(tool_calls=[tool_call("HassTurnOff", name="Bedroom Light")]),
        ScriptedTurn(text="This third round must never be asked for."),
    )
    text = "the bedroom light and the living room lamp can go off now"
    result = await say(demo_home, agent_entry, text)
    await demo_home.async_block_till_done()
    assert len(fake_ollama.chat_requests) == 2
    turned_off = [
        c for c in calls if (c.data["domain"], c.data["service"]) == ("light", "turn_off")
    ]
    assert len(turned_off) == 1
    assert demo_home.states.get("light.living_room_lamp").state == "on"
    assert speech(result) == "Bedroom Light is now off."
