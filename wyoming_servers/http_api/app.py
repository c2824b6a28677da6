"""The aiohttp application: routes, the allow list, errors and metrics.

Middlewares, outermost first: the allow list (403 for a peer outside
``--allow``, checked on the socket's address, never on a header a client
can forge), then one place that turns every failure into OpenAI's error
shape and counts it by code in ``local_voice_errors_total{server="api"}``.
"""

from __future__ import annotations

import asyncio
import json
import logging
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING, Any, Final

import yaml
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from wyoming_servers.core.metrics import REGISTRY, ServerMetrics
from wyoming_servers.core.server import peer_allowed

from .catalogue import SPEECH_ALIASES, TRANSCRIPTION_ALIASES, Catalogue
from .errors import ApiError
from .speech import handle_speech
from .state import STATE, STREAMING, ApiState, Slots, state_of
from .transcriptions import handle_transcriptions
from .upstream import Upstream

if TYPE_CHECKING:
    from aiohttp.typedefs import Handler

    from .config import ApiConfig

_LOGGER = logging.getLogger(__name__)
_HEALTH_TIMEOUT: Final = 3.0


@cache
def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document shipped with the package (``openapi.yaml``)."""
    text = files(__package__).joinpath("openapi.yaml").read_text(encoding="utf-8")
    document: dict[str, Any] = yaml.safe_load(text)
    return document


def _http_error(exc: web.HTTPException) -> ApiError:
    code = {404: "not-found", 405: "method-not-allowed", 413: "too-large"}.get(
        exc.status, "http-error"
    )
    return ApiError(exc.status, exc.reason, code=code)


@web.middleware
async def allow_list(request: web.Request, handler: Handler) -> web.StreamResponse:
    """403 for peers outside the allowed networks (same rule as the Wyoming side)."""
    state = state_of(request)
    peer = request.transport.get_extra_info("peername") if request.transport else None
    if not peer_allowed(peer, state.config.allow):
        _LOGGER.warning("refused %s: not in the allowed networks", peer)
        state.metrics.error("not-allowed")
        return ApiError(403, "your address is not allowed", code="not-allowed").response()
    return await handler(request)


@web.middleware
async def errors_in_openai_shape(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every failure as ``{"error": {...}}`` with its status, counted by code."""
    state = state_of(request)
    try:
        return await handler(request)
    except ApiError as err:
        error = err
    except web.HTTPException as exc:
        if exc.status < 400:  # noqa: PLR2004 - redirects are not errors
            raise
        error = _http_error(exc)
    except TimeoutError:
        error = ApiError(504, "a Wyoming server took too long", code="upstream-timeout")
    except asyncio.CancelledError:
        raise
    except ConnectionError:
        state.metrics.error("client-disconnected")  # e.g. the client left mid-stream
        _LOGGER.debug("client left during %s %s", request.method, request.path)
        started = request.get(STREAMING)
        if isinstance(started, web.StreamResponse):
            return started  # aiohttp sees the connection gone and ends it without a traceback
        raise
    except Exception:
        _LOGGER.exception("internal error on %s %s", request.method, request.path)
        error = ApiError(500, "internal server error", code="internal-error")
    state.metrics.error(error.code)
    if request.get(STREAMING):
        _LOGGER.warning("stream cut short: %s (%s)", error.message, error.code)
        raise ConnectionResetError(error.message)
    return error.response()


async def handle_models(request: web.Request) -> web.Response:
    """OpenAI's model list: installed models and voices, plus the aliases."""
    state = state_of(request)
    state.metrics.request("models")
    asr, tts = await asyncio.gather(state.catalogue.asr_models(), state.catalogue.tts_voices())
    names = [*sorted(TRANSCRIPTION_ALIASES), *asr, *sorted(SPEECH_ALIASES), *tts]
    data = [
        {"id": name, "object": "model", "created": 0, "owned_by": "local-voice"} for name in names
    ]
    return web.json_response({"object": "list", "data": data})


async def _ready(catalogue: Catalogue, server: str) -> dict[str, Any]:
    try:
        async with asyncio.timeout(_HEALTH_TIMEOUT):
            if server == "asr":
                names = await catalogue.asr_models(fresh=True)
            else:
                names = await catalogue.tts_voices(fresh=True)
    except (ApiError, TimeoutError) as err:
        return {"ready": False, "error": str(err) or "no answer to describe"}
    if not names:
        return {"ready": False, "error": "no model installed"}
    return {"ready": True, "models": list(names)}


async def handle_health(request: web.Request) -> web.Response:
    """200 only when both servers answer ``describe`` with a model loaded."""
    state = state_of(request)
    asr, tts = await asyncio.gather(_ready(state.catalogue, "asr"), _ready(state.catalogue, "tts"))
    ready = asr["ready"] and tts["ready"]
    body = {"status": "ok" if ready else "unavailable", "asr": asr, "tts": tts}
    return web.json_response(body, status=200 if ready else 503)


async def handle_metrics(_request: web.Request) -> web.Response:
    """Prometheus text format of the shared registry."""
    return web.Response(
        body=generate_latest(REGISTRY), headers={"Content-Type": CONTENT_TYPE_LATEST}
    )


async def handle_openapi(_request: web.Request) -> web.Response:
    """The OpenAPI document as JSON."""
    return web.Response(text=json.dumps(openapi_document()), content_type="application/json")


def create_app(config: ApiConfig, metrics: ServerMetrics | None = None) -> web.Application:
    """The gateway for ``config`` (no connection is made until a request needs one)."""
    metrics = metrics or ServerMetrics("api")
    asr = Upstream("asr", config.asr_uri, config.connect_timeout, config.timeout)
    tts = Upstream("tts", config.tts_uri, config.connect_timeout, config.timeout)
    app = web.Application(
        middlewares=[allow_list, errors_in_openai_shape],
        client_max_size=config.max_upload_bytes + 64 * 1024,
    )
    app[STATE] = ApiState(
        config=config,
        asr=asr,
        tts=tts,
        catalogue=Catalogue(asr, tts),
        slots=Slots(config.max_active, config.max_queued, metrics),
        metrics=metrics,
    )
    app.router.add_post("/v1/audio/transcriptions", handle_transcriptions)
    app.router.add_post("/v1/audio/speech", handle_speech)
    app.router.add_get("/v1/models", handle_models)
    app.router.add_get("/health", handle_health)
    app.router.add_get("/metrics", handle_metrics)
    app.router.add_get("/openapi.json", handle_openapi)
    return app
