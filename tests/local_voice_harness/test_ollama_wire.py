"""Ollama's chat body to OpenAI's, and the upstream's chunks back: the pure translation."""

from __future__ import annotations

import json

import pytest

from local_voice_harness.ollama_wire import ChatResult, OllamaRequestError, parse_chat


def _call(tool: str, /, **arguments: object) -> dict[str, object]:
    return {"function": {"name": tool, "arguments": arguments}}


def test_tool_results_answer_the_calls_they_name() -> None:
    body = {
        "model": "m",
        "messages": [
            {"role": "user", "content": "lamp on, fan off"},
            {
                "role": "assistant",
                "content": "",
                "tool_calls": [_call("HassTurnOn", name="Lamp"), _call("HassTurnOff", name="Fan")],
            },
            {"role": "tool", "tool_name": "HassTurnOff", "content": "fan done"},
            {"role": "tool", "content": "lamp done"},
        ],
    }
    messages = parse_chat(body, "upstream").openai["messages"]
    on, off = messages[1]["tool_calls"]
    assert json.loads(on["function"]["arguments"]) == {"name": "Lamp"}
    assert messages[2]["tool_call_id"] == off["id"]
    assert messages[3]["tool_call_id"] == on["id"]
    assert on["id"] != off["id"]


def test_options_and_format_map_to_openai_fields() -> None:
    schema = {"type": "object", "properties": {"x": {"type": "integer"}}}
    body = {
        "model": "m",
        "messages": [{"role": "user", "content": "hi"}],
        "options": {"num_predict": -1, "top_k": 5, "stop": ["\n"], "seed": 7},
        "format": schema,
        "stream": False,
    }
    request = parse_chat(body, "upstream")
    assert request.stream is False
    assert request.openai["model"] == "upstream"
    assert "max_tokens" not in request.openai  # -1: no limit
    assert (request.openai["top_k"], request.openai["stop"], request.openai["seed"]) == (
        5,
        ["\n"],
        7,
    )
    assert request.openai["response_format"]["json_schema"]["schema"] == schema


@pytest.mark.parametrize(
    "options",
    [{"temperature": True}, {"top_p": -0.1}, {"stop": [1]}, {"seed": 1.5}, "hot"],
)
def test_bad_options_are_refused(options: object) -> None:
    with pytest.raises(OllamaRequestError):
        parse_chat({"model": "m", "messages": [], "options": options}, "upstream")


def test_too_many_messages_are_refused() -> None:
    messages = [{"role": "user", "content": "x"}] * 2049
    with pytest.raises(OllamaRequestError, match="too many messages"):
        parse_chat({"model": "m", "messages": messages}, "upstream")


def test_chunks_fold_into_text_calls_and_closing_counts() -> None:
    result = ChatResult()
    assert result.add_chunk({"choices": [{"delta": {"content": "On it"}}]}) == {"content": "On it"}
    assert result.add_chunk({"choices": [{"delta": {"reasoning_content": "hm"}}]}) == {
        "thinking": "hm"
    }
    result.add_chunk(
        {
            "choices": [
                {
                    "delta": {
                        "tool_calls": [
                            {"index": 0, "function": {"name": "HassTurnOn", "arguments": '{"na'}}
                        ]
                    }
                }
            ]
        }
    )
    result.add_chunk(
        {
            "choices": [
                {"delta": {"tool_calls": [{"index": 0, "function": {"arguments": 'me": "Lamp"}'}}]}}
            ]
        }
    )
    result.add_chunk(
        {
            "choices": [
                {
                    "delta": {
                        "tool_calls": [
                            {
                                "index": 1,
                                "function": {"name": "HassTurnOff", "arguments": "not json"},
                            }
                        ]
                    }
                }
            ]
        }
    )
    result.add_chunk(
        {
            "choices": [{"delta": {}, "finish_reason": "length"}],
            "usage": {"prompt_tokens": 9, "completion_tokens": 4},
        }
    )
    result.add_chunk({"choices": "garbage", "usage": "garbage", "timings": {"prompt_ms": "fast"}})
    assert result.tool_calls() == [
        {"function": {"name": "HassTurnOn", "arguments": {"name": "Lamp"}}},
        {"function": {"name": "HassTurnOff", "arguments": {}}},
    ]
    closing = result.closing()
    assert (closing["done_reason"], closing["prompt_eval_count"], closing["eval_count"]) == (
        "length",
        9,
        4,
    )
    assert closing["total_duration"] >= closing["eval_duration"] >= 0
