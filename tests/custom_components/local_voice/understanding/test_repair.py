"""Repair of misheard commands through the real agent, HA core and the demo home.

Each sentence is one the bundled tiny.en really produces on noisy or
accented speech (see FACTS.md). The model behind the agent is the fake
Ollama; ``chat_requests`` shows whether it was asked.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pytest
from agent_helpers import home_of, say, speech, user_input
from homeassistant.components.conversation.agent_manager import async_get_agent
from homeassistant.components.conversation.default_agent import DefaultAgent

from custom_components.local_voice.const import DEFAULT_CONFIRM
from custom_components.local_voice.understanding.names import best_name, similarity, sound_key
from custom_components.local_voice.understanding.repair import (
    async_repair,
    flips_action,
    guessed_words,
    narrows_a_catch_all,
    reads_as_statement,
    supplies_the_action,
)
from custom_components.local_voice.understanding.sentences import SentenceIndex
from custom_components.local_voice.understanding.spans import name_repair
from custom_components.local_voice.understanding.text import hear, normalize
from custom_components.local_voice.understanding.vocabulary import HomeVocabulary, Snapshot, Term
from local_voice_harness.fake_ollama import ScriptedTurn, tool_call

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from local_voice_harness.fake_ollama import FakeOllama

pytestmark = pytest.mark.timeout(60)


def state(hass: HomeAssistant, entity_id: str) -> str:
    """The state of an entity, which must exist."""
    current = hass.states.get(entity_id)
    assert current is not None
    return current.state


@pytest.mark.parametrize(
    ("text", "entity_id", "wanted"),
    [
        ("turn on the mess lamp", "light.desk_lamp", "on"),
        ("turn off the madroom light", "light.bedroom", "off"),
        ("talk on the kitchen light", "light.kitchen", "on"),
        ("can't you turn off the madroom light?", "light.bedroom", "off"),  # a request
        ("could you turn off the madroom light?", "light.bedroom", "off"),
    ],
)
async def test_misheard_command_is_repaired_without_the_model(
    demo_home: HomeAssistant,
    agent_entry: MockConfigEntry,
    fake_ollama: FakeOllama,
    *,
    text: str,
    entity_id: str,
    wanted: str,
) -> None:
    assert state(demo_home, entity_id) != wanted
    await say(demo_home, agent_entry, text)
    assert state(demo_home, entity_id) == wanted
    assert fake_ollama.chat_requests == []


async def test_misheard_thermostat_is_set(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    result = await say(demo_home, agent_entry, "set the domestat to 22")
    if result.continue_conversation:  # a lower-confidence repair asks first
        assert "thermostat" in speech(result).lower()
        await say(demo_home, agent_entry, "yes", result.conversation_id)
    climate = demo_home.states.get("climate.thermostat")
    assert climate is not None
    assert climate.attributes["temperature"] == 22
    assert fake_ollama.chat_requests == []


async def test_question_never_becomes_an_action(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry
) -> None:
    result = await say(demo_home, agent_entry, "isn't the front door locked")
    assert state(demo_home, "lock.front_door") == "locked"
    answer = speech(result).lower()
    assert "yes" in answer or "locked" in answer  # answered as "is the front door locked"
    assert not result.continue_conversation


async def test_repaired_risky_command_always_asks(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry
) -> None:
    result = await say(demo_home, agent_entry, "open the garish door")
    assert state(demo_home, "cover.garage_door") == "closed"
    assert result.continue_conversation
    assert "garage door" in speech(result).lower()
    await say(demo_home, agent_entry, "yes", result.conversation_id)
    await demo_home.async_block_till_done()
    assert state(demo_home, "cover.garage_door") in {"open", "opening"}


async def test_did_you_mean_and_no_does_nothing(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry
) -> None:
    result = await say(demo_home, agent_entry, "open the garish door")
    assert result.continue_conversation
    await say(demo_home, agent_entry, "no", result.conversation_id)
    assert state(demo_home, "cover.garage_door") == "closed"


async def test_unexposed_entity_is_never_touched(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry
) -> None:
    before = {s.entity_id: s.state for s in demo_home.states.async_all()}
    result = await say(demo_home, agent_entry, "turn on the basement light")
    await demo_home.async_block_till_done()
    after = {s.entity_id: s.state for s in demo_home.states.async_all()}
    assert state(demo_home, "light.basement") == "off"
    assert not result.continue_conversation
    changed = {e for e in before if e.startswith(("light.", "switch.")) and before[e] != after[e]}
    assert changed == set()


async def test_repair_is_fast_and_scored(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry
) -> None:
    home = home_of(demo_home)
    await say(demo_home, agent_entry, "talk off the kitchen light")  # warm caches
    timings = []
    for text in ("turn on the mess lamp", "talk on the kitchen light"):
        start = time.perf_counter()
        found = await async_repair(demo_home, home, user_input(text), hear(text), DEFAULT_CONFIRM)
        timings.append((time.perf_counter() - start) * 1000)
        assert found is not None
        assert 0.7 <= found.candidate.confidence <= 1
    # Sentence-stage repairs: 20 ms is the target on an idle core (see the
    # benchmark); the shared test cores get a wide margin.
    assert min(timings) < 50


async def test_name_stage_repairs_the_unknown_area(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry
) -> None:
    lexicon = home_of(demo_home).lexicon()
    fixed = name_repair(hear("turn off the madroom light"), lexicon.sentences.words, lexicon.names)
    assert fixed is not None
    assert fixed[0] == "turn off the bedroom light"
    await say(demo_home, agent_entry, "turn off the madroom light")
    assert state(demo_home, "light.bedroom") == "off"


async def test_a_sentence_of_no_known_kind_is_not_repaired(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    text = "order a pizza with extra cheese"
    home = home_of(demo_home)
    assert (
        await async_repair(demo_home, home, user_input(text), hear(text), DEFAULT_CONFIRM) is None
    )


def home_of_vocabulary(hass: HomeAssistant) -> Snapshot:
    """The demo home's vocabulary now."""
    vocabulary = HomeVocabulary(hass)
    return vocabulary.snapshot


