"""Tool calls from a model's answer: recovered from text, repaired, checked against schemas."""

from __future__ import annotations

import pytest

from custom_components.local_voice.agent.tool_calls import (
    embedded_calls,
    may_be_call,
    recover_calls,
    repair_arguments,
    schema_problem,
    unknown_tools,
)

TOOLS = {
    "HassTurnOn": {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "area": {"type": "string"},
            "domain": {"type": "array", "items": {"type": "string"}},
        },
    },
    "HassLightSet": {
        "type": "object",
        "properties": {"name": {"type": "string"}, "brightness": {"type": "integer"}},
        "required": ["brightness"],
    },
}


@pytest.mark.parametrize(
    "text",
    [
        '{"name": "HassTurnOn", "arguments": {"name": "Kitchen Light"}}',
        ' \n{"name": "HassTurnOn", "arguments": {"name": "Kitchen Light"}}\n',
        '```json\n{"name": "HassTurnOn", "arguments": {"name": "Kitchen Light"}}\n```',
        '<tool_call>\n{"name": "HassTurnOn", "arguments": {"name": "Kitchen Light"}}\n</tool_call>',
        # Tags the 1.5B made up, and one whose end was cut off.
        '<tools>\n{"name": "HassTurnOn", "arguments": {"name": "Kitchen Light"}}\n</tools>',
        '<Function_Call>{"name": "HassTurnOn", "arguments": {"name": "Kitchen Light"}}</Function_Call>',
        '<tools>\n{"name": "HassTurnOn", "arguments": {"name": "Kitchen Light"}}',
        '[{"name": "HassTurnOn", "arguments": {"name": "Kitchen Light"}}]',
        '{"type": "function", "function": {"name": "HassTurnOn", "parameters": {"name": "Kitchen Light"}}}',
        '{"name": "HassTurnOn", "arguments": "{\\"name\\": \\"Kitchen Light\\"}"}',
    ],
)
def test_calls_written_as_text_are_recovered(text: str) -> None:
    calls = recover_calls(text, TOOLS)
    assert calls is not None
    assert [(c.name, c.arguments) for c in calls] == [("HassTurnOn", {"name": "Kitchen Light"})]


def test_two_calls_in_made_up_tags_and_a_tag_that_is_not_a_call() -> None:
    text = (
        '<tools>\n{"name": "HassTurnOn", "arguments": {"name": "Kitchen Light"}}\n'
        '{"name": "HassTurnOn", "arguments": {"name": "Desk Lamp"}}\n</tools>'
    )
    calls = recover_calls(text, TOOLS)
    assert calls is not None
    assert [c.arguments["name"] for c in calls] == ["Kitchen Light", "Desk Lamp"]
    assert recover_calls("<b>The kitchen light is on.</b>", TOOLS) is None
    assert recover_calls("<tools>The kitchen light is on.</tools>", TOOLS) is None


def test_several_calls_one_per_line() -> None:
    text = (
        '{"name": "HassTurnOn", "arguments": {"name": "Kitchen Light"}}\n'
        '{"name": "HassTurnOn", "arguments": {"name": "Desk Lamp"}}'
    )
    calls = recover_calls(text, TOOLS)
    assert calls is not None
    assert [c.arguments["name"] for c in calls] == ["Kitchen Light", "Desk Lamp"]


def test_a_tool_name_with_or_without_hass_is_the_tool() -> None:
    """The 1.5B wrote "HassGetLiveContext" for "GetLiveContext"."""
    tools = {**TOOLS, "GetLiveContext": {"type": "object", "properties": {}}}
    calls = recover_calls('{"name": "HassGetLiveContext", "arguments": {}}', tools)
    assert calls is not None
    assert [c.name for c in calls] == ["GetLiveContext"]
    calls = recover_calls('{"name": "TurnOn", "arguments": {"name": "Desk Lamp"}}', tools)
    assert calls is not None
    assert [c.name for c in calls] == ["HassTurnOn"]
    assert recover_calls('{"name": "HassOrderPizza", "arguments": {}}', tools) is None


def test_several_pretty_printed_calls_in_a_fence() -> None:
    """Two calls over several lines each, as the 1.5B writes them for a compound request."""
    text = (
        '```json\n{\n  "name": "HassTurnOn",\n  "arguments": {\n    "name": "Kitchen Light"\n'
        '  }\n}\n{\n  "name": "HassLightSet",\n  "arguments": {"name": "Desk Lamp", '
        '"brightness": 30}\n}\n```'
    )
    calls = recover_calls(text, TOOLS)
    assert calls is not None
    assert [(c.name, c.arguments["name"]) for c in calls] == [
        ("HassTurnOn", "Kitchen Light"),
        ("HassLightSet", "Desk Lamp"),
    ]


