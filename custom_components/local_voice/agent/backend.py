"""What the agent needs from a language model server, whatever its API.

Two backends implement ``ModelBackend``: ``ollama_api`` (Ollama's own API
through the official ``ollama`` client) and ``openai_api`` (any
OpenAI-compatible server through the official ``openai`` client: llama.cpp's
server, xllamacpp, vLLM, LM Studio, LocalAI). Both stream, and both raise
only the ``ModelError`` family, each error with the sentence the user hears.

Messages use one neutral form (the OpenAI chat form): ``role`` system, user,
assistant or tool; ``content``; ``tool_calls`` (``id``, ``name``,
``arguments`` as an object) on assistant messages; ``tool_call_id`` and
``name`` on tool messages.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

SPOKEN_TIMEOUT: Final = "Sorry, the language model did not answer in time."
SPOKEN_UNREACHABLE: Final = "Sorry, I can't reach the language model right now."
SPOKEN_BROKEN: Final = "Sorry, the language model sent an answer I could not read."
SPOKEN_FAILING: Final = "Sorry, the language model is not available right now."
SPOKEN_RUNAWAY: Final = "Sorry, the language model's answer ran on too long."


class ModelError(Exception):
    """Talking to the model failed; ``spoken`` is what the user hears."""

    spoken: str = SPOKEN_FAILING


class ModelUnreachableError(ModelError):
    """The server did not answer: refused, timed out, not HTTP."""

    spoken = SPOKEN_UNREACHABLE


class ModelFailedError(ModelError):
    """The server answered with an error status (unknown model, overloaded, ...)."""

    spoken = SPOKEN_FAILING


class ModelAnswerError(ModelError):
    """The answer could not be read (malformed stream, wrong types)."""

    spoken = SPOKEN_BROKEN


class ModelRunawayError(ModelError):
    """The answer went past the length cap."""

    spoken = SPOKEN_RUNAWAY


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A call the model asked for; the arguments are not validated yet."""

    name: str
    arguments: dict[str, Any]
    id: str | None = None


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts of one model answer, as far as the server reports them."""

    prompt_tokens: int | None = None
    cached_tokens: int | None = None  # prompt tokens served from the server's prefix cache
    completion_tokens: int | None = None


@dataclass(frozen=True, slots=True)
class ChatChunk:
    """One piece of a streamed answer."""

    content: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    usage: Usage | None = None  # on the last chunk, when known


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """One request to the model."""

    model: str
    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]] | None = None  # OpenAI function schemas
    temperature: float = 0.2
    num_ctx: int | None = None  # Ollama only: the context to load the model with
    keep_alive: int | None = None  # Ollama only: seconds, -1 forever
    max_tokens: int = 512
    extra: dict[str, Any] = field(default_factory=dict)


class ModelBackend(abc.ABC):
    """A language model server."""

    kind: str  # const.BACKEND_*

    @abc.abstractmethod
    async def async_list_models(self, deadline_s: float) -> list[str]:
        """The models the server offers, sorted; raises ``ModelError``."""

    @abc.abstractmethod
    def chat(self, request: ChatRequest) -> AsyncIterator[ChatChunk]:
        """Stream one answer; raises ``ModelError``."""

    async def async_close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""
