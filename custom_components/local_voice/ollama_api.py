"""The few Ollama calls the agent needs, with errors mapped to our own.

The official ``ollama`` client raises a mix of ``httpx`` errors, its own
``ResponseError``/``RequestError``, ``ConnectionError`` and pydantic or JSON
errors on a broken stream. Setup and the config flow only need to know
"cannot connect" versus "something else", so the mapping lives here once.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx
import ollama
import pydantic
from homeassistant.util.ssl import get_default_context

if TYPE_CHECKING:
    from collections.abc import AsyncIterator


class OllamaError(Exception):
    """Talking to Ollama failed."""


class OllamaUnreachableError(OllamaError):
    """Ollama did not answer: refused, timed out or not HTTP."""


class OllamaBadAnswerError(OllamaError):
    """Ollama answered with an error status or something we cannot read."""


UNREACHABLE_ERRORS: tuple[type[BaseException], ...] = (
    TimeoutError,
    ConnectionError,
    httpx.TransportError,
)
BAD_ANSWER_ERRORS: tuple[type[BaseException], ...] = (
    ollama.ResponseError,
    ollama.RequestError,
    httpx.HTTPError,
    json.JSONDecodeError,
    pydantic.ValidationError,
    KeyError,
    TypeError,
    ValueError,
)


def make_client(url: str, timeout: float) -> ollama.AsyncClient:
    """An official client; the SSL context is built once by HA, off the event loop."""
    return ollama.AsyncClient(host=url, timeout=timeout, verify=get_default_context())


async def async_list_models(client: ollama.AsyncClient, deadline_s: float) -> list[str]:
    """Names of the models the server has, sorted; raise our errors."""
    try:
        async with asyncio.timeout(deadline_s):
            response = await client.list()
    except UNREACHABLE_ERRORS as err:
        raise OllamaUnreachableError(str(err) or type(err).__name__) from err
    except BAD_ANSWER_ERRORS as err:
        raise OllamaBadAnswerError(str(err) or type(err).__name__) from err
    return sorted({m.model for m in response.models if m.model})


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


async def async_pull(client: ollama.AsyncClient, model: str) -> AsyncIterator[PullProgress]:
    """Stream the progress of pulling ``model``; raise our errors."""
    try:
        stream = await client.pull(model, stream=True)
        async for part in stream:
            yield PullProgress(
                status=str(part.status or ""),
                completed=int(part.completed or 0),
                total=int(part.total or 0),
            )
    except UNREACHABLE_ERRORS as err:
        raise OllamaUnreachableError(str(err) or type(err).__name__) from err
    except BAD_ANSWER_ERRORS as err:
        raise OllamaBadAnswerError(str(err) or type(err).__name__) from err