async def test_index_follows_the_vocabulary(demo_home: HomeAssistant) -> None:
    index = SentenceIndex(home_of_vocabulary(demo_home))
    assert "turn on the desk lamp" in index.sentences
    start = time.perf_counter()
    found = index.closest(hear("talk on the desk lamp"))
    assert (time.perf_counter() - start) < 0.05
    assert found[0].text == "turn on the desk lamp"
    assert not found[0].question
    # No on/off heard: which way is a guess, so no repair (the model decides).
    assert index.closest(hear("keep switching the kitchen light")) == []
    assert index.closest(hear("turn of the desk lamp"))[0].text == "turn off the desk lamp"


def test_sound_key_and_similarity() -> None:
    assert sound_key("Domestat") == sound_key("tomestad")
    assert similarity("domestat", "thermostat") > similarity("domestat", "desk lamp")
    terms = [Term("Desk Lamp", "name"), Term("Kitchen Light", "name")]
    match = best_name("mess lamp", terms, set())
    assert match is not None
    assert match.term.text == "Desk Lamp"
    assert 0 < match.confidence <= 1
    # An unexposed name that fits as well blocks the repair.
    assert best_name("basement light", [Term("Bedroom Light", "name")], {"basement light"}) is None


def test_normalize_keeps_numbers_apart() -> None:
    assert normalize("Set the lamp to 50%.") == ("set the lamp to # percent", ["50"])


async def test_every_index_sentence_is_one_ha_understands(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry
) -> None:
    assert agent_entry.state.value == "loaded"
    agent = async_get_agent(demo_home)
    assert isinstance(agent, DefaultAgent)
    index = SentenceIndex(home_of_vocabulary(demo_home))
    unknown = []
    for sentence in index.sentences:
        text = sentence.replace("#", "21")
        if await agent.async_recognize_intent(user_input(text), strict_intents_only=True) is None:
            unknown.append(text)
    assert unknown == []


