"""An Ollama server with a real model inside: Ollama's wire format over an OpenAI upstream.

Ollama itself cannot be installed here, so tests and benchmarks that need
Ollama's API with a real model talk to this double, which forwards to an
OpenAI-compatible server (``local-voice-llm``, or any other). It answers
``GET /``, ``GET /api/version``, ``GET /api/tags``, ``POST /api/show``,
``GET /api/ps`` and ``POST /api/chat`` (streaming NDJSON or one object) as
Ollama does: model names with a tag (``<id>:latest``), the model's text as
``message.content`` untouched (a bare-JSON tool call the model writes stays
text, as real Ollama leaves it for these models), upstream ``tool_calls`` as
Ollama's with argument objects, and a closing line with ``done_reason``,
token counts and nanosecond durations taken from the upstream's ``usage`` and
llama.cpp's ``timings``. Errors are Ollama's ``{"error": "..."}``: 400 for a
bad request, 404 for an unknown model, 502 when the upstream cannot be
reached, 504 when it does not answer in time; after streaming has begun, an
error is the last line, as Ollama sends it. Every upstream call is bounded by
a connect timeout, a read timeout and an overall deadline.

The scripted stand-in :mod:`local_voice_harness.fake_ollama` remains for
fast tests that need faults or fixed answers.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Self

from aiohttp import web

from .ollama_wire import ChatResult, OllamaRequestError, created_at, parse_chat
from .openai_upstream import OpenAIUpstream, UpstreamError, openai_base
from .ports import free_port

if TYPE_CHECKING:
    from .openai_upstream import UpstreamModel

_LOGGER = logging.getLogger(__name__)

OLLAMA_VERSION: Final = "0.13.0"  # the Ollama release whose API this double follows
DEFAULT_PORT: Final = 11434


@dataclass(frozen=True, slots=True)
class DoubleConfig:
    """Where the upstream is, what to call its model, and how long to wait."""

    upstream: str  # http://host:port, with or without /v1
    name: str | None = None  # list the upstream's first model as this; default "<id>:latest"
    connect_timeout: float = 5.0
    read_timeout: float = 120.0  # longest silence while the upstream evaluates a prompt
    request_timeout: float = 600.0
    max_body_bytes: int = 8 << 20

    def __post_init__(self) -> None:
        openai_base(self.upstream)  # raises ValueError for anything but an http(s) URL
        if self.name is not None and not self.name.strip():
            raise ValueError("name must not be empty")
        for label, value in (
            ("connect_timeout", self.connect_timeout),
            ("read_timeout", self.read_timeout),
            ("request_timeout", self.request_timeout),
            ("max_body_bytes", self.max_body_bytes),
        ):
            if not value > 0:
                raise ValueError(f"{label} must be positive, got {value}")


def _parameter_size(count: Any) -> str:
    if not isinstance(count, int) or count <= 0:
        return ""
    return f"{count / 1e9:.1f}B" if count >= 1e9 else f"{count / 1e6:.2f}M"  # noqa: PLR2004


def _quantization(ftype: Any) -> str:
    """llama.cpp's "Q4_K - Medium" as Ollama's "Q4_K_M"."""
    text = ftype if isinstance(ftype, str) else ""
    for word, suffix in ((" - Medium", "_M"), (" - Small", "_S"), (" - Large", "_L")):
        text = text.replace(word, suffix)
    return text


@web.middleware
async def _ollama_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    """Every failure as Ollama's ``{"error": ...}``; nothing escapes as a crash."""
    try:
        response: web.StreamResponse = await handler(request)
    except OllamaRequestError as err:
        return web.json_response({"error": str(err)}, status=err.status)
    except UpstreamError as err:
        return web.json_response({"error": str(err)}, status=err.status)
    except web.HTTPException as err:
        return web.json_response({"error": err.reason.lower()}, status=err.status)
    except Exception as err:  # a bug must answer 500, not drop the connection
        _LOGGER.exception("%s %s failed", request.method, request.path)
        return web.json_response({"error": f"internal error: {err!r}"}, status=500)
    return response


