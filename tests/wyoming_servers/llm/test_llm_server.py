"""The bundled 1.5B model behind llama.cpp's server, over a real socket with the ``openai`` client.

One session-scoped server (``llm_server`` in tests/conftest.py) loads the
model once; three model calls here, all at temperature 0. The last test
runs the command line as its own process (a second load, one warm-up call).
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from typing import TYPE_CHECKING, Any

import aiohttp
import openai
import pytest

from local_voice_harness import ha_prompt
from local_voice_harness.paths import REPO_ROOT
from local_voice_harness.ports import free_port
from local_voice_harness.processes import spawn, stop_process
from wyoming_servers.llm.bundled import DEFAULT_MODEL
from wyoming_servers.llm.template import QWEN25_TOOL_TEMPLATE

if TYPE_CHECKING:
    from pathlib import Path

    from wyoming_servers.llm.server import LlmServer

pytestmark = [pytest.mark.llm, pytest.mark.slow]


def _client(server: LlmServer) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(
        base_url=server.openai_base_url, api_key="unused", timeout=240, max_retries=0
    )


def _assert_turns_on_the_kitchen_light(call: dict[str, Any] | None, answer: object) -> None:
    assert call is not None, f"no tool call in {answer!r}"
    assert call["name"] == "HassTurnOn", call
    arguments = call["arguments"]
    named = "kitchen" in str(arguments.get("name", "")).lower()
    assert named or str(arguments.get("area", "")).lower() == "kitchen", call
    assert arguments.get("domain", ["light"]) in (["light"], "light"), call


async def test_answers_a_chat_completion(socket_enabled: None, llm_server: LlmServer) -> None:
    async with _client(llm_server) as client:
        models = await client.models.list()
        answer = await client.chat.completions.create(
            model=llm_server.model_name,
            messages=[{"role": "user", "content": "What colour is a clear daytime sky? One word."}],
            temperature=0,
            max_tokens=8,
        )
    assert [m.id for m in models.data] == [llm_server.model_name]
    assert answer.model == llm_server.model_name
    text = answer.choices[0].message.content or ""
    assert "blue" in text.lower(), text
    assert answer.usage is not None
    assert 0 < answer.usage.completion_tokens <= 8


@pytest.mark.timeout(420)
async def test_kitchen_light_calls_hass_turn_on_and_the_prefix_is_cached(
    socket_enabled: None, llm_server: LlmServer
) -> None:
    """HA's prompt and tools: a HassTurnOn call, cold over HTTP, then again in-process from cache."""
    request: dict[str, Any] = {
        "model": llm_server.model_name,
        "messages": ha_prompt.messages("turn on the kitchen light"),
        "tools": ha_prompt.TOOLS,
        "temperature": 0,
        "max_tokens": 100,
    }
    async with _client(llm_server) as client:
        cold = await client.chat.completions.create(**request)
    message = cold.choices[0].message
    tool_calls = [c.model_dump() for c in message.tool_calls or []]
    _assert_turns_on_the_kitchen_light(
        ha_prompt.find_tool_call(message.content, tool_calls), message
    )
    assert cold.usage is not None
    assert cold.usage.prompt_tokens > 1000  # HA's system prompt and four tools

    started = time.monotonic()
    warm = await asyncio.to_thread(llm_server.chat_completion, request)
    warm_seconds = time.monotonic() - started
    choice = warm["choices"][0]["message"]
    call = ha_prompt.find_tool_call(choice.get("content"), choice.get("tool_calls"))
    _assert_turns_on_the_kitchen_light(call, choice)
    assert warm["timings"]["cache_n"] >= cold.usage.prompt_tokens - 8, warm["timings"]
    assert warm["timings"]["prompt_n"] <= 8, warm["timings"]
    assert warm_seconds < warm["timings"]["predicted_ms"] / 1000 + 5


async def test_serves_the_fixed_tool_template(socket_enabled: None, llm_server: LlmServer) -> None:
    """The template in use is ours, and it writes the call example with single braces."""
    body = {"messages": ha_prompt.messages("hello"), "tools": ha_prompt.TOOLS}
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        async with session.get(f"{llm_server.url}/props") as response:
            props = await response.json()
        async with session.post(f"{llm_server.url}/apply-template", json=body) as response:
            prompt = (await response.json())["prompt"]
    assert props["chat_template"].strip() == QWEN25_TOOL_TEMPLATE.strip()  # llama.cpp trims it
    assert '<tool_call>\n{"name": <function-name>, "arguments": <args-json-object>}\n' in prompt
    assert "{{" not in prompt
    for tool in ha_prompt.TOOL_NAMES:
        assert f'"name": "{tool}"' in prompt


async def test_a_prompt_beyond_the_context_is_a_clear_error(
    socket_enabled: None, llm_server: LlmServer
) -> None:
    too_long = "lamp " * (llm_server.settings.ctx_size + 100)
    async with _client(llm_server) as client:
        with pytest.raises(openai.BadRequestError, match="exceeds the available context size"):
            await client.chat.completions.create(
                model=llm_server.model_name,
                messages=[{"role": "user", "content": too_long}],
                max_tokens=1,
            )


@pytest.mark.timeout(300)
async def test_the_command_line_warms_serves_and_stops(
    socket_enabled: None, tmp_path: Path
) -> None:
    """``python -m wyoming_servers.llm`` as deployed: its own process, a warm prompt, SIGTERM."""
    warm = tmp_path / "warm.txt"
    warm.write_text("You are a voice assistant for Home Assistant.")
    log = tmp_path / "llm.log"
    port = free_port()
    argv = [
        "--port",
        str(port),
        "--ctx-size",
        "1024",
        "--parallel",
        "1",
        "--warm-prompt",
        str(warm),
    ]
    with log.open("wb") as out:
        proc = spawn(
            [sys.executable, "-m", "wyoming_servers.llm", *argv],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=REPO_ROOT,
        )
    try:
        async with asyncio.timeout(240):
            while "listening on" not in log.read_text():
                assert proc.poll() is None, log.read_text()
                await asyncio.sleep(0.2)
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{port}/v1/models") as response,
        ):
            models = await response.json()
    finally:
        killed = stop_process(proc, timeout=30)
    text = log.read_text()
    assert not killed, f"SIGTERM must stop it:\n{text}"
    assert proc.returncode == 0, text
    assert [m["id"] for m in models["data"]] == [DEFAULT_MODEL]
    steps = ["loading " + DEFAULT_MODEL, "loaded " + DEFAULT_MODEL, "warm prompt: ", "listening on"]
    positions = [text.find(step) for step in steps]
    assert -1 not in positions, text
    assert positions == sorted(positions), text
    assert f"http://127.0.0.1:{port}/v1" in text
    assert "stopping" in text
