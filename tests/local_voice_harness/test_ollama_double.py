"""The Ollama double with the real model inside, driven by the official ``ollama`` client.

The double runs in the test's loop in front of the session's ``llm_server``
(the bundled 1.5B); two model calls, at temperature 0. Requests the double
must refuse are sent raw, as a client other than ``ollama`` could send them.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import aiohttp
import ollama
import pytest

from local_voice_harness import ha_prompt
from local_voice_harness.ollama_double import OLLAMA_VERSION, DoubleConfig, OllamaDouble

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from wyoming_servers.llm.server import LlmServer

pytestmark = [pytest.mark.llm, pytest.mark.slow]


@pytest.fixture
async def double(socket_enabled: None, llm_server: LlmServer) -> AsyncIterator[OllamaDouble]:
    async with OllamaDouble(DoubleConfig(upstream=llm_server.url, read_timeout=300)) as server:
        yield server


def _ollama_name(llm_server: LlmServer) -> str:
    return f"{llm_server.model_name}:latest"


@pytest.mark.timeout(420)
async def test_streams_the_kitchen_light_call(double: OllamaDouble, llm_server: LlmServer) -> None:
    client = ollama.AsyncClient(host=double.url, timeout=400)
    listed = await client.list()
    assert [m.model for m in listed.models] == [_ollama_name(llm_server)]
    chunks = [
        chunk
        async for chunk in await client.chat(
            model=_ollama_name(llm_server),
            messages=ha_prompt.messages("turn on the kitchen light"),
            tools=ha_prompt.TOOLS,
            stream=True,
            options={"temperature": 0, "num_ctx": 8192},
            keep_alive="300s",
        )
    ]
    text = "".join(c.message.content or "" for c in chunks)
    calls = [call.model_dump() for c in chunks for call in c.message.tool_calls or []]
    call = ha_prompt.find_tool_call(text, calls)
    assert call is not None, text
    assert call["name"] == "HassTurnOn", call
    arguments = call["arguments"]
    named = "kitchen" in str(arguments.get("name", "")).lower()
    assert named or str(arguments.get("area", "")).lower() == "kitchen", call
    assert sum(1 for c in chunks if c.message.content) > 3, "the answer came in one piece"
    *pieces, final = chunks
    assert not any(c.done for c in pieces)
    assert final.done
    assert final.done_reason == "stop"
    assert final.model == _ollama_name(llm_server)
    assert final.prompt_eval_count is not None
    assert final.prompt_eval_count > 1000
    assert final.eval_count is not None
    assert 0 < final.eval_count <= len(text)
    assert final.eval_duration is not None
    assert final.prompt_eval_duration is not None
    assert final.total_duration is not None
    assert 0 < final.eval_duration < final.total_duration


@pytest.mark.timeout(420)
async def test_answers_after_a_tool_result_in_one_object(
    double: OllamaDouble, llm_server: LlmServer
) -> None:
    """Assistant tool_calls (argument objects) and a tool result go upstream; one JSON back."""
    messages: list[dict[str, Any]] = [
        *ha_prompt.messages("turn on the kitchen light"),
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {"function": {"name": "HassTurnOn", "arguments": {"name": "Kitchen Light"}}}
            ],
        },
        {
            "role": "tool",
            "tool_name": "HassTurnOn",
            "content": json.dumps({"success": True, "result": {"success": ["Kitchen Light"]}}),
        },
    ]
    client = ollama.AsyncClient(host=double.url, timeout=400)
    answer = await client.chat(
        model=llm_server.model_name,  # without ":latest", as Ollama accepts it
        messages=messages,
        tools=ha_prompt.TOOLS,
        stream=False,
        options={"temperature": 0, "num_predict": 40},
    )
    assert answer.done
    assert answer.done_reason in {"stop", "length"}
    assert answer.message.role == "assistant"
    assert answer.message.content
    assert answer.eval_count is not None
    assert 0 < answer.eval_count <= 40
    assert answer.prompt_eval_count is not None
    assert answer.prompt_eval_count > 1000


async def test_tags_show_ps_and_version(double: OllamaDouble, llm_server: LlmServer) -> None:
    client = ollama.AsyncClient(host=double.url, timeout=30)
    (model,) = (await client.list()).models
    assert model.details is not None
    assert model.details.quantization_level == "Q4_K_M"
    size = model.details.parameter_size or ""  # all weights, embeddings included: "1.8B"
    assert size.endswith("B")
    assert 1.5 <= float(size[:-1]) <= 1.8
    file_size = llm_server.settings.model.path.stat().st_size
    assert model.size is not None
    assert 0.99 * file_size < model.size <= file_size  # the weights llama.cpp reports
    shown = await client.show(_ollama_name(llm_server))
    assert shown.capabilities is not None
    assert "tools" in shown.capabilities
    assert shown.modelinfo is not None
    assert shown.modelinfo["general.context_length"] == 32768
    (running,) = (await client.ps()).models
    assert running.model == _ollama_name(llm_server)
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{double.url}/api/ps") as response:  # ollama<0.6 drops the field
            (ps,) = (await response.json())["models"]
        assert ps["context_length"] == llm_server.settings.ctx_size
        async with session.get(f"{double.url}/api/version") as response:
            assert await response.json() == {"version": OLLAMA_VERSION}
        async with session.get(f"{double.url}/") as response:
            assert await response.text() == "Ollama is running"


async def test_an_empty_chat_only_loads(double: OllamaDouble, llm_server: LlmServer) -> None:
    answer = await ollama.AsyncClient(host=double.url).chat(
        model=llm_server.model_name, messages=[]
    )
    assert (answer.done, answer.done_reason, answer.message.content) == (True, "load", "")


M = "<the model>"  # replaced by the served model's name


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ("not json", 400, "not JSON"),
        ([], 400, "must be a JSON object"),
        ({"messages": []}, 400, "model is required"),
        ({"model": "llama3:8b", "messages": []}, 404, "model 'llama3:8b' not found"),
        ({"model": M, "messages": [{"role": "robot", "content": "hi"}]}, 400, "messages[0].role"),
        ({"model": M, "messages": [{"role": "user", "content": 7}]}, 400, "must be a string"),
        ({"model": M, "messages": [{"role": "user", "images": ["aGk="]}]}, 400, "images"),
        ({"model": M, "options": {"temperature": "hot"}}, 400, "'temperature'"),
        ({"model": M, "options": {"num_ctx": 0}}, 400, "'num_ctx'"),
        ({"model": M, "tools": {"name": "x"}}, 400, "tools must be a list"),
        ({"model": M, "think": True}, 400, "does not support thinking"),
        ({"model": M, "stream": "yes"}, 400, "stream must be"),
        ({"model": M, "keep_alive": [5]}, 400, "keep_alive"),
        ({"model": M, "format": "yaml"}, 400, "format must be"),
        (
            {"model": M, "messages": [{"role": "assistant", "tool_calls": [{"function": {}}]}]},
            400,
            "function.name",
        ),
        (
            {
                "model": M,
                "messages": [
                    {
                        "role": "assistant",
                        "tool_calls": [{"function": {"name": "HassTurnOn", "arguments": "{}"}}],
                    }
                ],
            },
            400,
            "arguments must be an object",
        ),
    ],
)
async def test_bad_requests_get_ollama_errors(
    double: OllamaDouble, llm_server: LlmServer, body: Any, status: int, error: str
) -> None:
    if isinstance(body, dict) and body.get("model") == M:
        body = {**body, "model": _ollama_name(llm_server)}
    data = body if isinstance(body, str) else json.dumps(body)
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{double.url}/api/chat", data=data) as response,
    ):
        assert response.status == status
        answer = await response.json()
    assert error in answer["error"]
