"""The HA-shaped request the LLM tests and benchmark send, and tool-call recovery from text."""

from __future__ import annotations

import datetime as dt

from local_voice_harness import ha_prompt


def test_system_prompt_lists_exposed_entities_and_ends_with_the_time() -> None:
    prompt = ha_prompt.system_prompt(dt.datetime(2026, 1, 2, 3, 4, 5))  # noqa: DTZ001
    assert "- names: Kitchen Light\n  domain: light\n  areas: Kitchen\n" in prompt
    assert "Basement Light" not in prompt  # not exposed
    assert prompt.rstrip().endswith("Current time is 03:04:05. Today's date is 2026-01-02.")
    assert [t["function"]["name"] for t in ha_prompt.TOOLS] == [
        "HassTurnOn", "HassTurnOff", "HassLightSet", "GetLiveContext",
    ]  # fmt: skip


def test_find_tool_call_in_text_and_in_tool_calls() -> None:
    bare = 'Sure.\n```json\n{"name": "HassTurnOn", "arguments": {"name": "Desk Lamp"}}\n```'
    assert ha_prompt.find_tool_call(bare) == {
        "name": "HassTurnOn",
        "arguments": {"name": "Desk Lamp"},
    }
    tagged = '<tool_call>\n{"name": "HassTurnOff", "arguments": {"area": "Office"}}\n</tool_call>'
    assert ha_prompt.find_tool_call(tagged) == {
        "name": "HassTurnOff",
        "arguments": {"area": "Office"},
    }
    assert ha_prompt.find_tool_call('{"name": "rm_rf", "arguments": {}}') is None
    assert ha_prompt.find_tool_call("The light is on.") is None
    openai_call = [{"function": {"name": "GetLiveContext", "arguments": "{}"}}]
    assert ha_prompt.find_tool_call(None, openai_call) == {
        "name": "GetLiveContext",
        "arguments": {},
    }
