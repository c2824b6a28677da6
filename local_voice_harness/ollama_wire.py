"""Ollama's chat wire format to OpenAI's and back, checked at the boundary.

Used by :mod:`local_voice_harness.ollama_double`. An Ollama ``/api/chat``
body is validated (types, sizes, roles) and becomes an OpenAI
``/v1/chat/completions`` body: assistant ``tool_calls`` get ids and their
argument objects become JSON strings, tool results are matched to those ids,
``options`` map to sampling fields, ``format`` to ``response_format``. The
upstream's streamed chunks fold back into Ollama's: text as
``message.content`` (verbatim, bare-JSON tool calls included, as Ollama
passes them), OpenAI ``tool_calls`` as Ollama ``tool_calls`` with argument
objects, and the closing counts and durations in nanoseconds.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any, Final

MAX_MESSAGES: Final = 2048
MAX_TOOLS: Final = 256
ROLES: Final = frozenset({"system", "user", "assistant", "tool"})
# Ollama option -> (OpenAI field, accepted JSON types). num_ctx is accepted and
# checked but not forwarded: the upstream's context is fixed when it starts.
_OPTIONS: Final[dict[str, tuple[str | None, tuple[type, ...]]]] = {
    "temperature": ("temperature", (int, float)),
    "top_p": ("top_p", (int, float)),
    "top_k": ("top_k", (int,)),
    "min_p": ("min_p", (int, float)),
    "seed": ("seed", (int,)),
    "num_predict": ("max_tokens", (int,)),
    "stop": ("stop", (list, str)),
    "repeat_penalty": ("repeat_penalty", (int, float)),
    "presence_penalty": ("presence_penalty", (int, float)),
    "frequency_penalty": ("frequency_penalty", (int, float)),
    "num_ctx": (None, (int,)),
}
_NS_PER_MS: Final = 1_000_000


class OllamaRequestError(ValueError):
    """A request Ollama would refuse; ``status`` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def created_at() -> str:
    """Ollama's timestamp: RFC 3339 in UTC with nanoseconds."""
    now = time.time_ns()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now // 1_000_000_000)) + (
        f".{now % 1_000_000_000:09d}Z"
    )


def _is_number(value: Any, types: tuple[type, ...]) -> bool:
    return isinstance(value, types) and not isinstance(value, bool)


def _check_option(key: str, value: Any) -> None:
    if not _is_number(value, _OPTIONS[key][1]):
        raise OllamaRequestError(f"option {key!r} has the wrong type: {value!r}")
    if key == "stop" and isinstance(value, list) and not all(isinstance(s, str) for s in value):
        raise OllamaRequestError("option 'stop' must be a list of strings")
    if key in {"temperature", "top_p", "min_p"} and value < 0:
        raise OllamaRequestError(f"option {key!r} must not be negative")
    if key == "num_ctx" and value < 1:
        raise OllamaRequestError("option 'num_ctx' must be positive")


def _options(options: Any) -> dict[str, Any]:
    if options is None:
        return {}
    if not isinstance(options, dict):
        raise OllamaRequestError("options must be an object")
    mapped: dict[str, Any] = {}
    for key, value in options.items():
        if key not in _OPTIONS:
            continue  # Ollama ignores options a runner does not know
        _check_option(key, value)
        target = _OPTIONS[key][0]
        if key == "num_predict" and value < 0:
            continue  # -1 (no limit) and -2 (fill the context) are the upstream's default
        if target is not None:
            mapped[target] = value
    return mapped


def _tool_calls(calls: Any, counter: list[int]) -> list[dict[str, Any]]:
    if not isinstance(calls, list):
        raise OllamaRequestError("message.tool_calls must be a list")
    out = []
    for call in calls:
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            raise OllamaRequestError("each tool call needs function.name")
        arguments = function.get("arguments", {})
        if not isinstance(arguments, dict):
            raise OllamaRequestError("tool call arguments must be an object")
        counter[0] += 1
        out.append(
            {
                "id": f"call_{counter[0]}",
                "type": "function",
                "function": {"name": function["name"], "arguments": json.dumps(arguments)},
            }
        )
    return out