async def test_statement_is_not_reordered_into_a_command(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry
) -> None:
    # base heard "is the kitchen light on" as this; word order must not make it "turn ... on".
    result = await say(demo_home, agent_entry, "There's the kitchen light on.")
    assert state(demo_home, "light.kitchen") == "off"
    if result.continue_conversation:
        await say(demo_home, agent_entry, "no", result.conversation_id)
    assert state(demo_home, "light.kitchen") == "off"


async def test_quantity_asked_must_be_heard(demo_home: HomeAssistant) -> None:
    index = SentenceIndex(home_of_vocabulary(demo_home))
    found = index.closest(hear("what is the humidity in the man room"))
    assert found
    assert all("temperature" not in c.text for c in found)
    assert all("humidity" in c.text for c in found)


async def test_a_statement_is_not_repaired_into_an_action(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry
) -> None:
    """A misheard question ("is the kitchen light on") heard as a statement is not acted on."""
    assert reads_as_statement(hear("It's a Kitchen Light on."))
    assert not reads_as_statement(hear("talk on the kitchen light"))  # a blurred verb: repaired
    assert not reads_as_statement(hear("switch the light that is in the office on"))
    result = await say(demo_home, agent_entry, "It's a Kitchen Light on.")
    assert state(demo_home, "light.kitchen") == "off"
    if result.continue_conversation:  # asked "Did you mean ...?": "no" leaves it off
        await say(demo_home, agent_entry, "no", result.conversation_id)
    assert state(demo_home, "light.kitchen") == "off"


@pytest.mark.parametrize(
    ("heard", "repaired", "guessed"),
    [
        ("turn on the pad in the office", "turn on the lights in the office", {"light"}),
        ("talk on the kitchen light", "turn on the kitchen lights", set()),
        ("talk after living room lamp", "turn off the living room lamp", set()),
        ("turn on the mess lamp", "turn on the desk lamp", set()),  # mess sounds like desk
        (
            "turn off the light in the main room",
            "turn off the light in the living room",
            {"living"},
        ),
    ],
)
def test_guessed_words_are_the_words_never_heard(
    heard: str, repaired: str, guessed: set[str]
) -> None:
    assert guessed_words(hear(heard), repaired) == guessed


@pytest.mark.parametrize(
    ("heard", "repaired", "flipped"),
    [
        ("unlock the front door", "lock the front door", True),
        ("lock the front door", "unlock the front door", True),
        ("close the garage door", "open the garage door", True),
        ("turn on the kitchen light", "turn off the kitchen light", True),
        ("turn of the kitchen light", "turn off the kitchen light", False),  # a blur
        ("turn on the mess lamp", "turn on the desk lamp", False),
        ("switch on the light", "turn on the light", False),
    ],
)
def test_a_repair_to_the_opposite_action_is_a_flip(
    heard: str, repaired: str, *, flipped: bool
) -> None:
    assert flips_action(hear(heard), repaired) is flipped


async def test_a_command_hass_cache_missed_is_not_reversed(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry
) -> None:
    """HA's cached miss (``understanding/recognizer.py``) sends "unlock ..." to the repair.

    Its nearest sentence is "lock the front door": it must be asked, not run.
    """
    from homeassistant.components.conversation.default_agent import (
        IntentCacheKey,
        IntentCacheValue,
        IntentMatchingStage,
    )

    agent = async_get_agent(demo_home)
    assert isinstance(agent, DefaultAgent)
    await say(demo_home, agent_entry, "what time is it")  # HA's lists are built
    text = "unlock the front door"
    miss = IntentCacheValue(None, IntentMatchingStage.EXPOSED_ENTITIES_ONLY)
    agent._intent_cache.put(IntentCacheKey(text, "en", None), miss)
    result = await say(demo_home, agent_entry, text)
    assert result.continue_conversation, speech(result)
    assert state(demo_home, "lock.front_door") == "locked"
    await say(demo_home, agent_entry, "no", result.conversation_id)
    assert state(demo_home, "lock.front_door") == "locked"


