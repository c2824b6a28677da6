"""A scripted model server that speaks Ollama's and OpenAI's real HTTP APIs.

For fast, exact tests of the agent's model path (which tool runs, what is
spoken, every fault) a script beats a model. This server answers the
endpoints the agent uses exactly as Ollama does (``/api/version``,
``/api/tags``, ``/api/show``, ``/api/pull`` as NDJSON progress, ``/api/chat``
streaming NDJSON with ``tool_calls``) and as an OpenAI-compatible server does
(``/v1/models``, ``/v1/chat/completions`` streaming server-sent events, tool
calls in fragments, usage last); the official ``ollama`` and ``openai``
clients reach it over a real socket. Each chat request takes the next
scripted turn; a turn can carry delays and faults (hang, HTTP 503, a
malformed line, a cut connection). The real model behind the same wire
formats is ``local-voice-llm`` and ``ollama_double``.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from dataclasses import dataclass, field
from typing import Any, Final, Literal, Self

from aiohttp import web

from .ports import free_port

type Fault = Literal["hang", "status_503", "malformed_line", "disconnect", "arguments_as_string"]
FAULTS: Final = ("hang", "status_503", "malformed_line", "disconnect", "arguments_as_string")
CHARS_PER_TOKEN: Final = 4  # the estimate used for prompt_eval_count (labelled as such)


@dataclass(slots=True)
class ScriptedTurn:
    """One model answer: text streamed in pieces, then optional tool calls."""

    text: str = ""
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    first_token_delay_s: float = 0.0
    token_delay_s: float = 0.0
    fault: Fault | None = None

    def __post_init__(self) -> None:
        if self.fault is not None and self.fault not in FAULTS:
            raise ValueError(f"unknown fault {self.fault!r}; expected one of {FAULTS}")
        if self.first_token_delay_s < 0 or self.token_delay_s < 0:
            raise ValueError("delays must be >= 0")
        for call in self.tool_calls:
            if not isinstance(call.get("name"), str):
                raise TypeError(f"tool call needs a string name: {call!r}")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScriptedTurn:
        """Build from JSON (the CLI's ``--script`` file)."""
        return cls(
            text=str(data.get("text", "")),
            tool_calls=list(data.get("tool_calls", [])),
            first_token_delay_s=float(data.get("first_token_delay_s", 0.0)),
            token_delay_s=float(data.get("token_delay_s", 0.0)),
            fault=data.get("fault"),
        )


def tool_call(tool: str, /, **arguments: Any) -> dict[str, Any]:
    """A scripted tool call (shorthand for tests)."""
    return {"name": tool, "arguments": arguments}


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000000000Z", time.gmtime())


def _digest(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


def _model_entry(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "model": name,
        "modified_at": _now(),
        "size": 2_019_393_189,
        "digest": _digest(name),
        "details": {
            "parent_model": "",
            "format": "gguf",
            "family": "llama",
            "families": ["llama"],
            "parameter_size": "3.2B",
            "quantization_level": "Q4_K_M",
        },
    }


class FakeOllama:
    """The server. ``async with FakeOllama(...) as server:`` then use ``server.url``."""

    def __init__(
        self,
        *,
        models: list[str] | None = None,
        pullable: list[str] | None = None,
        pull_steps: int = 4,
        pull_step_delay_s: float = 0.0,
        default_turn: ScriptedTurn | None = None,
        host: str = "127.0.0.1",
        port: int | None = None,
    ) -> None:
        self.models: list[str] = list(models if models is not None else ["llama3.2:latest"])
        self.pullable: set[str] = set(pullable or [])
        self.pull_steps = pull_steps
        self.pull_step_delay_s = pull_step_delay_s
        self.default_turn = default_turn or ScriptedTurn(text="I can't help with that.")
        self.script: list[ScriptedTurn] = []
        self.chat_requests: list[dict[str, Any]] = []
        self.warm_requests: list[dict[str, Any]] = []  # one-token requests: prompt warm-ups
        self.tags_fault: Literal["status_500", "hang", "garbage"] | None = None
        self.host = host
        self.port = port or free_port(host)
        self._runner: web.AppRunner | None = None
        self._stopping = asyncio.Event()

    @property
    def url(self) -> str:
        """Base URL for the ``ollama`` client."""
        return f"http://{self.host}:{self.port}"

    def add_turns(self, *turns: ScriptedTurn) -> None:
        """Queue model answers; each chat request takes the next one."""
        self.script.extend(turns)

    async def start(self) -> None:
        """Listen on ``host:port``."""
        app = web.Application()
        app.router.add_get("/api/version", self._version)
        app.router.add_get("/api/tags", self._tags)
        app.router.add_post("/api/show", self._show)
        app.router.add_post("/api/pull", self._pull)
        app.router.add_post("/api/chat", self._chat)
        app.router.add_get("/v1/models", self._openai_models)
        app.router.add_post("/v1/chat/completions", self._openai_chat)
        self._runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.5)
        self._stopping.clear()
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()

    async def stop(self) -> None:
        """Close the socket and every open response."""
        self._stopping.set()  # ends every "hang" fault at once
        if self._runner is not None:
            await asyncio.sleep(0)
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    # --- endpoints ---------------------------------------------------------

    async def _version(self, _request: web.Request) -> web.Response:
        return web.json_response({"version": "0.6.5"})

    async def _tags(self, _request: web.Request) -> web.StreamResponse:
        if self.tags_fault == "hang":
            await self._hang()
        if self.tags_fault == "status_500":
            return web.json_response({"error": "internal error"}, status=500)
        if self.tags_fault == "garbage":
            return web.Response(text="<html>not ollama</html>", content_type="text/html")
        return web.json_response({"models": [_model_entry(m) for m in self.models]})

    async def _show(self, request: web.Request) -> web.Response:
        body = await request.json()
        name = body.get("model") or body.get("name")
        if name not in self.models:
            return web.json_response({"error": f"model '{name}' not found"}, status=404)
        return web.json_response(
            {
                "modelfile": f"FROM {name}",
                "parameters": "stop <|eot_id|>",
                "template": "{{ .Prompt }}",
                "details": _model_entry(name)["details"],
                "model_info": {"general.architecture": "llama", "llama.context_length": 131072},
                "capabilities": ["completion", "tools"],
                "modified_at": _now(),
            }
        )

    async def _pull(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        name = str(body.get("model") or body.get("name") or "")
        response = await self._ndjson(request)
        if name not in self.pullable and name not in self.models:
            await self._line(response, {"status": "pulling manifest"})
            await self._line(response, {"error": "pull model manifest: file does not exist"})
            return response
        await self._line(response, {"status": "pulling manifest"})
        total = 1_000_000
        digest = f"sha256:{_digest(name)}"
        for step in range(1, self.pull_steps + 1):
            await asyncio.sleep(self.pull_step_delay_s)
            completed = total * step // self.pull_steps
            await self._line(
                response,
                {
                    "status": f"pulling {digest[7:19]}",
                    "digest": digest,
                    "total": total,
                    "completed": completed,
                },
            )
        for status in ("verifying sha256 digest", "writing manifest", "success"):
            await self._line(response, {"status": status})
        if name not in self.models:
            self.models.append(name)
        return response

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        if (body.get("options") or {}).get("num_predict") == 1:  # a prompt warm-up
            self.warm_requests.append(body)
            final = self._final(body.get("model", ""), body, {"role": "assistant", "content": "."})
            return (
                web.json_response(final)
                if not body.get("stream", True)
                else (await self._lines(request, [final]))
            )
        self.chat_requests.append(body)
        model = body.get("model", "")
        if model not in self.models:
            return web.json_response({"error": f"model '{model}' not found"}, status=404)
        turn = self.script.pop(0) if self.script else self.default_turn
        if turn.fault == "status_503":
            return web.json_response({"error": "server busy"}, status=503)
        await asyncio.sleep(turn.first_token_delay_s)
        if turn.fault == "hang":
            await self._hang()
        calls = _wire_calls(turn)
        if not body.get("stream", True):
            message: dict[str, Any] = {"role": "assistant", "content": turn.text}
            if calls:
                message["tool_calls"] = calls
            return web.json_response(self._final(model, body, message))
        return await self._stream(request, body, turn, calls)

    async def _stream(
        self,
        request: web.Request,
        body: dict[str, Any],
        turn: ScriptedTurn,
        calls: list[dict[str, Any]],
    ) -> web.StreamResponse:
        """Text pieces, then tool calls, then the final ``done`` line (or a fault)."""
        model = body.get("model", "")
        response = await self._ndjson(request)
        for index, piece in enumerate(_pieces(turn.text)):
            if index:
                await asyncio.sleep(turn.token_delay_s)
            await self._line(response, self._chunk(model, {"role": "assistant", "content": piece}))
            if turn.fault == "malformed_line" and index == 0:
                await response.write(b'{"model": "broken", "message": {"role"\n')
            if turn.fault == "disconnect" and index == 0:
                assert request.transport is not None
                request.transport.close()
                return response
        if calls:
            chunk = {"role": "assistant", "content": "", "tool_calls": calls}
            await self._line(response, self._chunk(model, chunk))
        await self._line(response, self._final(model, body, {"role": "assistant", "content": ""}))
        return response

    async def _openai_models(self, _request: web.Request) -> web.Response:
        if self.tags_fault == "status_500":
            return web.json_response({"error": {"message": "internal error"}}, status=500)
        data = [
            {"id": m, "object": "model", "created": 0, "owned_by": "local"} for m in self.models
        ]
        return web.json_response({"object": "list", "data": data})

    async def _openai_chat(self, request: web.Request) -> web.StreamResponse:  # noqa: C901 - one scripted answer, in order
        body = await request.json()
        warm = body.get("max_tokens") == 1  # a prompt warm-up: answered, not scripted
        (self.warm_requests if warm else self.chat_requests).append(body)
        model = body.get("model", "")
        if model not in self.models:
            error = {"message": f"model '{model}' not found", "type": "invalid_request_error"}
            return web.json_response({"error": error}, status=404)
        turn = (
            ScriptedTurn(text=".")
            if warm
            else (self.script.pop(0) if self.script else self.default_turn)
        )
        if turn.fault == "status_503":
            return web.json_response({"error": {"message": "server busy"}}, status=503)
        await asyncio.sleep(turn.first_token_delay_s)
        if turn.fault == "hang":
            await self._hang()
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)

        async def event(delta: dict[str, Any], finish: str | None = None) -> None:
            choice = {"index": 0, "delta": delta, "finish_reason": finish}
            chunk = {"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": model,
                     "choices": [choice]}  # fmt: skip
            await response.write(b"data: " + json.dumps(chunk).encode() + b"\n\n")

        await event({"role": "assistant", "content": ""})
        for index, piece in enumerate(_pieces(turn.text)):
            if index:
                await asyncio.sleep(turn.token_delay_s)
            await event({"content": piece})
            if turn.fault == "malformed_line" and index == 0:
                await response.write(b'data: {"id": "c1", "choices": [\n\n')
            if turn.fault == "disconnect" and index == 0:
                assert request.transport is not None
                request.transport.close()
                return response
        for number, call in enumerate(turn.tool_calls):
            arguments = json.dumps(call.get("arguments", {}))
            half = len(arguments) // 2  # arguments arrive in fragments, as from real servers
            head = {"index": number, "id": f"call_{number}", "type": "function",
                    "function": {"name": call["name"], "arguments": arguments[:half]}}  # fmt: skip
            await event({"tool_calls": [head]})
            await event(
                {"tool_calls": [{"index": number, "function": {"arguments": arguments[half:]}}]}
            )
        await event({}, "tool_calls" if turn.tool_calls else "stop")
        if (body.get("stream_options") or {}).get("include_usage"):
            prompt = len(json.dumps(body.get("messages", []))) // CHARS_PER_TOKEN
            usage = {"prompt_tokens": prompt, "completion_tokens": len(turn.text) // 4 + 1,
                     "total_tokens": prompt + len(turn.text) // 4 + 1}  # fmt: skip
            chunk = {"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": model,
                     "choices": [], "usage": usage}  # fmt: skip
            await response.write(b"data: " + json.dumps(chunk).encode() + b"\n\n")
        await response.write(b"data: [DONE]\n\n")
        return response

    async def _hang(self) -> None:
        """Never answer, until the server stops."""
        await self._stopping.wait()

    # --- wire helpers ------------------------------------------------------

    async def _lines(self, request: web.Request, lines: list[dict[str, Any]]) -> web.StreamResponse:
        response = await self._ndjson(request)
        for line in lines:
            await self._line(response, line)
        return response

    @staticmethod
    async def _ndjson(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/x-ndjson"})
        await response.prepare(request)
        return response

    @staticmethod
    async def _line(response: web.StreamResponse, data: dict[str, Any]) -> None:
        await response.write(json.dumps(data).encode() + b"\n")

    @staticmethod
    def _chunk(model: str, message: dict[str, Any]) -> dict[str, Any]:
        return {"model": model, "created_at": _now(), "message": message, "done": False}

    @staticmethod
    def _final(model: str, body: dict[str, Any], message: dict[str, Any]) -> dict[str, Any]:
        prompt_chars = len(json.dumps(body.get("messages", []))) + len(
            json.dumps(body.get("tools") or [])
        )
        return {
            "model": model,
            "created_at": _now(),
            "message": message,
            "done": True,
            "done_reason": "stop",
            "total_duration": 1,
            "load_duration": 1,
            "prompt_eval_count": prompt_chars // CHARS_PER_TOKEN,  # estimate, not a tokenizer
            "prompt_eval_duration": 1,
            "eval_count": max(1, len(message.get("content", "")) // CHARS_PER_TOKEN),
            "eval_duration": 1,
        }


def _wire_calls(turn: ScriptedTurn) -> list[dict[str, Any]]:
    """Tool calls as Ollama sends them (arguments as one string for that fault)."""
    calls = [
        {"function": {"name": c["name"], "arguments": c.get("arguments", {})}}
        for c in turn.tool_calls
    ]
    if turn.fault == "arguments_as_string":
        for call in calls:
            call["function"]["arguments"] = json.dumps(call["function"]["arguments"])
    return calls


def _pieces(text: str) -> list[str]:
    """Split text into word-sized stream pieces, as a model streams tokens."""
    if not text:
        return []
    words = text.split(" ")
    return [w if i == 0 else " " + w for i, w in enumerate(words)]


if __name__ == "__main__":
    from .fake_ollama_cli import run

    run()
