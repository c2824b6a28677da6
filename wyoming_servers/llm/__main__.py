"""Console entry point ``local-voice-llm`` (also ``python -m wyoming_servers.llm``).

Serves a tool-calling model through llama.cpp's OpenAI-compatible API on
``--host``/``--port`` (default: the bundled Qwen2.5-Coder-1.5B on
127.0.0.1:10600). ``--prepare`` assembles and checks the bundled model, then
exits (the bootstrap runs it once, so the first start is not the slow one).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from wyoming_servers.core.cli import port_number, setup_logging

from . import bundled
from .errors import LlmError
from .server import (
    DEFAULT_CTX_SIZE,
    DEFAULT_HOST,
    DEFAULT_PARALLEL,
    DEFAULT_PORT,
    MAX_CTX_SIZE,
    MAX_PARALLEL,
    MAX_THREADS,
    MIN_CTX_SIZE,
    LlmServer,
    ServerSettings,
    default_threads,
)

if TYPE_CHECKING:
    from collections.abc import Callable

_LOGGER = logging.getLogger(__name__)

MAX_WARM_PROMPT_BYTES: Final = 1 << 20
_WARM_USER_TURN: Final = "Hello"


def _int_between(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low} and {high}, got {value}")
        return value

    return parse


def build_parser() -> argparse.ArgumentParser:
    """All flags of ``local-voice-llm``."""
    parser = argparse.ArgumentParser(prog="local-voice-llm", description=__doc__)
    parser.add_argument("--host", default=DEFAULT_HOST, help="address to listen on")
    parser.add_argument("--port", type=port_number, default=DEFAULT_PORT)
    parser.add_argument(
        "--model",
        default=bundled.DEFAULT_MODEL,
        metavar="NAME|PATH",
        help=f"a bundled model ({', '.join(bundled.MODELS)}) or a .gguf file",
    )
    parser.add_argument(
        "--threads",
        type=_int_between(1, MAX_THREADS),
        default=default_threads(),
        help="CPU threads generating tokens (default: the cores available; on a busy host "
        "fewer threads than cores generate faster, see docs/llm.md)",
    )
    parser.add_argument(
        "--threads-batch",
        type=_int_between(1, MAX_THREADS),
        help="CPU threads evaluating prompts (default: as --threads)",
    )
    parser.add_argument(
        "--ctx-size",
        type=_int_between(MIN_CTX_SIZE, MAX_CTX_SIZE),
        default=DEFAULT_CTX_SIZE,
        help="tokens of context, shared by the slots",
    )
    parser.add_argument(
        "--parallel",
        type=_int_between(1, MAX_PARALLEL),
        default=DEFAULT_PARALLEL,
        help="requests decoded at once (each slot keeps its own cached prompt)",
    )
    parser.add_argument(
        "--prepare", action="store_true", help="assemble and check the model, print its path, exit"
    )
    parser.add_argument(
        "--verify", action="store_true", help="check a cached model's full sha256, not only stamp"
    )
    parser.add_argument(
        "--warm-prompt",
        type=Path,
        metavar="FILE",
        help="before serving, evaluate this prompt into the cache: a chat request as JSON "
        "(messages and tools, as the agent sends them) or a plain-text system prompt",
    )
    parser.add_argument("--debug", action="store_true", help="log at DEBUG level, llama.cpp's too")
    return parser


def load_warm_request(path: Path) -> dict[str, Any]:
    """The warm-up request from ``--warm-prompt``; ValueError says what is wrong with it."""
    try:
        size = path.stat().st_size
        if size > MAX_WARM_PROMPT_BYTES:
            raise ValueError(f"{path} has {size} bytes; at most {MAX_WARM_PROMPT_BYTES}")
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ValueError(f"cannot read {path}: {err}") from err
    except UnicodeDecodeError as err:
        raise ValueError(f"{path} is not UTF-8 text: {err}") from err
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        messages, tools = data.get("messages"), data.get("tools", [])
        if not isinstance(messages, list) or not messages:
            raise ValueError(f"{path}: a JSON warm prompt needs a non-empty 'messages' list")
        if not all(isinstance(m, dict) for m in messages) or not isinstance(tools, list):
            raise ValueError(f"{path}: 'messages' must hold objects and 'tools' must be a list")
        request: dict[str, Any] = {"messages": messages}
        if tools:
            request["tools"] = tools
    elif text.strip():
        request = {
            "messages": [
                {"role": "system", "content": text},
                {"role": "user", "content": _WARM_USER_TURN},
            ]
        }
    else:
        raise ValueError(f"{path} is empty")
    return {**request, "max_tokens": 1, "temperature": 0}


def warm_up(server: LlmServer, request: dict[str, Any]) -> None:
    """Evaluate the warm prompt once so its prefix is cached; a failure is only logged."""
    started = time.monotonic()
    answer = server.chat_completion(request)
    if "error" in answer or "usage" not in answer:
        _LOGGER.warning("the warm prompt was not evaluated: %s", answer.get("error", answer))
        return
    _LOGGER.info(
        "warm prompt: %s tokens cached in %.1f s",
        answer["usage"].get("prompt_tokens"),
        time.monotonic() - started,
    )


async def main(argv: list[str] | None = None) -> None:
    """Prepare the model, then serve until SIGINT/SIGTERM (or exit after ``--prepare``)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    setup_logging(args.debug)
    warm = None
    if args.warm_prompt is not None:
        try:
            warm = load_warm_request(args.warm_prompt)
        except ValueError as err:
            parser.error(f"--warm-prompt: {err}")
    try:
        model = await asyncio.to_thread(bundled.resolve, args.model, verify=args.verify)
        if args.prepare:
            _LOGGER.info("%s is ready: %s", model.name, model.path)
            print(model.path)  # noqa: T201 - the one result of --prepare, for scripts
            return
        settings = ServerSettings(
            model=model,
            host=args.host,
            port=args.port,
            threads=args.threads,
            threads_batch=args.threads_batch,
            ctx_size=args.ctx_size,
            parallel=args.parallel,
            debug=args.debug,
        )
        server = LlmServer(settings)
        await asyncio.to_thread(server.start)
    except (LlmError, ValueError) as err:
        _LOGGER.error("%s", err)  # noqa: TRY400 - the message is the whole story
        raise SystemExit(1) from None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):  # after start(): llama.cpp installs its own
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    try:
        if warm is not None:
            await asyncio.to_thread(warm_up, server, warm)
        _LOGGER.info(
            "listening on %s (OpenAI-compatible API at %s, model %r)",
            server.url,
            server.openai_base_url,
            server.model_name,
        )
        await stop.wait()
    finally:
        server.stop()


def run() -> None:
    """Console entry point."""
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main(sys.argv[1:]))


if __name__ == "__main__":
    run()
