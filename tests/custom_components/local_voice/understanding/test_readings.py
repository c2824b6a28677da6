"""Readings of misheard sentences: filler before a question, misheard first verb."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from agent_helpers import say, speech

from custom_components.local_voice.understanding.readings import VERB_CONFUSIONS, reading
from custom_components.local_voice.understanding.text import hear

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from local_voice_harness.fake_ollama import FakeOllama


@pytest.mark.parametrize(
    ("heard", "core"),
    [
        ("this is the kitchen light on", "is the kitchen light on"),
        ("It's the back door open?", "is the back door open"),
        ("there's the office fan off", "is the office fan off"),
        ("so this is my front door locked", "is my front door locked"),
        ("It's a Kitchen Light on.", "is the kitchen light on"),
        ("is a back door open", "is the back door open"),
    ],
)
def test_filler_before_a_question_is_read_as_the_question(heard: str, core: str) -> None:
    read = reading(hear(heard))
    assert (read.text, read.question, read.fix) == (core, True, "question-filler")
    assert not read.asks_first


@pytest.mark.parametrize(
    "heard",
    [
        "is the kitchen light on",  # already the question
        "what's the temperature in the living room",  # "what's" is not "is"
        "turn the kitchen light on",  # no "is" at all
        "the kitchen light is the one on",  # three words before "is": not a filler
        "this is the kitchen light",  # no state word at the end
    ],
)
def test_no_filler_reading_where_none_applies(heard: str) -> None:
    assert reading(hear(heard)).fix is None


@pytest.mark.parametrize(
    ("heard", "fixed", "asks_first"),
    [
        ("which the coffee maker on", "switch the coffee maker on", True),  # looked like a question
        ("twitch on the kitchen light", "switch on the kitchen light", False),
        ("it's which on the kitchen light", "switch on the kitchen light", False),
        ("switching the coffee maker on", "switch the coffee maker on", False),
        ("Sent the temperature to 22 degrees.", "set the temperature to 22 degrees", False),
        ("turned on the kitchen light", "turn on the kitchen light", False),
    ],
)
def test_misheard_verb_is_replaced(heard: str, fixed: str, *, asks_first: bool) -> None:
    read = reading(hear(heard))
    assert (read.text, read.question, read.fix) == (fixed, False, "verb")
    assert read.asks_first is asks_first


@pytest.mark.parametrize(
    "heard",
    [
        "which light is on",  # a real question: "which" + a noun
        "which lights are on in the kitchen",
        "turn on the kitchen light",  # nothing misheard
        "sent it",  # too short to be a command
    ],
)
def test_real_questions_and_clean_commands_keep_their_reading(heard: str) -> None:
    read = reading(hear(heard))
    assert read.fix is None
    assert read.text == heard


@pytest.mark.parametrize(
    ("heard", "fixed"),
    [
        ("And lock the front door.", "unlock the front door"),
        ("and locked the front door", "unlock the front door"),
        ("Join the coffee maker.", "turn on the coffee maker"),
    ],
)
def test_a_blurred_start_is_a_guess_that_asks_first(heard: str, fixed: str) -> None:
    read = reading(hear(heard))
    assert (read.text, read.question, read.fix) == (fixed, False, "blurred-start")
    assert read.asks_first


@pytest.mark.parametrize("heard", ["lock the front door", "and the kitchen light", "join us"])
def test_no_blurred_start_where_none_is(heard: str) -> None:
    assert reading(hear(heard)).fix != "blurred-start"


def test_every_confusion_maps_to_a_command_verb() -> None:
    assert set(VERB_CONFUSIONS.values()) <= {"switch", "set", "turn", "open", "close"}
    assert all(k != v for k, v in VERB_CONFUSIONS.items())


@pytest.mark.parametrize(
    ("heard", "text", "question"),
    [
        ("Okay Nabu, turn on the kitchen light.", "turn on the kitchen light", False),
        ("jarvis is the front door locked", "is the front door locked", True),
        ("hey jarvis twitch on the desk lamp", "switch on the desk lamp", False),
    ],
)
def test_wake_word_remnant_is_dropped(heard: str, text: str, *, question: bool) -> None:
    read = reading(hear(heard))
    assert (read.text, read.question) == (text, question)


def test_a_name_is_not_taken_for_a_wake_word() -> None:
    # Too short to be a command after dropping: kept as heard.
    assert reading(hear("okay computer")).text == "okay computer"


@pytest.mark.parametrize(
    "heard",
    [
        "Could your turn off the bedroom light?",
        "can ya switch on the desk lamp?",
        "Can't you turn off the madroom light?",  # the negative asks too
    ],
)
def test_polite_request_with_a_rising_tone_is_a_command(heard: str) -> None:
    assert reading(hear(heard)).question is False


def test_polite_question_stays_a_question() -> None:
    assert reading(hear("could you tell me if the kitchen light is on?")).question is True


def test_misheard_question_word_is_read_as_a_question() -> None:
    read = reading(hear("watch the temperature in the living room"))
    assert (read.text, read.question, read.fix) == (
        "what's the temperature in the living room",
        True,
        "question-word",
    )
    assert reading(hear("watch the kitchen")).fix is None  # too short to be a question


def test_split_compound_number_is_joined() -> None:
    read = reading(hear("Add the Thermostat to 20 free degrees."))
    assert read.text == "Add the Thermostat to 23 degrees."
    assert read.fix == "number"
    assert read.asks_first  # a guessed value: "Did you mean ...?" first
    assert reading(hear("set the lamp to 40 five percent")).text == "set the lamp to 45 percent"
    assert reading(hear("set the thermostat to 20 degrees")).fix is None
    assert reading(hear("turn on 20 free lamps")).fix is None  # not a temperature or a level


# ---- the readings through the real agent, with the guards ----


async def test_misheard_verb_that_looked_like_a_question_asks_first(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    result = await say(demo_home, agent_entry, "which the coffee maker on")
    assert state(demo_home, "switch.coffee_maker") == "off"  # never acts without a yes
    assert result.continue_conversation
    assert "coffee maker" in speech(result).lower()
    await say(demo_home, agent_entry, "yes", result.conversation_id)
    await demo_home.async_block_till_done()
    assert state(demo_home, "switch.coffee_maker") == "on"
    assert fake_ollama.chat_requests == []


async def test_filler_before_a_question_is_answered_not_acted(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry
) -> None:
    result = await say(demo_home, agent_entry, "this is the kitchen light on")
    assert state(demo_home, "light.kitchen") == "off"
    assert not result.continue_conversation
    answer = speech(result).lower()
    assert "no" in answer or "off" in answer


async def test_name_then_structure_is_repaired_read_only(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry
) -> None:
    # No "bathroom" here, and HA has no "humidity in <area>" phrasing: the name is
    # repaired first, then the sentence matched as a whole; a question only reads.
    result = await say(demo_home, agent_entry, "what is the humidity in the bathroom")
    assert "45" in speech(result)
    assert not result.continue_conversation


def state(hass: HomeAssistant, entity_id: str) -> str:
    """The state of an entity, which must exist."""
    current = hass.states.get(entity_id)
    assert current is not None
    return current.state
