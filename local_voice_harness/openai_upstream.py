"""A small client for an OpenAI-compatible chat server, every wait bounded.

The Ollama double (:mod:`local_voice_harness.ollama_double`) forwards to it:
``models()`` reads ``/v1/models`` (llama.cpp adds each model's ``meta``:
size, parameters, context), ``chat(body)`` posts a streaming
``/v1/chat/completions`` and yields the server-sent events as objects. A
connect timeout, a read timeout (the longest silence, which covers a cold
prompt's evaluation) and size caps bound everything; failures become
:class:`UpstreamError` with the HTTP status the double answers with: 502
unreachable or malformed, 504 silent, the upstream's own 4xx, 500 otherwise.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import aiohttp
from yarl import URL

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, AsyncIterator

_MAX_ERROR_BODY: Final = 64 * 1024
_MAX_STREAM_BYTES: Final = 32 << 20
_HTTP_OK: Final = 200
_HTTP_SERVER_ERROR: Final = 500


class UpstreamError(Exception):
    """The upstream failed; ``status`` is what to answer the client with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class UpstreamModel:
    """A model the upstream serves, as ``/v1/models`` describes it."""

    id: str
    meta: dict[str, Any]


def openai_base(url: str) -> str:
    """``http://host:port`` or ``http://host:port/v1`` as the ``/v1`` base; ValueError if not."""
    parsed = URL(url)
    if parsed.scheme not in {"http", "https"} or not parsed.host:
        raise ValueError(f"the upstream must be an http(s) URL, got {url!r}")
    base = str(parsed).rstrip("/")
    return base if base.endswith("/v1") else f"{base}/v1"


class OpenAIUpstream:
    """One upstream server; ``close()`` when done."""

    def __init__(self, url: str, *, connect_timeout: float, read_timeout: float) -> None:
        self.base = openai_base(url)
        self._deadline = connect_timeout + read_timeout
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(
                total=None, connect=connect_timeout, sock_read=read_timeout
            )
        )

    async def close(self) -> None:
        """Close every connection."""
        await self._session.close()

    async def models(self) -> list[UpstreamModel]:
        """The models ``/v1/models`` lists."""
        url = f"{self.base}/models"
        try:
            async with asyncio.timeout(self._deadline), self._session.get(url) as response:
                if response.status != _HTTP_OK:
                    raise UpstreamError(502, f"{url} answered HTTP {response.status}")
                data = await response.json(content_type=None)
        except TimeoutError as err:
            raise UpstreamError(504, f"{url} did not answer in time") from err
        except (aiohttp.ClientError, OSError, ValueError) as err:
            raise UpstreamError(502, f"upstream {url} is unreachable or broken: {err}") from err
        entries = data.get("data") if isinstance(data, dict) else None
        if not isinstance(entries, list):
            raise UpstreamError(502, f"{url} did not list models")
        return [
            UpstreamModel(e["id"], e["meta"] if isinstance(e.get("meta"), dict) else {})
            for e in entries
            if isinstance(e, dict) and isinstance(e.get("id"), str)
        ]

    @contextlib.asynccontextmanager
    async def chat(self, body: dict[str, Any]) -> AsyncIterator[AsyncIterator[Any]]:
        """POST a streaming chat; yield its events. A failed status raises before any event.

        Leaving the block closes the connection, so a client that goes away
        mid-answer stops the upstream's generation too.
        """
        url = f"{self.base}/chat/completions"
        try:
            response = await self._session.post(url, json=body)
        except TimeoutError as err:
            raise UpstreamError(504, f"{url} did not answer in time") from err
        except (aiohttp.ClientError, OSError) as err:
            raise UpstreamError(502, f"upstream {url} is unreachable: {err}") from err
        try:
            if response.status != _HTTP_OK:
                message = await _error_message(response)
                raise UpstreamError(min(_HTTP_SERVER_ERROR, response.status), message)
            async with contextlib.aclosing(_events(response)) as events:
                yield events
        finally:
            response.close()


async def _error_message(response: aiohttp.ClientResponse) -> str:
    """The upstream's own error text (OpenAI's shape or plain), capped."""
    text = (await response.content.read(_MAX_ERROR_BODY)).decode(errors="replace")
    with contextlib.suppress(ValueError):
        data = json.loads(text)
        error = data.get("error") if isinstance(data, dict) else None
        message = error.get("message") if isinstance(error, dict) else error
        if isinstance(message, str):
            return message
    return f"upstream answered HTTP {response.status}: {text.strip()[:500]}"


async def _events(response: aiohttp.ClientResponse) -> AsyncGenerator[dict[str, Any]]:
    """``data:`` lines of a server-sent event stream as JSON objects, until ``[DONE]``."""
    received = 0
    try:
        async for raw in response.content:
            received += len(raw)
            if received > _MAX_STREAM_BYTES:
                raise UpstreamError(502, "the upstream's answer is too long")
            line = raw.strip()
            if not line.startswith(b"data:"):
                continue  # blank lines, comments, event names
            data = line[5:].strip()
            if data == b"[DONE]":
                return
            event = json.loads(data)
            if not isinstance(event, dict):
                raise UpstreamError(502, "the upstream sent an event that is not an object")
            if "error" in event:
                error = event["error"]
                message = error.get("message") if isinstance(error, dict) else error
                raise UpstreamError(_HTTP_SERVER_ERROR, str(message))
            yield event
    except ValueError as err:  # bad JSON, or a line longer than the reader's limit
        raise UpstreamError(502, f"the upstream sent a malformed event: {err}") from err
    except (aiohttp.ClientPayloadError, aiohttp.ServerDisconnectedError) as err:
        raise UpstreamError(502, f"the upstream broke off its answer: {err}") from err
