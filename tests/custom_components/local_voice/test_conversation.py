"""The agent in the real demo home: local intents, the model path, safety, events."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from agent_helpers import device_in, say, speech
from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.local_voice.const import EVENT_COMMAND
from local_voice_harness.fake_ollama import ScriptedTurn, tool_call

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from local_voice_harness.fake_ollama import FakeOllama


async def test_local_intent_turns_on_kitchen_without_model(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    result = await say(demo_home, agent_entry, "turn on the kitchen light")
    assert demo_home.states.get("light.kitchen").state == "on"
    assert fake_ollama.chat_requests == []
    assert speech(result)


async def test_model_tool_call_changes_state_and_reports_real_state(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    fake_ollama.add_turns(
        ScriptedTurn(tool_calls=[tool_call("HassTurnOn", name="Desk Lamp", domain=["light"])]),
        ScriptedTurn(text="I turned on the desk lamp and also made coffee."),
    )
    result = await say(demo_home, agent_entry, "it's too dark to read at my desk")
    assert demo_home.states.get("light.desk_lamp").state == "on"
    # The tool changed the home: the answer is the new state, no second model round.
    assert len(fake_ollama.chat_requests) == 1
    assert speech(result) == "Desk Lamp is now on."


async def test_local_question_changes_nothing(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    before = {s.entity_id: s.state for s in demo_home.states.async_all()}
    result = await say(demo_home, agent_entry, "is the kitchen light on")
    after = {s.entity_id: s.state for s in demo_home.states.async_all()}
    assert {k: v for k, v in after.items() if not k.startswith("conversation.")} == {
        k: v for k, v in before.items() if not k.startswith("conversation.")
    }
    assert "no" in speech(result).lower() or "off" in speech(result).lower()
    assert fake_ollama.chat_requests == []


async def test_model_question_cannot_act_and_its_target_state_is_the_answer(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    """A confused model tries to switch on what the user only asked about.

    Nothing changes, and what it reached for is what the question is about:
    its state is the answer, without another round (the 1.5B, asked again,
    read the guard's message out).
    """
    fake_ollama.add_turns(
        ScriptedTurn(tool_calls=[tool_call("HassTurnOn", name="Coffee Maker")]),
        ScriptedTurn(text="never asked for"),
    )
    result = await say(demo_home, agent_entry, "would it be ready yet?")
    assert demo_home.states.get("switch.coffee_maker").state == "off"
    assert speech(result) == "Coffee Maker is off."
    assert len(fake_ollama.chat_requests) == 1


async def test_a_question_answered_with_a_tool_that_does_not_fit_still_gets_the_state(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    """The 1.5B set the thermostat "Office Fan" to 20 for "is the office fan still blowing"."""
    fake_ollama.add_turns(
        ScriptedTurn(
            tool_calls=[tool_call("HassClimateSetTemperature", name="Office Fan", temperature=20)]
        ),
    )
    result = await say(demo_home, agent_entry, "is it still blowing?")
    assert speech(result) == "Office Fan is off."
    assert len(fake_ollama.chat_requests) == 1


async def test_a_question_is_answered_with_what_its_words_point_at(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    """The 1.5B reached for the thermostat for "is it muggy in the bedroom".

    A question that names no room is about the speaker's: here a satellite's in
    the bedroom. (One that names it is answered without the model, below.)
    """
    device_id = device_in(demo_home, agent_entry, "Bedroom")
    fake_ollama.add_turns(
        ScriptedTurn(
            tool_calls=[tool_call("HassClimateSetTemperature", name="Thermostat", temperature=20)]
        ),
    )
    result = await say(demo_home, agent_entry, "is it muggy in here", device_id=device_id)
    assert speech(result) == "Bedroom Humidity is 45 %."
    assert demo_home.states.get("climate.thermostat").attributes["temperature"] == 20
    assert len(fake_ollama.chat_requests) == 1


def _house(hass: HomeAssistant) -> dict[str, str]:
    """Every state but the conversation entities' (their state is the last answer's time)."""
    return {
        s.entity_id: s.state
        for s in hass.states.async_all()
        if not s.entity_id.startswith("conversation.")
    }


@pytest.mark.parametrize(
    ("question", "spoken", "targets"),
    [
        ("is it muggy in the bedroom", "Bedroom Humidity is 45 %.", ["sensor.bedroom_humidity"]),
        # the 1.5B set the thermostat (repaired to a sentence HA then did not run)
        (
            "what temperature is the heating aiming for",
            "Thermostat is heat, set to 20.",
            ["climate.thermostat"],
        ),
        # the 1.5B answered "The Coffee Maker is still brewing."
        ("is the coffee maker still brewing", "Coffee Maker is off.", ["switch.coffee_maker"]),
        # and "No, the Bedroom Light is off."
        ("did I leave a light burning in the bedroom", "Bedroom Light is on.", ["light.bedroom"]),
    ],
)
async def test_a_question_that_names_things_is_answered_from_their_states_without_the_model(
    *,
    demo_home: HomeAssistant,
    agent_entry: MockConfigEntry,
    fake_ollama: FakeOllama,
    question: str,
    spoken: str,
    targets: list[str],
) -> None:
    events = async_capture_events(demo_home, EVENT_COMMAND)
    before = _house(demo_home)
    result = await say(demo_home, agent_entry, question)
    assert speech(result) == spoken
    assert fake_ollama.chat_requests == []
    (event,) = events
    assert event.data["path"] == "question_guard"
    assert event.data["outcome"] == "answered"
    assert event.data["targets"] == targets
    assert _house(demo_home) == before
    stats = next(iter(agent_entry.runtime_data.agents.values())).stats
    assert (stats.answered_from_states, stats.model) == (1, 0)


@pytest.mark.parametrize("agent_options", [{"control": False}])
async def test_without_control_of_the_home_the_model_answers_questions(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    """Reading the states is part of the home's Assist API: without it, the model answers."""
    fake_ollama.add_turns(ScriptedTurn(text="I can't see your home."))
    result = await say(demo_home, agent_entry, "is the coffee maker still brewing")
    assert speech(result) == "I can't see your home."
    assert len(fake_ollama.chat_requests) == 1