class OllamaDouble:
    """The server. ``async with OllamaDouble(config) as double:`` then use ``double.url``."""

    def __init__(
        self, config: DoubleConfig, *, host: str = "127.0.0.1", port: int | None = None
    ) -> None:
        self.config = config
        self.host = host
        self.port = port or free_port(host)
        self._runner: web.AppRunner | None = None
        self._upstream: OpenAIUpstream | None = None
        self._started_at = created_at()

    @property
    def url(self) -> str:
        """Base URL for the ``ollama`` client."""
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        """Listen on ``host:port`` (the upstream is first asked when a request needs it)."""
        app = web.Application(
            middlewares=[_ollama_errors], client_max_size=self.config.max_body_bytes
        )
        app.router.add_get("/", self._root)
        app.router.add_get("/api/version", self._version)
        app.router.add_get("/api/tags", self._tags)
        app.router.add_get("/api/ps", self._ps)
        app.router.add_post("/api/show", self._show)
        app.router.add_post("/api/chat", self._chat)
        self._upstream = OpenAIUpstream(
            self.config.upstream,
            connect_timeout=self.config.connect_timeout,
            read_timeout=self.config.read_timeout,
        )
        self._runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()

    async def stop(self) -> None:
        """Close the listener, open responses and the upstream connections."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._upstream is not None:
            await self._upstream.close()
            self._upstream = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    # --- the upstream's models ---------------------------------------------

    def _client(self) -> OpenAIUpstream:
        if self._upstream is None:
            raise UpstreamError(503, "the Ollama double is not running")
        return self._upstream

    async def _models(self) -> list[UpstreamModel]:
        models = await self._client().models()
        return models[:1] if self.config.name else models  # one name names one model

    def _name(self, model: UpstreamModel) -> str:
        if self.config.name:
            return self.config.name
        return model.id if ":" in model.id else f"{model.id}:latest"

    async def _find(self, name: Any) -> UpstreamModel:
        if not isinstance(name, str) or not name:
            raise OllamaRequestError("model is required")
        for model in await self._models():
            known = self._name(model)
            if name in {known, known.removesuffix(":latest")}:
                return model
        raise OllamaRequestError(f"model '{name}' not found", status=404)

    # --- endpoints ---------------------------------------------------------

    async def _root(self, _request: web.Request) -> web.Response:
        return web.Response(text="Ollama is running")

    async def _version(self, _request: web.Request) -> web.Response:
        return web.json_response({"version": OLLAMA_VERSION})

    def _entry(self, model: UpstreamModel) -> dict[str, Any]:
        name = self._name(model)
        size = model.meta.get("size")
        return {
            "name": name,
            "model": name,
            "modified_at": self._started_at,
            "size": size if isinstance(size, int) else 0,
            "digest": hashlib.sha256(model.id.encode()).hexdigest(),  # of the id, not a file
            "details": {
                "parent_model": "",
                "format": "gguf",
                "family": "",
                "families": None,
                "parameter_size": _parameter_size(model.meta.get("n_params")),
                "quantization_level": _quantization(model.meta.get("ftype")),
            },
        }

    async def _tags(self, _request: web.Request) -> web.Response:
        return web.json_response({"models": [self._entry(m) for m in await self._models()]})

    async def _ps(self, _request: web.Request) -> web.Response:
        models = []
        for model in await self._models():
            entry = self._entry(model)
            del entry["modified_at"]
            n_ctx = model.meta.get("n_ctx")
            models.append(
                {
                    **entry,
                    "expires_at": "2318-01-01T00:00:00Z",  # the upstream never unloads it
                    "size_vram": 0,
                    "context_length": n_ctx if isinstance(n_ctx, int) else 0,
                }
            )
        return web.json_response({"models": models})

    async def _show(self, request: web.Request) -> web.Response:
        body = await _json_object(request)
        model = await self._find(body.get("model") or body.get("name"))
        entry = self._entry(model)
        n_params, n_ctx_train = model.meta.get("n_params"), model.meta.get("n_ctx_train")
        return web.json_response(
            {
                "modelfile": f"# served through the Ollama double from {self._client().base}\n"
                f"FROM {model.id}\n",
                "parameters": "",
                "template": "",  # the upstream applies its own chat template
                "details": entry["details"],
                "model_info": {
                    "general.parameter_count": n_params if isinstance(n_params, int) else 0,
                    "general.context_length": n_ctx_train if isinstance(n_ctx_train, int) else 0,
                },
                "capabilities": ["completion", "tools"],
                "modified_at": self._started_at,
            }
        )

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body = await _json_object(request)
        model = await self._find(body.get("model"))
        chat = parse_chat(body, model.id)
        head = {"model": chat.model, "created_at": created_at()}
        if not chat.openai["messages"]:  # Ollama: an empty chat only loads the model
            message = {"role": "assistant", "content": ""}
            return web.json_response(
                {**head, "message": message, "done": True, "done_reason": "load"}
            )
        result = ChatResult()
        response: web.StreamResponse | None = None  # set once streaming has begun
        try:
            async with (
                asyncio.timeout(self.config.request_timeout),
                self._client().chat(chat.openai) as chunks,
            ):
                if chat.stream:
                    response = web.StreamResponse(headers={"Content-Type": "application/x-ndjson"})
                    await response.prepare(request)
                async for chunk in chunks:
                    pieces = result.add_chunk(chunk)
                    if response is not None and pieces:
                        message = {"role": "assistant", "content": "", **pieces}
                        await _line(response, {**_now(head), "message": message, "done": False})
            return await self._finish(response, head, result)
        except (UpstreamError, TimeoutError) as err:
            failure = err if isinstance(err, UpstreamError) else self._timed_out()
            if response is None:
                raise failure from None
            await _line(response, {"error": str(failure)})  # Ollama's mid-stream error line
            return response
        except ConnectionResetError:  # the client left; leaving the block closed the upstream
            return response or web.Response()

    def _timed_out(self) -> UpstreamError:
        return UpstreamError(
            504,
            f"the upstream stopped answering (silent for {self.config.read_timeout:g} s, or "
            f"longer than {self.config.request_timeout:g} s in all)",
        )

    @staticmethod
    async def _finish(
        response: web.StreamResponse | None, head: dict[str, Any], result: ChatResult
    ) -> web.StreamResponse:
        """The closing line of a stream, or the one object of a non-streaming answer."""
        calls = result.tool_calls()
        if response is None:
            message: dict[str, Any] = {"role": "assistant", "content": "".join(result.content)}
            if calls:
                message["tool_calls"] = calls
            return web.json_response({**_now(head), "message": message, **result.closing()})
        if calls:
            message = {"role": "assistant", "content": "", "tool_calls": calls}
            await _line(response, {**_now(head), "message": message, "done": False})
        final = {"role": "assistant", "content": ""}
        await _line(response, {**_now(head), "message": final, **result.closing()})
        return response


def _now(head: dict[str, Any]) -> dict[str, Any]:
    return {**head, "created_at": created_at()}


async def _line(response: web.StreamResponse, data: dict[str, Any]) -> None:
    await response.write(json.dumps(data).encode() + b"\n")


async def _json_object(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError as err:
        raise OllamaRequestError(f"the request body is not JSON: {err}") from err
    if not isinstance(body, dict):
        raise OllamaRequestError("the request body must be a JSON object")
    return body


if __name__ == "__main__":
    from .ollama_double_cli import run

    run()