def _message(
    index: int, message: Any, pending: list[dict[str, Any]], counter: list[int]
) -> dict[str, Any]:
    """One message as OpenAI's; ``pending`` holds the last assistant turn's unanswered calls."""
    if not isinstance(message, dict):
        raise OllamaRequestError(f"messages[{index}] must be an object")
    role, content = message.get("role"), message.get("content", "")
    if role not in ROLES:
        raise OllamaRequestError(f"messages[{index}].role must be one of {sorted(ROLES)}")
    if not isinstance(content, str):
        raise OllamaRequestError(f"messages[{index}].content must be a string")
    if message.get("images"):
        raise OllamaRequestError("this model does not support images")
    converted: dict[str, Any] = {"role": role, "content": content}
    if role == "assistant" and message.get("tool_calls"):
        pending[:] = _tool_calls(message["tool_calls"], counter)
        converted["tool_calls"] = list(pending)
    elif role == "tool":
        name = message.get("tool_name")
        if name is not None and not isinstance(name, str):
            raise OllamaRequestError(f"messages[{index}].tool_name must be a string")
        match = next((c for c in pending if c["function"]["name"] == name), None)
        match = match or (pending[0] if pending else None)
        if match is not None:
            pending.remove(match)
            converted["tool_call_id"] = match["id"]
    return converted


def _messages(messages: Any) -> list[dict[str, Any]]:
    """Ollama messages as OpenAI's; tool results answer the calls before them in order."""
    if not isinstance(messages, list):
        raise OllamaRequestError("messages must be a list")
    if len(messages) > MAX_MESSAGES:
        raise OllamaRequestError(f"too many messages: {len(messages)} > {MAX_MESSAGES}")
    pending: list[dict[str, Any]] = []
    counter = [0]
    return [_message(i, m, pending, counter) for i, m in enumerate(messages)]


def _tools(tools: Any) -> list[dict[str, Any]]:
    if tools is None:
        return []
    if not isinstance(tools, list) or len(tools) > MAX_TOOLS:
        raise OllamaRequestError(f"tools must be a list of at most {MAX_TOOLS}")
    for tool in tools:
        function = tool.get("function") if isinstance(tool, dict) else None
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            raise OllamaRequestError("each tool needs type 'function' and function.name")
    return tools


def _response_format(fmt: Any) -> dict[str, Any] | None:
    if fmt in (None, ""):
        return None
    if fmt == "json":
        return {"type": "json_object"}
    if isinstance(fmt, dict):
        return {"type": "json_schema", "json_schema": {"name": "format", "schema": fmt}}
    raise OllamaRequestError("format must be 'json' or a JSON schema object")


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """A validated ``/api/chat`` request and the upstream body it becomes."""

    model: str
    stream: bool
    openai: dict[str, Any]


def parse_chat(body: Any, upstream_model: str) -> ChatRequest:
    """Validate an ``/api/chat`` body (its model already checked) into an OpenAI request."""
    if not isinstance(body, dict):
        raise OllamaRequestError("the request body must be a JSON object")
    stream = body.get("stream", True)
    if not isinstance(stream, bool):
        raise OllamaRequestError("stream must be true or false")
    keep_alive = body.get("keep_alive")
    if keep_alive is not None and not _is_number(keep_alive, (str, int, float)):
        raise OllamaRequestError("keep_alive must be a duration string or a number of seconds")
    if body.get("think") not in (None, False):
        raise OllamaRequestError(f"{body.get('model')!r} does not support thinking")
    openai: dict[str, Any] = {
        "model": upstream_model,
        "messages": _messages(body.get("messages") or []),
        "stream": True,
        "stream_options": {"include_usage": True},
        **_options(body.get("options")),
    }
    if tools := _tools(body.get("tools")):
        openai["tools"] = tools
    if (response_format := _response_format(body.get("format"))) is not None:
        openai["response_format"] = response_format
    return ChatRequest(model=str(body["model"]), stream=stream, openai=openai)