def test_calls_embedded_in_prose_are_found_in_order() -> None:
    text = (
        "To dim the lamp and light the kitchen, you can use the following commands:\n```json\n"
        '{"name": "HassLightSet", "arguments": {"name": "Desk Lamp", "brightness": 30}}\n'
        '{"name": "OrderPizza", "arguments": {}}\n{"brightness": 3}\n'
        '{\n  "name": "HassTurnOn",\n  "arguments": {"name": "Kitchen Light"}\n}\n``` {oops'
    )
    calls = embedded_calls(text, TOOLS)
    assert [(c.name, c.arguments["name"]) for c in calls] == [
        ("HassLightSet", "Desk Lamp"),
        ("HassTurnOn", "Kitchen Light"),
    ]
    assert embedded_calls("The lamp is {not} a call.", TOOLS) == ()


@pytest.mark.parametrize(
    "text",
    [
        "The kitchen light is on.",
        '{"name": "OrderPizza", "arguments": {}}',  # not a tool the model was given
        '{"answer": "yes"}',  # JSON, but no call
        '{"name": "HassTurnOn", "arguments": {"name": "Kitchen',  # cut off
        "[1, 2, 3]",
        '{"name": "HassTurnOn"} and then some words',
        "{" * 5000,
    ],
)
def test_anything_else_is_not_a_call(text: str) -> None:
    assert recover_calls(text, TOOLS) is None


@pytest.mark.parametrize(
    ("so_far", "maybe"),
    [("", True), ("  ", True), ("{", True), ("`", True), ("``", True), ("<tool", True),
     ("Sure", False), ("The light", False), ("[", True)],
)  # fmt: skip
def test_may_be_call(so_far: str, *, maybe: bool) -> None:
    assert may_be_call(so_far) is maybe


def test_arguments_are_repaired() -> None:
    assert repair_arguments({"name": "Kitchen", "area": "", "domain": '["light"]'}) == {
        "name": "Kitchen",
        "domain": ["light"],
    }
    assert repair_arguments('{"name": "Desk Lamp"}') == {"name": "Desk Lamp"}
    assert repair_arguments("not json") == {}
    assert repair_arguments(None) == {}
    # The words small models write for "nothing" ("floor": "None") are nothing too.
    assert repair_arguments({"name": "Desk Lamp", "floor": "None", "area": " null "}) == {
        "name": "Desk Lamp"
    }
    assert repair_arguments({"name": "Nonesuch", "brightness": 0, "on": False}) == {
        "name": "Nonesuch",
        "brightness": 0,
        "on": False,
    }


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        ({"name": "Kitchen Light"}, None),
        ({"name": "Kitchen Light", "domain": ["light"]}, None),
        ({"name": 5}, "argument 'name': expected string, got int"),
        ({"name": "x", "colour": "red"}, "unknown arguments ['colour']"),
        ({"domain": "light"}, "argument 'domain': expected array, got str"),
        ({"domain": [1]}, "argument 'domain': item 1: expected string, got int"),
    ],
)
def test_arguments_are_checked_against_the_schema(arguments: dict, problem: str | None) -> None:
    found = schema_problem(arguments, TOOLS["HassTurnOn"])
    assert (found if found is None else found[: len(problem or "")]) == problem


def test_required_and_boolean_is_not_a_number() -> None:
    schema = TOOLS["HassLightSet"]
    assert (
        schema_problem({"name": "Desk Lamp"}, schema) == "missing required arguments ['brightness']"
    )
    assert schema_problem({"brightness": True}, schema) == (
        "argument 'brightness': expected integer, got a boolean"
    )
    assert schema_problem({"brightness": 40}, schema) is None
    enum = {"properties": {"state": {"type": "string", "enum": ["on", "off"]}}}
    assert (
        schema_problem({"state": "dim"}, enum) == "argument 'state': must be one of ['on', 'off']"
    )


@pytest.mark.parametrize(
    ("text", "unknown"),
    [
        ('{"name": "CallTaxi", "arguments": {"destination": "the station"}}', ["CallTaxi"]),
        ('<tool_call>{"name": "OrderPizza", "arguments": {}}</tool_call>', ["OrderPizza"]),
        ('{"name": "HassTurnOn", "arguments": {"name": "Desk Lamp"}}', []),  # offered
        ('{"name": "TurnOn", "arguments": {"name": "Desk Lamp"}}', []),  # Hass dropped: offered
        ('{"pizza": "margherita"}', []),  # not a call
        ("I can't do that.", []),
    ],
)
def test_calls_of_tools_not_offered(text: str, unknown: list[str]) -> None:
    assert unknown_tools(text, TOOLS) == unknown
