"""llama.cpp's server engine (``xllamacpp``) serving one GGUF model, OpenAI-compatible.

``LlmServer.start()`` loads the model and starts llama.cpp's own HTTP server
(``/v1/chat/completions``, ``/v1/models``, ``/health``, ``/tokenize``) on
``host:port``; ``chat_completion()`` runs a request in-process through the
same slots and prompt cache. Settings fixed here, on purpose:

- Jinja chat templates with :data:`~.template.QWEN25_TOOL_TEMPLATE` for the
  bundled models (a GGUF given by path keeps its own template).
- ``parallel`` slots sharing one unified KV cache of ``ctx_size`` tokens,
  continuous batching, and prompt caching: a request whose prefix (system
  prompt and tools) matches a slot's, or a prompt kept in the host-memory
  prompt cache (``cache_ram_mib``), evaluates only the new tokens.
- Offline (llama.cpp never downloads), no web UI, no ``/slots`` endpoint
  (it would show other users' prompts), CORS limited to the server's own
  origin (a web page in the household's browser cannot use it).

The engine's constructor loads the model while holding the GIL, and its
loader installs SIGINT/SIGTERM handlers: callers install their own after
``start()`` returns (``__main__`` does).
"""

from __future__ import annotations

import errno
import logging
import os
import socket
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Self

from .bundled import MODELS
from .errors import RuntimeNotInstalledError, ServerStartError, ServerStateError
from .template import QWEN25_TOOL_TEMPLATE

if TYPE_CHECKING:
    from .bundled import ResolvedModel

_LOGGER = logging.getLogger(__name__)

DEFAULT_HOST: Final = "127.0.0.1"
DEFAULT_PORT: Final = 10600
DEFAULT_CTX_SIZE: Final = 8192
DEFAULT_PARALLEL: Final = 2
DEFAULT_CACHE_RAM_MIB: Final = 512
MIN_CTX_SIZE: Final = 512
MAX_CTX_SIZE: Final = 131_072
MAX_PARALLEL: Final = 16
MAX_THREADS: Final = 512  # GGML_MAX_N_THREADS
_LOG_ERRORS_AND_WARNINGS: Final = 2  # llama.cpp verbosity: 1 errors, 2 warnings, 3 info
_LOG_INFO: Final = 3
_MB: Final = 1_000_000


def default_threads() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) or 1


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """What to serve and how; every value is range-checked on construction."""

    model: ResolvedModel
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT  # 0: any free port (tests)
    threads: int = field(default_factory=default_threads)  # generation
    threads_batch: int | None = None  # prompt evaluation; None: as ``threads``
    ctx_size: int = DEFAULT_CTX_SIZE
    parallel: int = DEFAULT_PARALLEL
    cache_ram_mib: int = DEFAULT_CACHE_RAM_MIB
    debug: bool = False

    def __post_init__(self) -> None:
        checks = (
            ("port", self.port, 0, 65535),
            ("threads", self.threads, 1, MAX_THREADS),
            ("threads_batch", self.batch_threads, 1, MAX_THREADS),
            ("ctx_size", self.ctx_size, MIN_CTX_SIZE, MAX_CTX_SIZE),
            ("parallel", self.parallel, 1, MAX_PARALLEL),
            ("cache_ram_mib", self.cache_ram_mib, 0, 1 << 20),
        )
        for name, value, low, high in checks:
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{name} must be an integer, got {value!r}")
            if not low <= value <= high:
                raise ValueError(f"{name} must be between {low} and {high}, got {value}")
        if not self.host or any(c.isspace() for c in self.host):
            raise ValueError(f"host must be an address or host name, got {self.host!r}")

    @property
    def batch_threads(self) -> int:
        """Threads for prompt evaluation."""
        return self.threads if self.threads_batch is None else self.threads_batch


def _check_port_free(host: str, port: int) -> None:
    """Fail early and clearly when the address is taken (llama.cpp only says 'failed')."""
    if port == 0:
        return
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as err:
        raise ServerStartError(f"cannot resolve --host {host!r}: {err}") from err
    family, _, _, _, address = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as err:
            reason = "is in use" if err.errno == errno.EADDRINUSE else f"cannot be used: {err}"
            raise ServerStartError(f"{host}:{port} {reason}") from err


