"""Stand-ins for what cannot run here (the Supervisor, a Wyoming peer) and paths.

Shared by the add-on tests: the Supervisor's ``POST /discovery`` as its API
answers it, a Wyoming server that answers ``describe`` with a real ``info``
event (or stays silent, or speaks garbage), and the add-on's defaults.
"""

from __future__ import annotations

import asyncio
import sys
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import yaml
from aiohttp import web
from wyoming.event import async_read_event, async_write_event
from wyoming.info import AsrModel, AsrProgram, Attribution, Describe, Info

from local_voice_harness.paths import REPO_ROOT

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

LIB = REPO_ROOT / "addon" / "rootfs" / "usr" / "local" / "lib" / "local_voice_addon"
VENV_BIN = REPO_ROOT / ".venv" / "bin"
INFO = Info(
    asr=[
        AsrProgram(
            name="local-voice-asr",
            description="stand-in",
            attribution=Attribution(name="test", url="https://example.invalid"),
            installed=True,
            version="0.1.0",
            models=[
                AsrModel(
                    name="tiny.en",
                    description="tiny.en",
                    attribution=Attribution(name="test", url="https://example.invalid"),
                    installed=True,
                    version="1",
                    languages=["en"],
                )
            ],
        )
    ]
)


def addon_defaults() -> dict[str, Any]:
    config = yaml.safe_load((REPO_ROOT / "addon" / "config.yaml").read_text(encoding="utf-8"))
    options: dict[str, Any] = config["options"]
    return options


@asynccontextmanager
async def wyoming_server(mode: str = "info") -> AsyncIterator[int]:
    """A loopback server: real Wyoming ``info`` answers, or silence, or garbage."""

    tasks: set[asyncio.Task[Any]] = set()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if (task := asyncio.current_task()) is not None:
            tasks.add(task)
        try:
            while (event := await async_read_event(reader)) is not None:
                if Describe.is_type(event.type):
                    if mode == "info":
                        await async_write_event(INFO.event(), writer)
                    elif mode == "garbage":
                        writer.write(b"HTTP/1.1 400 Bad Request\r\n\r\n")
                        await writer.drain()
                    else:
                        await asyncio.sleep(30)
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await server.wait_closed()


async def run_python(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    _, stderr = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode is not None
    return proc.returncode, stderr.decode()


@asynccontextmanager
async def supervisor(token: str) -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
    """The Supervisor's ``POST /discovery`` as its API answers it."""
    received: list[dict[str, Any]] = []

    async def discovery(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {token}":
            return web.json_response({"result": "error", "message": "Unauthorized"}, status=401)
        body = await request.json()
        received.append(body)
        uuid = f"{len(received):032x}"
        return web.json_response({"result": "ok", "data": {"uuid": uuid}})

    app = web.Application()
    app.router.add_post("/discovery", discovery)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}", received
    finally:
        await runner.cleanup()
