"""The Ollama double against upstreams that misbehave: absent, silent, failing, cut off.

The upstream here is a small scripted OpenAI-style server on a real socket
(no model), so each fault is exact and fast; the double must answer each with
Ollama's error shape in bounded time and never hang. The last test runs the
double's command line as a process.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from typing import TYPE_CHECKING, Any, Self

import aiohttp
import ollama
import pytest
from aiohttp import web

from local_voice_harness.ollama_double import DoubleConfig, OllamaDouble
from local_voice_harness.paths import REPO_ROOT
from local_voice_harness.ports import free_port
from local_voice_harness.processes import spawn, stop_process

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

MODEL = "scripted"


def _event(data: Any) -> bytes:
    return b"data: " + json.dumps(data).encode() + b"\n\n"


def _delta(delta: dict[str, Any], finish: str | None = None) -> bytes:
    return _event({"choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})


class ScriptedUpstream:
    """``/v1/models`` and a ``/v1/chat/completions`` that does what ``mode`` says."""

    def __init__(self) -> None:
        self.mode = "text"
        self.bodies: list[dict[str, Any]] = []
        self.client_gone = asyncio.Event()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._stop = asyncio.Event()
        app = web.Application()
        app.router.add_get("/v1/models", self._models)
        app.router.add_post("/v1/chat/completions", self._chat)
        self._runner = web.AppRunner(app, shutdown_timeout=0.1)

    async def __aenter__(self) -> Self:
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self._stop.set()
        await self._runner.cleanup()

    async def _models(self, _request: web.Request) -> web.Response:
        meta = {"n_params": 494_032_768, "size": 397_807_936, "n_ctx": 4096, "ftype": "Q8_0"}
        return web.json_response({"object": "list", "data": [{"id": MODEL, "meta": meta}]})

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        self.bodies.append(await request.json())
        if self.mode == "silent":
            await self._stop.wait()
            return web.Response()
        if self.mode == "status_400":
            error = {"code": 400, "message": "request (9000 tokens) exceeds the context"}
            return web.json_response({"error": error}, status=400)
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        try:
            for line in self._script():
                await response.write(line)
                await asyncio.sleep(0.02)
        except ConnectionResetError:
            self.client_gone.set()
        return response

    def _script(self) -> list[bytes]:
        hello = [_delta({"role": "assistant", "content": None}), _delta({"content": "Hello"})]
        if self.mode == "error_event":
            return [*hello, _event({"error": {"code": 500, "message": "slot crashed"}})]
        if self.mode == "malformed":
            return [*hello, b"data: {not json\n\n"]
        if self.mode == "endless":
            return [*hello, *[_delta({"content": " and"})] * 500]
        if self.mode == "tool_calls":
            call = {"index": 0, "id": "c1", "type": "function"}
            return [
                _delta(
                    {"tool_calls": [{**call, "function": {"name": "HassTurnOn", "arguments": ""}}]}
                ),
                _delta({"tool_calls": [{"index": 0, "function": {"arguments": '{"name": '}}]}),
                _delta({"tool_calls": [{"index": 0, "function": {"arguments": '"Desk Lamp"}'}}]}),
                _delta({}, finish="tool_calls"),
                _event({"choices": [], "usage": {"prompt_tokens": 50, "completion_tokens": 12}}),
                b"data: [DONE]\n\n",
            ]
        usage = {"prompt_tokens": 21, "completion_tokens": 3}
        timings = {"prompt_n": 21, "prompt_ms": 105.5, "predicted_n": 3, "predicted_ms": 60.25}
        return [
            *hello,
            _delta({"content": ", world"}),
            _delta({}, finish="stop"),
            _event({"choices": [], "usage": usage, "timings": timings}),
            b"data: [DONE]\n\n",
        ]


@pytest.fixture
async def upstream(socket_enabled: None) -> AsyncIterator[ScriptedUpstream]:
    async with ScriptedUpstream() as server:
        yield server


@pytest.fixture
async def double(upstream: ScriptedUpstream) -> AsyncIterator[OllamaDouble]:
    config = DoubleConfig(upstream=upstream.url, read_timeout=0.5, request_timeout=2)
    async with OllamaDouble(config) as server:
        yield server


async def _chat_lines(double: OllamaDouble, **body: Any) -> tuple[int, list[dict[str, Any]]]:
    body = {"model": MODEL, "messages": [{"role": "user", "content": "hi"}], **body}
    async with (
        asyncio.timeout(10),
        aiohttp.ClientSession() as session,
        session.post(f"{double.url}/api/chat", json=body) as response,
    ):
        text = await response.text()
    return response.status, [json.loads(line) for line in text.splitlines() if line]


async def test_text_streams_with_upstream_counts_and_timings(double: OllamaDouble) -> None:
    status, lines = await _chat_lines(double)
    assert status == 200
    assert "".join(line["message"]["content"] for line in lines) == "Hello, world"
    final = lines[-1]
    assert final["done"] is True
    assert final["done_reason"] == "stop"
    assert (final["prompt_eval_count"], final["eval_count"]) == (21, 3)
    assert (final["prompt_eval_duration"], final["eval_duration"]) == (105_500_000, 60_250_000)
    assert final["total_duration"] > 0


async def test_streamed_tool_calls_become_ollama_calls(
    double: OllamaDouble, upstream: ScriptedUpstream
) -> None:
    upstream.mode = "tool_calls"
    client = ollama.AsyncClient(host=double.url, timeout=10)
    answer = await client.chat(model=MODEL, messages=[{"role": "user", "content": "desk lamp on"}])
    assert answer.message.tool_calls is not None
    (call,) = answer.message.tool_calls
    assert (call.function.name, dict(call.function.arguments)) == (
        "HassTurnOn",
        {"name": "Desk Lamp"},
    )
    assert (answer.prompt_eval_count, answer.eval_count) == (50, 12)
    assert answer.eval_duration is not None  # measured here: the upstream sent no timings
    assert answer.eval_duration > 0


async def test_history_and_options_reach_the_upstream_in_openai_form(
    double: OllamaDouble, upstream: ScriptedUpstream
) -> None:
    messages = [
        {"role": "user", "content": "lamp on"},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [{"function": {"name": "HassTurnOn", "arguments": {"name": "Lamp"}}}],
        },
        {"role": "tool", "tool_name": "HassTurnOn", "content": '{"success": true}'},
    ]
    options = {"temperature": 0, "num_ctx": 8192, "num_predict": 20, "mirostat": 1}
    await _chat_lines(double, messages=messages, options=options, format="json", keep_alive="5m")
    (sent,) = upstream.bodies
    call = sent["messages"][1]["tool_calls"][0]
    assert call["function"] == {"name": "HassTurnOn", "arguments": '{"name": "Lamp"}'}
    assert sent["messages"][2]["tool_call_id"] == call["id"]
    assert (sent["temperature"], sent["max_tokens"]) == (0, 20)
    assert "num_ctx" not in sent
    assert "mirostat" not in sent
    assert sent["response_format"] == {"type": "json_object"}
    assert sent["stream"] is True


async def test_an_oversized_body_is_refused(
    double: OllamaDouble, upstream: ScriptedUpstream
) -> None:
    status, lines = await _chat_lines(double, padding="x" * (9 << 20))
    assert (status, lines) == (413, [{"error": "content too large"}])
    assert upstream.bodies == []


async def test_a_name_of_our_choosing_lists_and_serves_the_model(
    socket_enabled: None, upstream: ScriptedUpstream
) -> None:
    config = DoubleConfig(upstream=upstream.url, name="qwen2.5-coder:1.5b")
    async with OllamaDouble(config) as double:
        client = ollama.AsyncClient(host=double.url, timeout=10)
        assert [m.model for m in (await client.list()).models] == ["qwen2.5-coder:1.5b"]
        answer = await client.chat(
            model="qwen2.5-coder:1.5b", messages=[{"role": "user", "content": "hi"}]
        )
    assert answer.message.content == "Hello, world"
    assert upstream.bodies[0]["model"] == MODEL


async def test_an_absent_upstream_is_a_clear_502(socket_enabled: None) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    async with OllamaDouble(DoubleConfig(upstream=dead, connect_timeout=1)) as double:
        status, lines = await _chat_lines(double)
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{double.url}/api/tags") as tags,
        ):
            assert tags.status == 502
            assert dead in (await tags.json())["error"]
    assert status == 502
    assert "unreachable" in lines[0]["error"]


@pytest.mark.parametrize("stream", [True, False])
async def test_a_silent_upstream_times_out(
    double: OllamaDouble, upstream: ScriptedUpstream, stream: bool
) -> None:
    upstream.mode = "silent"
    started = time.monotonic()
    status, lines = await _chat_lines(double, stream=stream)
    assert status == 504
    assert "did not answer in time" in lines[0]["error"]
    assert time.monotonic() - started < 3


async def test_an_upstream_error_status_is_passed_on(
    double: OllamaDouble, upstream: ScriptedUpstream
) -> None:
    upstream.mode = "status_400"
    status, lines = await _chat_lines(double)
    assert (status, lines) == (400, [{"error": "request (9000 tokens) exceeds the context"}])


@pytest.mark.parametrize(
    ("mode", "error"),
    [
        ("error_event", "slot crashed"),
        ("malformed", "malformed event"),
        ("endless", "stopped answering"),
    ],
)
async def test_a_failure_mid_stream_is_the_last_line(
    double: OllamaDouble, upstream: ScriptedUpstream, mode: str, error: str
) -> None:
    """Once streaming has begun the status is sent: Ollama ends the stream with an error line."""
    upstream.mode = mode
    status, lines = await _chat_lines(double)
    assert status == 200
    assert lines[0]["message"]["content"] == "Hello"
    assert error in lines[-1]["error"]
    assert not any(line.get("done") for line in lines)


async def test_a_client_that_leaves_closes_the_upstream(
    double: OllamaDouble, upstream: ScriptedUpstream
) -> None:
    upstream.mode = "endless"
    body = {"model": MODEL, "messages": [{"role": "user", "content": "talk"}]}
    async with aiohttp.ClientSession() as session:
        response = await session.post(f"{double.url}/api/chat", json=body)
        await response.content.readline()
        response.close()
    async with asyncio.timeout(5):
        await upstream.client_gone.wait()


async def test_the_command_line_serves_and_stops(socket_enabled: None, tmp_path: Any) -> None:
    port, dead = free_port(), free_port()
    log = tmp_path / "double.log"
    argv = ["-m", "local_voice_harness.ollama_double", "--port", str(port)]
    with log.open("wb") as out:
        proc = spawn(
            [sys.executable, *argv, "--upstream", f"http://127.0.0.1:{dead}"],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=REPO_ROOT,
        )
    try:
        async with asyncio.timeout(30):
            while f"ollama double on http://127.0.0.1:{port}" not in log.read_text():
                assert proc.poll() is None, log.read_text()
                await asyncio.sleep(0.1)
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{port}/api/version") as response:
                assert response.status == 200
            async with session.get(f"http://127.0.0.1:{port}/api/tags") as response:
                assert response.status == 502
    finally:
        killed = stop_process(proc)
    assert not killed, "SIGTERM must stop it"
    assert proc.returncode == 0


def test_the_command_line_refuses_a_bad_upstream() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "local_voice_harness.ollama_double", "--upstream", "ftp://x"],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "must be an http(s) URL" in result.stderr