async def test_a_repair_that_guesses_the_device_asks_first(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry
) -> None:
    """tiny.en heard "turn on the fan in the office" as this (held-out set, noise)."""
    result = await say(demo_home, agent_entry, "Turn on the pad in the office.")
    assert state(demo_home, "light.desk_lamp") == "off"
    assert state(demo_home, "fan.office_fan") == "off"
    if result.continue_conversation:
        assert speech(result).startswith("Did you mean")
        await say(demo_home, agent_entry, "no", result.conversation_id)
    assert state(demo_home, "light.desk_lamp") == "off"
    assert state(demo_home, "fan.office_fan") == "off"


async def test_and_lock_is_heard_as_unlock_and_asks(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry
) -> None:
    """tiny.en heard "unlock the front door" as this; acting on "lock" would be a wrong action."""
    assert state(demo_home, "lock.front_door") == "locked"
    result = await say(demo_home, agent_entry, "And lock the front door.")
    assert result.continue_conversation
    assert "unlock" in speech(result).lower()
    assert state(demo_home, "lock.front_door") == "locked"
    await say(demo_home, agent_entry, "no", result.conversation_id)
    assert state(demo_home, "lock.front_door") == "locked"


@pytest.mark.parametrize(
    ("heard", "repaired", "supplied"),
    [
        ("halve the brightness of the living room lamp", "turn off the living room lamp", True),
        ("kill the lamp in the living room", "turn off the living room lamp", True),
        ("talk on the kitchen light", "turn on the kitchen lights", False),  # "on" was heard
        ("turn on the mess lamp", "turn on the desk lamp", False),
        ("the kitchen light", "turn on the kitchen light", True),
    ],
)
def test_supplies_the_action(heard: str, repaired: str, *, supplied: bool) -> None:
    assert supplies_the_action(hear(heard), repaired) is supplied


@pytest.mark.parametrize(
    ("heard", "repaired", "narrowed"),
    [
        ("turn on everything in the office", "turn on the lights in the office", True),
        ("switch off all the stuff in the kitchen", "turn off the kitchen lights", True),
        ("turn on the pad in the office", "turn on the lights in the office", False),
        ("turn off everything", "turn off everything", False),
    ],
)
def test_narrows_a_catch_all(heard: str, repaired: str, *, narrowed: bool) -> None:
    assert narrows_a_catch_all(hear(heard), repaired) is narrowed


async def test_a_repair_that_guesses_the_action_goes_to_the_model(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    """Without the model it was "Did you mean: turn off the living room lamp?"."""
    fake_ollama.add_turns(
        ScriptedTurn(tool_calls=[tool_call("HassLightSet", name="Living Room Lamp", brightness=50)])
    )
    result = await say(demo_home, agent_entry, "halve the brightness of the living room lamp")
    assert "Did you mean" not in speech(result)
    assert len(fake_ollama.chat_requests) == 1
    lamp = demo_home.states.get("light.living_room_lamp")
    assert lamp is not None
    assert lamp.state == "on"
    assert lamp.attributes["brightness"] in range(120, 135)


async def test_everything_in_a_room_is_not_a_did_you_mean(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, fake_ollama: FakeOllama
) -> None:
    """Without the model it was "Did you mean: turn on the lights in the office?".

    It now needs no model either (``agent.sweep``).
    """
    result = await say(demo_home, agent_entry, "turn on everything in the office")
    assert "Did you mean" not in speech(result)
    assert fake_ollama.chat_requests == []
    assert state(demo_home, "light.desk_lamp") == "on"
    assert state(demo_home, "fan.office_fan") == "on"
