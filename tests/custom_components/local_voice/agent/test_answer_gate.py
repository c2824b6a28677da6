"""What of a streamed answer is spoken: prose flows, calls written or described wait."""

from __future__ import annotations

import pytest

from custom_components.local_voice.agent.answer_gate import (
    TextGate,
    described_call,
    may_describe,
)

TOOLS = {"HassTurnOn": {}, "HassTurnOff": {}, "GetLiveContext": {}}


def _stream(gate: TextGate, text: str, size: int = 3) -> str:
    """Feed ``text`` in small pieces, as a server streams; what was let through."""
    out = "".join(gate.feed(text[i : i + size]) for i in range(0, len(text), size))
    return out + gate.end(gate.rest())


def test_prose_flows_word_by_word() -> None:
    gate = TextGate(TOOLS)
    assert gate.feed("The ") == "The "  # not a call, not a description: no wait
    assert gate.feed("lock is locked.") == "lock is locked."
    assert not gate.described


@pytest.mark.parametrize(
    "text",
    [
        (
            "To turn off the bedroom light, you can use the `HassTurnOff` function with the "
            'name "Bedroom Light".'
        ),
        "To answer the user's question, you can use the GetLiveContext tool.",
        "You can use HassTurnOn with the name Kitchen Light",  # no sentence end at all
        "Use `HassTurnOn`: it turns things on.",
        "HassTurnOff kitchen",
        "GetLiveContext. The lock is locked.",
        # introduced in words, then written out: the 1.5B's "movie night" answer
        (
            "To dim the living room lamp and switch off the bedroom light, you can use the "
            'following commands:\n```json\n{\n  "name": "HassTurnOff",\n  "arguments": '
            '{"name": "Bedroom Light"}\n}\n```'
        ),
    ],
)
def test_a_described_call_is_never_let_through(text: str) -> None:
    gate = TextGate(TOOLS)
    assert _stream(gate, text) == ""
    assert gate.described


@pytest.mark.parametrize(
    "text",
    [
        "To be honest, I have no idea. Ask me later.",
        "Today is Sunday.",
        "You can't run a timer on this device. Sorry.",
        "Tomorrow looks sunny",
        "Happy to help. The lamp is off.",
        "Hass is not a word I know.",
    ],
)
def test_answers_that_only_start_like_a_description_are_spoken(text: str) -> None:
    gate = TextGate(TOOLS)
    assert _stream(gate, text) == text
    assert not gate.described


def test_a_description_waits_only_for_its_first_sentence() -> None:
    gate = TextGate(TOOLS)
    assert gate.feed("To be fair") == ""
    assert gate.feed(", it is late. ") == "To be fair, it is late. "
    assert gate.feed("Good night.") == "Good night."


def test_may_describe() -> None:
    for start in ("T", "To", "you can ", "To turn"):
        assert may_describe(start), start
    for start in ("The", "Today", "I turned"):
        assert not may_describe(start), start


def test_described_call_takes_the_one_named_tool_and_its_json() -> None:
    text = (
        "To turn on the kitchen light, you can use the `HassTurnOn` function with the "
        'arguments `{"name": "Kitchen Light", "area": "Kitchen", "floor": "None"}`.'
    )
    call = described_call(text, TOOLS)
    assert call is not None
    assert call.name == "HassTurnOn"
    assert call.arguments == {"name": "Kitchen Light", "area": "Kitchen"}
    wrapped = 'Call `HassTurnOff` like this: {"name": "HassTurnOff", "arguments": {"name": "X"}}'
    call = described_call(wrapped, TOOLS)
    assert call is not None
    assert call.arguments == {"name": "X"}


@pytest.mark.parametrize(
    "text",
    [
        "You can use the `HassTurnOff` function with the name Bedroom Light.",  # no JSON
        'Use HassTurnOn or HassTurnOff with {"name": "Kitchen Light"}',  # two tools
        'Use `HassTurnOnAll` with {"name": "Kitchen Light"}',  # no listed tool
        "Use `HassTurnOn` with {not json}",
        'Use `HassTurnOn` with ["Kitchen Light"]',
    ],
)
def test_described_call_needs_one_tool_and_json_arguments(text: str) -> None:
    assert described_call(text, TOOLS) is None


def test_with_claims_prose_passes_a_whole_sentence_at_a_time() -> None:
    gate = TextGate(TOOLS, claims=True)
    assert gate.feed("The ") == ""
    assert gate.feed("lock is locked.") == ""  # the sentence may go on ("locked.5")
    assert gate.feed(" It ") == "The lock is locked. "
    assert gate.feed("is late.") == ""
    assert gate.end() == "It is late."
    assert not gate.claim


@pytest.mark.parametrize(
    ("text", "spoken", "claim"),
    [
        ("Garage Door is now open.", "", "Garage Door is now open."),
        (
            "Sure, happy to help. The coffee maker is now on. Enjoy!",
            "Sure, happy to help. ",
            "The coffee maker is now on. Enjoy!",
        ),
        ("Done", "", "Done"),  # no sentence end: judged at the end of the answer
        ("I've set the thermostat to 22 degrees", "", "I've set the thermostat to 22 degrees"),
        ("OK.\nI turned on the kitchen light.", "OK.\n", "I turned on the kitchen light."),
    ],
)
def test_a_claimed_change_is_held_with_everything_after_it(
    text: str, spoken: str, claim: str
) -> None:
    gate = TextGate(TOOLS, claims=True)
    assert _stream(gate, text) == spoken
    assert gate.claim == claim
    assert not gate.described


@pytest.mark.parametrize(
    "text",
    [
        "The front door is locked.",
        "The garage door is open. The kitchen light is off.",
        "I can't control the basement light",
    ],
)
def test_with_claims_the_current_state_is_spoken(text: str) -> None:
    gate = TextGate(TOOLS, claims=True)
    assert _stream(gate, text) == text
    assert not gate.claim


def test_a_claim_before_a_written_call_is_held_and_the_call_kept_apart() -> None:
    gate = TextGate(TOOLS, claims=True)
    text = 'Turning it on. Done! {"name": "HassTurnOn", "arguments": {"name": "Kitchen Light"}}'
    out = "".join(gate.feed(text[i : i + 4]) for i in range(0, len(text), 4))
    assert out == "Turning it on. "
    assert gate.held.startswith('{"name": "HassTurnOn"')  # for the reader to recover
    assert gate.end() == ""
    assert gate.claim.strip() == "Done!"


def test_without_claims_a_claim_streams_word_by_word() -> None:
    gate = TextGate(TOOLS)
    assert gate.feed("Garage ") == "Garage "
    assert gate.feed("Door is now open.") == "Door is now open."
    assert gate.end() == ""
    assert not gate.claim