class LlmServer:
    """One model behind llama.cpp's OpenAI-compatible server. Use as a context manager."""

    def __init__(self, settings: ServerSettings) -> None:
        self.settings = settings
        self._engine: Any = None
        self._url = ""
        self.load_seconds = 0.0

    @property
    def model_name(self) -> str:
        """The model id clients send (``/v1/models`` lists it)."""
        return self.settings.model.name

    @property
    def url(self) -> str:
        """``http://host:port`` of the running server."""
        if not self._url:
            raise ServerStateError("the LLM server is not running")
        return self._url

    @property
    def openai_base_url(self) -> str:
        """The base URL an OpenAI client takes (``.../v1``)."""
        return f"{self.url}/v1"

    def _params(self) -> Any:
        import xllamacpp  # noqa: PLC0415 - optional extra; imported where it is needed

        s = self.settings
        params = xllamacpp.CommonParams()
        params.model.path = str(s.model.path)
        params.model_alias = {s.model.name}
        params.hostnames = [s.host]
        params.port = s.port
        params.n_ctx = s.ctx_size
        params.n_parallel = s.parallel
        params.kv_unified = True  # the slots share one cache; each may use all of n_ctx
        params.cont_batching = True
        params.cache_prompt = True
        params.cache_ram_mib = s.cache_ram_mib
        params.cpuparams.n_threads = s.threads
        params.cpuparams_batch.n_threads = s.batch_threads
        params.use_jinja = True
        if s.model.name in MODELS:
            params.chat_template = QWEN25_TOOL_TEMPLATE
        params.offline = True
        params.ui = False
        params.endpoint_slots = False
        params.cors_origins = f"http://{s.host}:{s.port}"
        params.verbosity = _LOG_INFO if s.debug else _LOG_ERRORS_AND_WARNINGS
        return params

    def start(self) -> None:
        """Load the model and listen (blocks for the load: seconds to a minute)."""
        if self._engine is not None:
            raise ServerStateError("the LLM server is already running")
        try:
            import xllamacpp  # noqa: PLC0415
        except ImportError as err:
            raise RuntimeNotInstalledError(
                "llama.cpp's engine is not installed: pip install 'local-voice[llm]' "
                "(xllamacpp==2026.10.11549)"
            ) from err
        s = self.settings
        _check_port_free(s.host, s.port)
        size_mb = s.model.path.stat().st_size // _MB
        _LOGGER.info(
            "loading %s (%s, %d MB): %d threads (%d for prompts), %d-token context, %d slots",
            s.model.name,
            s.model.path,
            size_mb,
            s.threads,
            s.batch_threads,
            s.ctx_size,
            s.parallel,
        )
        started = time.monotonic()
        try:
            self._engine = xllamacpp.Server(self._params())
        except RuntimeError as err:
            raise ServerStartError(
                f"llama.cpp could not load {s.model.path} or listen on {s.host}:{s.port} "
                f"({err}); run with --debug to see its log"
            ) from err
        self.load_seconds = time.monotonic() - started
        self._url = str(self._engine.listening_address).rstrip("/")
        _LOGGER.info("loaded %s in %.1f s", s.model.name, self.load_seconds)

    def chat_completion(self, request: dict[str, Any]) -> dict[str, Any]:
        """One non-streaming chat completion in-process (the request as ``/v1/chat/completions``).

        llama.cpp's answer is returned as is: a ``chat.completion`` object, or
        ``{"error": {...}}`` for a request it rejects.
        """
        if self._engine is None:
            raise ServerStateError("the LLM server is not running")
        if not isinstance(request, dict):
            raise TypeError(f"a chat request is a JSON object, got {type(request).__name__}")
        body = {**request, "stream": False, "model": self.model_name}
        answer = self._engine.handle_chat_completions(body)
        if not isinstance(answer, dict):
            raise ServerStateError(f"llama.cpp answered {type(answer).__name__}, not an object")
        return answer

    def stop(self) -> None:
        """Stop serving and free the model (idempotent)."""
        engine, self._engine = self._engine, None
        self._url = ""
        if engine is not None:
            _LOGGER.info("stopping %s", self.model_name)
            del engine  # the engine's destructor ends its loop and joins its threads

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()
