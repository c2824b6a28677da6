"""Ollama's own API through the official ``ollama`` client.

The client raises a mix of ``httpx`` errors, its own ``ResponseError`` and
``RequestError``, ``ConnectionError`` and pydantic or JSON errors on a broken
stream; they are mapped once, here, onto the ``ModelError`` family.
"""

from __future__ import annotations

import asyncio
import json
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import httpx
import ollama
import pydantic
from homeassistant.util.ssl import get_default_context

from ..const import BACKEND_OLLAMA
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

UNREACHABLE: Final[tuple[type[BaseException], ...]] = (
    TimeoutError,
    ConnectionError,
    httpx.TransportError,
)
UNREADABLE: Final[tuple[type[BaseException], ...]] = (
    ollama.RequestError,
    httpx.HTTPError,
    json.JSONDecodeError,
    pydantic.ValidationError,
    KeyError,
    TypeError,
    ValueError,
)


@dataclass(frozen=True, slots=True)
class PullProgress:
    """One line of ``/api/pull`` progress."""

    status: str
    completed: int
    total: int

    @property
    def fraction(self) -> float:
        """Share of the current layer done, 0..1 (0 when unknown)."""
        if self.total <= 0:
            return 0.0
        return max(0.0, min(1.0, self.completed / self.total))


class OllamaBackend(ModelBackend):
    """An Ollama server."""

    kind = BACKEND_OLLAMA

    def __init__(self, url: str, timeout: float) -> None:
        # The SSL context is built by HA once, off the event loop.
        self.client = ollama.AsyncClient(host=url, timeout=timeout, verify=get_default_context())

    async def async_list_models(self, deadline_s: float) -> list[str]:
        """Names of the server's models, sorted."""
        with _mapped_errors():
            async with asyncio.timeout(deadline_s):
                response = await self.client.list()
        return sorted({m.model for m in response.models if m.model})

    async def async_pull(self, model: str) -> AsyncIterator[PullProgress]:
        """Stream the progress of pulling ``model``."""
        with _mapped_errors():
            stream = await self.client.pull(model, stream=True)
            async for part in stream:
                yield PullProgress(
                    status=str(part.status or ""),
                    completed=int(part.completed or 0),
                    total=int(part.total or 0),
                )

    async def chat(self, request: ChatRequest) -> AsyncIterator[ChatChunk]:
        """Stream one answer from ``/api/chat``."""
        options: dict[str, Any] = {
            "temperature": request.temperature,
            "num_predict": request.max_tokens,
        }
        if request.num_ctx:
            options["num_ctx"] = request.num_ctx
        keep_alive = f"{request.keep_alive}s" if request.keep_alive is not None else None
        with _mapped_errors():
            stream = await self.client.chat(
                model=request.model,
                messages=[_message(m) for m in request.messages],
                tools=request.tools or None,
                stream=True,
                keep_alive=keep_alive,
                options=options,
            )
            async for response in stream:
                yield _chunk(response)


def _message(message: dict[str, Any]) -> dict[str, Any]:
    """A neutral message as Ollama's."""
    out: dict[str, Any] = {"role": message["role"], "content": message.get("content") or ""}
    if calls := message.get("tool_calls"):
        out["tool_calls"] = [
            {"function": {"name": c["name"], "arguments": c["arguments"]}} for c in calls
        ]
    if message["role"] == "tool" and message.get("name"):
        out["tool_name"] = message["name"]
    return out


def _chunk(response: ollama.ChatResponse) -> ChatChunk:
    message = response.message
    calls = tuple(
        ToolCall(call.function.name, dict(call.function.arguments or {}))
        for call in message.tool_calls or ()
    )
    usage = None
    if response.done:
        usage = Usage(
            prompt_tokens=response.prompt_eval_count, completion_tokens=response.eval_count
        )
    return ChatChunk(content=message.content or "", tool_calls=calls, usage=usage)


@contextmanager
def _mapped_errors() -> Iterator[None]:
    """Map the client's errors onto ``ModelError``."""
    try:
        yield
    except ModelError:
        raise
    except ollama.ResponseError as err:
        raise ModelFailedError(f"status {err.status_code}: {err.error}") from err
    except UNREACHABLE as err:
        raise ModelUnreachableError(str(err) or type(err).__name__) from err
    except UNREADABLE as err:
        raise ModelAnswerError(f"{type(err).__name__}: {err}") from err