@dataclass(slots=True)
class _PartialCall:
    name: str = ""
    arguments: str = ""


@dataclass(slots=True)
class ChatResult:
    """What the upstream's chunks added up to, for Ollama's closing line."""

    started_ns: int = field(default_factory=time.monotonic_ns)
    first_token_ns: int | None = None
    finish_reason: str | None = None
    usage: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, Any] = field(default_factory=dict)
    content: list[str] = field(default_factory=list)
    calls: dict[int, _PartialCall] = field(default_factory=dict)

    def add_chunk(self, chunk: dict[str, Any]) -> dict[str, str]:
        """Fold in one upstream chunk; return the text pieces to stream now."""
        if isinstance(usage := chunk.get("usage"), dict):
            self.usage = usage
        if isinstance(timings := chunk.get("timings"), dict):
            self.timings = timings
        choices = chunk.get("choices")
        choice = choices[0] if isinstance(choices, list) and choices else {}
        choice = choice if isinstance(choice, dict) else {}
        if isinstance(reason := choice.get("finish_reason"), str):
            self.finish_reason = reason
        delta = choice.get("delta")
        delta = delta if isinstance(delta, dict) else {}
        pieces = {}
        for upstream_key, key in (("content", "content"), ("reasoning_content", "thinking")):
            if isinstance(text := delta.get(upstream_key), str) and text:
                pieces[key] = text
        calls = delta.get("tool_calls")
        self._add_call_deltas(calls if isinstance(calls, list) else [])
        if pieces or calls:
            self.first_token_ns = self.first_token_ns or time.monotonic_ns()
        if "content" in pieces:
            self.content.append(pieces["content"])
        return pieces

    def _add_call_deltas(self, calls: list[Any]) -> None:
        """OpenAI streams a call's name and argument text in pieces, keyed by index."""
        for call in calls:
            if not isinstance(call, dict) or not isinstance(call.get("function"), dict):
                continue
            index = call.get("index", 0)
            partial = self.calls.setdefault(index if isinstance(index, int) else 0, _PartialCall())
            function = call["function"]
            partial.name += function.get("name") if isinstance(function.get("name"), str) else ""
            arguments = function.get("arguments")
            if isinstance(arguments, dict):  # some servers send objects, not JSON text
                arguments = json.dumps(arguments)
            partial.arguments += arguments if isinstance(arguments, str) else ""

    def tool_calls(self) -> list[dict[str, Any]]:
        """Complete calls in Ollama's shape; unparseable arguments become an empty object."""
        calls = []
        for _, partial in sorted(self.calls.items()):
            try:
                arguments = json.loads(partial.arguments or "{}")
            except ValueError:
                arguments = {}
            calls.append(
                {
                    "function": {
                        "name": partial.name,
                        "arguments": arguments if isinstance(arguments, dict) else {},
                    }
                }
            )
        return calls

    def closing(self) -> dict[str, Any]:
        """``done_reason``, counts and durations (ns); upstream timings where it gave them."""
        now = time.monotonic_ns()
        first = self.first_token_ns or now
        prompt_ms = _number(self.timings, "prompt_ms")
        eval_ms = _number(self.timings, "predicted_ms")
        prompt_count = _number(self.usage, "prompt_tokens") or _number(self.timings, "prompt_n")
        eval_count = _number(self.usage, "completion_tokens") or _number(
            self.timings, "predicted_n"
        )
        return {
            "done": True,
            "done_reason": "length" if self.finish_reason == "length" else "stop",
            "total_duration": now - self.started_ns,
            "load_duration": 0,
            "prompt_eval_count": int(prompt_count or 0),
            "prompt_eval_duration": (
                round(prompt_ms * _NS_PER_MS) if prompt_ms is not None else first - self.started_ns
            ),
            "eval_count": int(eval_count or 0),
            "eval_duration": round(eval_ms * _NS_PER_MS) if eval_ms is not None else now - first,
        }


def _number(data: dict[str, Any], key: str) -> float | None:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        return None
    return float(value)
