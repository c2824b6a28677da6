"""A question about named things, answered from their states without the model."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from custom_components.local_voice.agent.report import describe_current
from custom_components.local_voice.agent.state_answer import answered_by, asks_for_action
from custom_components.local_voice.understanding.text import looks_like_question
from local_voice_harness.commands import load_texts
from local_voice_harness.expectations import check
from local_voice_harness.paths import llm_commands_file

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

TUNING_QUESTIONS = [c for c in load_texts(llm_commands_file("tuning")) if c.kind == "question"]


def _house(hass: HomeAssistant) -> dict[str, dict[str, Any]]:
    return {s.entity_id: {"state": s.state, "attributes": dict(s.attributes)}
            for s in hass.states.async_all()}  # fmt: skip


@pytest.mark.parametrize("command", TUNING_QUESTIONS, ids=lambda c: c.text)
async def test_every_question_of_the_model_set_is_answered_right_from_states(
    demo_home: HomeAssistant, command: Any
) -> None:
    """The tuning set's questions name what they are about; the states answer each."""
    assert looks_like_question(command.text)
    found = answered_by(demo_home, command.text, "en")
    assert found, command.text
    house = _house(demo_home)
    assert check(command.expect, house, house, describe_current(demo_home, found)) == []


@pytest.mark.parametrize(
    ("question", "spoken"),
    [
        ("did somebody leave the back door open", "Back Door is closed."),  # not the Front Door
        ("is the front door locked or not", "Front Door is locked."),
        ("what have I got the heating set to", "Thermostat is heat, set to 20."),  # not 20.0
        ("is the office fan still blowing", "Office Fan is off."),
        ("what's in the office", "Desk Lamp is off. Office Fan is off."),
        ("is it muggy in the bedroom", "Bedroom Humidity is 45 %."),
    ],
)
async def test_the_answer_reads_the_states(
    demo_home: HomeAssistant, question: str, spoken: str
) -> None:
    assert describe_current(demo_home, answered_by(demo_home, question, "en")) == spoken


@pytest.mark.parametrize(
    "question",
    [
        "how do I boil an egg",  # nothing in the home
        "what's the weather like",
        "is it dark outside",  # a word for lights, but no light named
        "how come this is a bedroom",  # an area alone, and not about all of it
        "is the basement light on",  # not exposed (HA's own sentences say so)
        "is it possible to turn on the office fan",  # asks for an action
        "I wonder if you could switch the desk lamp off",
    ],
)
async def test_other_questions_are_the_models(demo_home: HomeAssistant, question: str) -> None:
    assert looks_like_question(question)
    assert answered_by(demo_home, question, "en") == []


async def test_only_english_is_read(demo_home: HomeAssistant) -> None:
    assert answered_by(demo_home, "is the office fan still blowing", "en-GB")
    assert answered_by(demo_home, "is the office fan still blowing", "de") == []


async def test_the_heating_is_the_one_thermostat_only(demo_home: HomeAssistant) -> None:
    demo_home.states.async_set(
        "climate.garage_heater", "heat", {"friendly_name": "Garage Heater", "temperature": 12}
    )
    assert answered_by(demo_home, "what have I got the heating set to", "en") == []


@pytest.mark.parametrize(
    ("question", "asks"),
    [
        ("is it possible to turn on the fan", True),
        ("could you please open the garage", True),
        ("what have I got the heating set to", False),
        ("did I leave the garage open", False),
        ("did I leave the lamp on", False),
    ],
)
def test_asks_for_action(question: str, asks: bool) -> None:
    assert asks_for_action(question) is asks