async def test_a_request_to_open_a_lock_is_an_unlock_that_waits_for_yes(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    """The 1.5B called HassTurnOn (lock) for "open up the front door so I can get in"."""
    fake_ollama.add_turns(ScriptedTurn(tool_calls=[tool_call("HassTurnOn", name="Front Door")]))
    first = await say(demo_home, agent_entry, "open up the front door so I can get in")
    assert demo_home.states.get("lock.front_door").state == "locked"
    assert speech(first) == "Are you sure you want me to unlock Front Door?"
    second = await say(demo_home, agent_entry, "yes", first.conversation_id)
    assert demo_home.states.get("lock.front_door").state == "unlocked"
    assert speech(second) == "Front Door is now unlocked."


async def test_a_made_up_name_from_the_request_is_the_device_it_is_a_word_for(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    """The 1.5B called HassTurnOn(Courier, area Kitchen) for "let the courier in"."""
    fake_ollama.add_turns(
        ScriptedTurn(tool_calls=[tool_call("HassTurnOn", name="Courier", area="Kitchen")]),
        ScriptedTurn(text="never asked for"),
    )
    first = await say(demo_home, agent_entry, "a parcel is here, let the courier in")
    assert speech(first) == "Are you sure you want me to unlock Front Door?"
    assert demo_home.states.get("lock.front_door").state == "locked"
    second = await say(demo_home, agent_entry, "yes", first.conversation_id)
    assert speech(second) == "Front Door is now unlocked."


async def test_a_made_up_name_the_request_does_not_say_stays_unmatched(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    fake_ollama.add_turns(
        ScriptedTurn(tool_calls=[tool_call("HassTurnOn", name="Courier")]),
        ScriptedTurn(text="I can't find a courier."),
    )
    result = await say(demo_home, agent_entry, "someone is at the door, open up")
    assert speech(result) == "I can't find a courier."
    assert demo_home.states.get("lock.front_door").state == "locked"


async def test_a_request_to_lock_keeps_the_lock(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    fake_ollama.add_turns(ScriptedTurn(tool_calls=[tool_call("HassTurnOn", name="Front Door")]))
    result = await say(demo_home, agent_entry, "lock up, nobody should open the front door tonight")
    assert demo_home.states.get("lock.front_door").state == "locked"
    assert not result.continue_conversation
    assert speech(result) == "Front Door is still locked."


async def test_a_call_nothing_in_the_request_points_at_is_asked_about_first(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    """The 1.5B switched on the Kitchen Light for "order a pizza"."""
    fake_ollama.add_turns(ScriptedTurn(tool_calls=[tool_call("HassTurnOn", name="Kitchen Light")]))
    first = await say(demo_home, agent_entry, "order a pizza")
    assert demo_home.states.get("light.kitchen").state == "off"
    assert speech(first) == "Are you sure you want me to turn on Kitchen Light?"
    assert first.continue_conversation
    second = await say(demo_home, agent_entry, "yes", first.conversation_id)
    assert demo_home.states.get("light.kitchen").state == "on"
    assert speech(second) == "Kitchen Light is now on."
    assert len(fake_ollama.chat_requests) == 1


async def test_a_call_that_misses_what_the_request_points_at_is_told_so_once(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    """The 1.5B set the thermostat to 25 for "the office feels like an oven"."""
    fake_ollama.add_turns(
        ScriptedTurn(
            tool_calls=[tool_call("HassClimateSetTemperature", name="Thermostat", temperature=25)]
        ),
        ScriptedTurn(tool_calls=[tool_call("HassTurnOn", name="Office Fan")]),
    )
    result = await say(demo_home, agent_entry, "the office feels like an oven")
    assert speech(result) == "Office Fan is now on."
    assert demo_home.states.get("climate.thermostat").attributes["temperature"] == 20
    told = fake_ollama.chat_requests[1]["messages"][-1]
    assert told["role"] == "tool"
    assert "Thermostat has nothing to do with what the user asked for" in told["content"]
    assert "instead, which is about Office Fan" in told["content"]
    assert "Tools that can change Office Fan: HassTurnOn, HassTurnOff" in told["content"]


async def test_a_call_that_matches_nothing_is_told_what_the_request_points_at(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    """The 1.5B set a thermostat in the Kitchen (there is none) for a cup of coffee."""
    fake_ollama.add_turns(
        ScriptedTurn(
            tool_calls=[tool_call("HassClimateSetTemperature", area="Kitchen", temperature=20)]
        ),
        ScriptedTurn(tool_calls=[tool_call("HassTurnOn", name="Coffee Maker")]),
    )
    result = await say(demo_home, agent_entry, "I fancy a coffee, get the machine going")
    assert speech(result) == "Coffee Maker is now on."
    told = fake_ollama.chat_requests[1]["messages"][-1]["content"]
    assert "matches nothing in the home" in told
    assert "instead, which is about Coffee Maker" in told


@pytest.mark.parametrize(
    ("text", "call"),
    [
        # an area and no word for a kind of thing there: not all of the area
        ("vacuum the living room", tool_call("HassTurnOn", name="Living Room Vacuum")),
        # no area the home has: not the speaker's (the Kitchen Light)
        ("the basement is pitch black", tool_call("HassTurnOn", area="Basement", domain=["light"])),
    ],
)  # fmt: skip
async def test_a_miss_is_not_sent_back_without_a_device_the_words_name(
    demo_home: HomeAssistant,
    agent_entry: MockConfigEntry,
    fake_ollama: FakeOllama,
    text: str,
    call: dict[str, Any],
) -> None:
    """Said from the kitchen: the Kitchen Light is the speaker's, and "pitch black" a light's."""
    device_id = device_in(demo_home, agent_entry, "Kitchen")
    fake_ollama.add_turns(ScriptedTurn(tool_calls=[call]), ScriptedTurn(text="I can't do that."))
    result = await say(demo_home, agent_entry, text, device_id=device_id)
    assert speech(result) == "I can't do that."
    told = fake_ollama.chat_requests[1]["messages"][-1]["content"]
    assert "instead, which is about" not in told


async def test_the_message_read_out_is_not_spoken(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    """The 1.5B answered the message with itself, which was spoken."""
    fake_ollama.add_turns(
        ScriptedTurn(
            tool_calls=[tool_call("HassClimateSetTemperature", name="Thermostat", temperature=25)]
        ),
        ScriptedTurn(text="Call a tool for what the user asked for instead, which is about "
                          "Office Fan."),
    )  # fmt: skip
    result = await say(demo_home, agent_entry, "the office feels like an oven")
    assert "which is about" not in speech(result)
    assert demo_home.states.get("climate.thermostat").attributes["temperature"] == 20


async def test_a_call_of_the_device_meant_with_a_tool_that_cannot_change_it_is_told_so(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    """The 1.5B set the "temperature" of the Coffee Maker for "get a pot of coffee brewing"."""
    fake_ollama.add_turns(
        ScriptedTurn(tool_calls=[tool_call("HassClimateSetTemperature", name="Coffee Maker",
                                           area="Kitchen", temperature=20)]),
        ScriptedTurn(tool_calls=[tool_call("HassTurnOn", name="Coffee Maker")]),
    )  # fmt: skip
    result = await say(demo_home, agent_entry, "get a pot of coffee brewing")
    assert speech(result) == "Coffee Maker is now on."
    told = fake_ollama.chat_requests[1]["messages"][-1]["content"]
    assert "This tool cannot change Coffee Maker" in told
    assert "Tools that can change Coffee Maker: HassTurnOn, HassTurnOff." in told, told


async def test_a_second_miss_is_asked_about_as_before(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    thermostat = tool_call("HassClimateSetTemperature", name="Thermostat", temperature=25)
    fake_ollama.add_turns(
        ScriptedTurn(tool_calls=[thermostat]),
        ScriptedTurn(tool_calls=[tool_call("HassClimateSetTemperature", name="Thermostat",
                                           temperature=24)]),
    )  # fmt: skip
    result = await say(demo_home, agent_entry, "the office feels like an oven")
    assert speech(result) == "Are you sure you want me to change Thermostat?"
    assert demo_home.states.get("climate.thermostat").attributes["temperature"] == 20
    assert demo_home.states.get("fan.office_fan").state == "off"
    assert len(fake_ollama.chat_requests) == 2


async def test_a_call_for_a_request_that_asks_for_no_change_is_asked_about_first(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    """tiny.en heard "how damp is the bedroom" so; the 1.5B switched off the Bedroom Light."""
    fake_ollama.add_turns(ScriptedTurn(tool_calls=[tool_call("HassTurnOff", name="Bedroom Light")]))
    assert demo_home.states.get("light.bedroom").state == "on"
    first = await say(demo_home, agent_entry, "I'll dump this a bedroom.")
    assert demo_home.states.get("light.bedroom").state == "on"
    assert speech(first) == "Are you sure you want me to turn off Bedroom Light?"
    second = await say(demo_home, agent_entry, "no", first.conversation_id)
    assert demo_home.states.get("light.bedroom").state == "on"
    assert len(fake_ollama.chat_requests) == 1
    assert speech(second)


@pytest.mark.parametrize(
    "case",
    [
        ("warm it up a couple of degrees", 21.5, 22),  # the 1.5B: the room's 21.5 °C
        ("knock the heating down a degree", 21, 19),
        ("heat the place up to 23 degrees", 23, 23),  # a setting: the model's value
    ],
)
async def test_a_change_by_degrees_is_made_from_the_setting(
    demo_home: HomeAssistant,
    agent_entry: MockConfigEntry,
    fake_ollama: FakeOllama,
    case: tuple[str, float, float],
) -> None:
    """ "a couple of degrees warmer" is the thermostat's setting (20) plus two."""
    request_text, model_value, wanted = case
    assert demo_home.states.get("climate.thermostat").attributes["temperature"] == 20
    fake_ollama.add_turns(
        ScriptedTurn(
            tool_calls=[
                tool_call("HassClimateSetTemperature", name="Thermostat", temperature=model_value)
            ]
        )
    )
    await say(demo_home, agent_entry, request_text)
    assert demo_home.states.get("climate.thermostat").attributes["temperature"] == wanted


async def test_a_change_by_degrees_repeated_in_the_turn_is_made_once(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    """The second call is the first one again, not two more degrees from the new setting."""
    call = tool_call("HassClimateSetTemperature", name="Thermostat", temperature=21.5)
    fake_ollama.add_turns(ScriptedTurn(tool_calls=[call, call]))
    await say(demo_home, agent_entry, "warm it up a couple of degrees")
    assert demo_home.states.get("climate.thermostat").attributes["temperature"] == 22


async def test_a_request_in_another_language_is_not_judged_by_english_words(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    fake_ollama.add_turns(ScriptedTurn(tool_calls=[tool_call("HassTurnOn", name="Kitchen Light")]))
    result = await say(demo_home, agent_entry, "mach es hier heller", language="de")
    assert demo_home.states.get("light.kitchen").state == "on"
    assert not result.continue_conversation


async def test_a_call_on_nothing_known_is_not_asked_about(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    """No entity to name in a question: HA's own error goes back to the model."""
    fake_ollama.add_turns(
        ScriptedTurn(tool_calls=[tool_call("HassTurnOn", name="Taxi")]),
        ScriptedTurn(text="I can't call a cab."),
    )
    result = await say(demo_home, agent_entry, "call a cab to take me to the station")
    assert speech(result) == "I can't call a cab."
    assert not result.continue_conversation


async def test_a_call_the_request_points_at_runs_at_once(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    fake_ollama.add_turns(ScriptedTurn(tool_calls=[tool_call("HassTurnOn", name="Kitchen Light")]))
    result = await say(demo_home, agent_entry, "I can't see what I'm cooking")
    assert demo_home.states.get("light.kitchen").state == "on"
    assert speech(result) == "Kitchen Light is now on."


async def test_local_unlock_needs_yes_in_next_turn(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    first = await say(demo_home, agent_entry, "unlock the front door")
    assert demo_home.states.get("lock.front_door").state == "locked"
    assert speech(first) == "Are you sure you want me to unlock Front Door?"
    assert first.continue_conversation
    second = await say(demo_home, agent_entry, "yes", first.conversation_id)
    assert demo_home.states.get("lock.front_door").state == "unlocked"
    assert speech(second) == "Front Door is now unlocked."
    assert fake_ollama.chat_requests == []


async def test_no_cancels_and_yes_in_another_conversation_does_nothing(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry
) -> None:
    first = await say(demo_home, agent_entry, "unlock the front door")
    other = await say(demo_home, agent_entry, "yes", "some-other-conversation")
    assert demo_home.states.get("lock.front_door").state == "locked"
    assert "unlocked" not in speech(other)
    second = await say(demo_home, agent_entry, "no", first.conversation_id)
    assert speech(second) == "OK, I won't do that."
    third = await say(demo_home, agent_entry, "yes", first.conversation_id)
    assert demo_home.states.get("lock.front_door").state == "locked"
    assert "unlocked" not in speech(third)


async def test_garage_door_asks_first(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry
) -> None:
    first = await say(demo_home, agent_entry, "open the garage door")
    assert demo_home.states.get("cover.garage_door").state == "closed"
    assert speech(first) == "Are you sure you want me to open Garage Door?"
    second = await say(demo_home, agent_entry, "yes please", first.conversation_id)
    assert demo_home.states.get("cover.garage_door").state in {"open", "opening"}
    assert speech(second).startswith("Garage Door is now")


async def test_model_unlock_needs_confirmation_too(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    fake_ollama.add_turns(
        ScriptedTurn(tool_calls=[tool_call("HassTurnOff", name="Front Door", domain=["lock"])]),
    )
    first = await say(demo_home, agent_entry, "let the plumber in through the front")
    assert demo_home.states.get("lock.front_door").state == "locked"
    assert speech(first) == "Are you sure you want me to unlock Front Door?"
    second = await say(demo_home, agent_entry, "yes", first.conversation_id)
    assert demo_home.states.get("lock.front_door").state == "unlocked"
    assert speech(second) == "Front Door is now unlocked."
    assert len(fake_ollama.chat_requests) == 1  # the "yes" never reached the model


async def test_unexposed_basement_light_never_changes(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    """The model's calls on it are refused, by name or by entity id."""
    fake_ollama.add_turns(
        ScriptedTurn(tool_calls=[tool_call("HassTurnOn", name="Basement Light")]),
        ScriptedTurn(text="Done, the basement light is on."),
        ScriptedTurn(tool_calls=[tool_call("HassTurnOn", entity_id="light.basement")]),
        ScriptedTurn(text="Done."),
    )
    result = await say(demo_home, agent_entry, "I need to see the stairs down below")
    assert demo_home.states.get("light.basement").state == "off"
    assert "not exposed" in speech(result)
    result = await say(demo_home, agent_entry, "switch light.basement on")
    assert demo_home.states.get("light.basement").state == "off"
    assert "not exposed" in speech(result)


async def test_a_sentence_naming_only_an_unexposed_entity_is_refused_without_the_model(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    events = async_capture_events(demo_home, EVENT_COMMAND)
    result = await say(demo_home, agent_entry, "Turn on the basement light.")
    assert speech(result) == (
        "The basement light is not exposed to the voice assistant, so I can't control it."
    )
    assert fake_ollama.chat_requests == []
    assert demo_home.states.get("light.basement").state == "off"
    assert events[-1].data["path"] == "local_intent"
    assert events[-1].data["outcome"] == "refused"
    # Naming an exposed entity too: the model decides (and the guard still refuses).
    fake_ollama.add_turns(ScriptedTurn(text="I can only switch on the kitchen light."))
    await say(demo_home, agent_entry, "turn on the basement light and the kitchen light")
    assert len(fake_ollama.chat_requests) == 1


async def test_unknown_tool_is_refused_with_explanation(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    fake_ollama.add_turns(
        ScriptedTurn(tool_calls=[tool_call("HassSelfDestruct", name="House")]),
        ScriptedTurn(text="Done."),
    )
    result = await say(demo_home, agent_entry, "launch the rockets")
    assert "HassSelfDestruct" in speech(result)
    assert "Done" not in speech(result)


async def test_local_question_that_parses_as_action_is_answered_not_run(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    # HA's intents read "the kitchen light on?" as HassTurnOn; it is a question.
    events = async_capture_events(demo_home, EVENT_COMMAND)
    result = await say(demo_home, agent_entry, "the kitchen light on?")
    assert demo_home.states.get("light.kitchen").state == "off"
    assert speech(result) == "Kitchen Light is off."
    assert fake_ollama.chat_requests == []
    await demo_home.async_block_till_done()
    assert events[-1].data["path"] == "question_guard"
    # A polite command with a question mark still acts.
    await say(demo_home, agent_entry, "can you turn on the kitchen light?")
    assert demo_home.states.get("light.kitchen").state == "on"


async def test_safe_call_runs_and_risky_call_waits_in_the_same_round(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    fake_ollama.add_turns(
        ScriptedTurn(
            tool_calls=[
                tool_call("HassTurnOn", name="Kitchen Light"),
                tool_call("HassTurnOn", name="Garage Door"),
            ]
        ),
    )
    first = await say(demo_home, agent_entry, "I'm home with the car, light up the kitchen")
    assert demo_home.states.get("light.kitchen").state == "on"
    assert demo_home.states.get("cover.garage_door").state == "closed"
    assert speech(first) == "Kitchen Light is now on. Are you sure you want me to open Garage Door?"
    second = await say(demo_home, agent_entry, "yes", first.conversation_id)
    assert demo_home.states.get("cover.garage_door").state in {"open", "opening"}
    assert speech(second).startswith("Garage Door is now")


async def test_model_reply_streams_into_the_chat_log(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    from homeassistant.components import conversation
    from homeassistant.helpers import chat_session

    deltas: list[dict] = []
    fake_ollama.add_turns(
        ScriptedTurn(text="Tea is best brewed at eighty degrees. Green tea likes it cooler.")
    )
    with (
        chat_session.async_get_chat_session(demo_home) as session,
        conversation.async_get_chat_log(
            demo_home, session, chat_log_delta_listener=lambda _log, delta: deltas.append(delta)
        ),
    ):
        result = await say(
            demo_home, agent_entry, "how hot should tea water be", session.conversation_id
        )
    pieces = [d["content"] for d in deltas if d.get("content")]
    # A sentence at a time, as soon as it is complete (TTS speaks whole sentences).
    assert pieces == ["Tea is best brewed at eighty degrees. ", "Green tea likes it cooler."]
    assert "".join(pieces) == speech(result)


async def test_a_described_call_with_its_arguments_runs_and_is_never_spoken(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    """The 1.5B's commonest slip: it explains the call instead of making it."""
    fake_ollama.add_turns(
        ScriptedTurn(
            text="To turn on the kitchen light, you can use the `HassTurnOn` function with the "
            'arguments `{"name": "Kitchen Light", "area": "Kitchen", "floor": "Living Room"}`.'
        )
    )
    from homeassistant.components import conversation
    from homeassistant.helpers import chat_session

    deltas: list[dict] = []
    with (
        chat_session.async_get_chat_session(demo_home) as session,
        conversation.async_get_chat_log(
            demo_home, session, chat_log_delta_listener=lambda _log, delta: deltas.append(delta)
        ),
    ):
        result = await say(
            demo_home, agent_entry, "the kitchen is too dark to cook in", session.conversation_id
        )
    assert demo_home.states.get("light.kitchen").state == "on"
    assert len(fake_ollama.chat_requests) == 1
    assert speech(result) == "Kitchen Light is now on."
    assert not any("HassTurnOn" in (d.get("content") or "") for d in deltas)


async def test_a_described_call_without_arguments_asks_the_model_once_more(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    fake_ollama.add_turns(
        ScriptedTurn(
            text="To turn off the bedroom light, you can use the `HassTurnOff` function with "
            'the name "Bedroom Light".'
        ),
        ScriptedTurn(tool_calls=[tool_call("HassTurnOff", name="Bedroom Light")]),
    )
    result = await say(demo_home, agent_entry, "I can't sleep with the bedroom so bright")
    assert demo_home.states.get("light.bedroom").state == "off"
    assert speech(result) == "Bedroom Light is now off."
    retry = fake_ollama.chat_requests[1]["messages"]
    assert retry[-2]["role"] == "assistant"
    assert "`HassTurnOff`" in retry[-2]["content"]
    assert retry[-1]["role"] == "user"
    assert "only with the tool call" in retry[-1]["content"]


async def test_a_call_described_twice_changes_nothing_and_says_so(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    described = "To answer that, you can use the `GetLiveContext` tool."
    fake_ollama.add_turns(ScriptedTurn(text=described), ScriptedTurn(text=described))
    before = {s.entity_id: s.state for s in demo_home.states.async_all()}
    result = await say(demo_home, agent_entry, "did I leave anything on")
    assert len(fake_ollama.chat_requests) == 2
    assert speech(result) == "Sorry, I could not work out how to do that."
    after = {s.entity_id: s.state for s in demo_home.states.async_all()}
    assert {k: v for k, v in after.items() if not k.startswith("conversation.")} == {
        k: v for k, v in before.items() if not k.startswith("conversation.")
    }


async def test_an_answer_that_starts_like_a_description_is_spoken(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    fake_ollama.add_turns(ScriptedTurn(text="To be honest, I have no idea. Ask me later."))
    result = await say(demo_home, agent_entry, "what is the meaning of life")
    assert speech(result) == "To be honest, I have no idea. Ask me later."
    assert len(fake_ollama.chat_requests) == 1


async def test_a_request_to_check_is_a_question_and_changes_nothing(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    """The 1.5B reached for the thermostat for "Can you check if the garage is shut?"."""
    fake_ollama.add_turns(
        ScriptedTurn(
            tool_calls=[tool_call("HassClimateSetTemperature", name="Thermostat", temperature=21)]
        )
    )
    before = demo_home.states.get("climate.thermostat").attributes["temperature"]
    result = await say(demo_home, agent_entry, "Can you check if the garage is shut?")
    assert demo_home.states.get("climate.thermostat").attributes["temperature"] == before
    assert "Garage Door" in speech(result)
    assert "sure" not in speech(result)
