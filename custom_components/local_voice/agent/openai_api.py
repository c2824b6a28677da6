"""Any OpenAI-compatible server through the official ``openai`` client.

llama.cpp's server (and xllamacpp, which bundles it), vLLM, LM Studio and
LocalAI all serve ``/v1/chat/completions`` and ``/v1/models``. Tool-call
deltas arrive in pieces (an index, then the name, then the arguments as
JSON text in fragments); they are put together here and handed on whole.
Usage comes in the last chunk (``stream_options.include_usage``); vLLM and
llama.cpp report prefix-cache hits as ``prompt_tokens_details.cached_tokens``.
"""

from __future__ import annotations

import asyncio
import json
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Final, cast

import httpx
import openai
from homeassistant.util.ssl import get_default_context

from ..const import BACKEND_OPENAI
from .backend import (
    ChatChunk,
    ChatRequest,
    ModelAnswerError,
    ModelBackend,
    ModelError,
    ModelFailedError,
    ModelUnreachableError,
    ToolCall,
    Usage,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

NO_KEY: Final = "local-voice"  # the client insists on a key; local servers ignore it
MAX_TOOL_CALLS: Final = 8  # per answer; more is a runaway


class OpenAIBackend(ModelBackend):
    """An OpenAI-compatible server."""

    kind = BACKEND_OPENAI

    def __init__(self, url: str, timeout: float, api_key: str | None = None) -> None:
        base = url.rstrip("/")
        if not base.endswith("/v1"):
            base += "/v1"
        self._http = httpx.AsyncClient(verify=get_default_context(), timeout=timeout)
        self.client = openai.AsyncOpenAI(
            base_url=base,
            api_key=api_key or NO_KEY,
            timeout=timeout,
            max_retries=0,  # the agent has one deadline per answer; no silent retries
            http_client=self._http,
        )

    async def async_list_models(self, deadline_s: float) -> list[str]:
        """Ids of the server's models, sorted."""
        with _mapped_errors():
            async with asyncio.timeout(deadline_s):
                page = await self.client.models.list()
            return sorted({m.id for m in page.data if m.id})

    async def chat(self, request: ChatRequest) -> AsyncIterator[ChatChunk]:
        """Stream one answer from ``/v1/chat/completions``."""
        calls: dict[int, dict[str, Any]] = {}
        with _mapped_errors():
            stream = await self.client.chat.completions.create(
                model=request.model,
                messages=cast("Any", [_message(m) for m in request.messages]),
                tools=cast("Any", request.tools) if request.tools else openai.omit,
                temperature=request.temperature,
                max_tokens=request.max_tokens,
                stream=True,
                stream_options={"include_usage": True},
            )
            async for chunk in stream:
                usage = _usage(chunk.usage) if chunk.usage else None
                text = ""
                for choice in chunk.choices:
                    delta = choice.delta
                    text += delta.content or ""
                    for part in delta.tool_calls or ():
                        _merge(calls, part)
                if text or usage:
                    yield ChatChunk(content=text, usage=usage)
        if calls:
            yield ChatChunk(tool_calls=tuple(_tool_call(c) for _, c in sorted(calls.items())))

    async def async_close(self) -> None:
        """Close the HTTP connections."""
        await self._http.aclose()


def _message(message: dict[str, Any]) -> dict[str, Any]:
    """A neutral message as OpenAI's."""
    role = message["role"]
    out: dict[str, Any] = {"role": role, "content": message.get("content") or ""}
    if role == "assistant" and (calls := message.get("tool_calls")):
        out["tool_calls"] = [
            {
                "id": c.get("id") or f"call_{i}",
                "type": "function",
                "function": {"name": c["name"], "arguments": json.dumps(c["arguments"])},
            }
            for i, c in enumerate(calls)
        ]
    if role == "tool":
        out["tool_call_id"] = message.get("tool_call_id") or "call_0"
    return out


def _merge(calls: dict[int, dict[str, Any]], part: Any) -> None:
    """Add one streamed fragment of a tool call."""
    index = int(part.index or 0)
    if index >= MAX_TOOL_CALLS:
        raise ModelAnswerError(f"more than {MAX_TOOL_CALLS} tool calls in one answer")
    call = calls.setdefault(index, {"id": None, "name": "", "arguments": ""})
    if part.id:
        call["id"] = part.id
    if part.function is not None:
        call["name"] += part.function.name or ""
        call["arguments"] += part.function.arguments or ""


def _tool_call(call: dict[str, Any]) -> ToolCall:
    text = call["arguments"].strip() or "{}"
    try:
        arguments = json.loads(text)
    except json.JSONDecodeError as err:
        raise ModelAnswerError(f"tool call {call['name']!r} arguments are not JSON") from err
    if not isinstance(arguments, dict):
        raise ModelAnswerError(f"tool call {call['name']!r} arguments are not an object")
    return ToolCall(call["name"], arguments, call["id"])


def _usage(usage: Any) -> Usage:
    details = getattr(usage, "prompt_tokens_details", None)
    cached = getattr(details, "cached_tokens", None) if details else None
    return Usage(usage.prompt_tokens, cached, usage.completion_tokens)


@contextmanager
def _mapped_errors() -> Iterator[None]:
    """Map the client's errors onto ``ModelError``."""
    try:
        yield
    except ModelError:
        raise
    except openai.APIStatusError as err:
        raise ModelFailedError(f"status {err.status_code}: {err.message}") from err
    except (openai.APIConnectionError, openai.APITimeoutError, TimeoutError, OSError) as err:
        raise ModelUnreachableError(str(err) or type(err).__name__) from err
    except (openai.APIError, httpx.HTTPError, ValueError, TypeError, KeyError) as err:
        raise ModelAnswerError(f"{type(err).__name__}: {err}") from err
