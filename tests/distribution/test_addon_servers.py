"""The add-on's start path with the real servers: options.json -> start-server.sh -> server.

Only the container around it is missing: ``start-server.sh`` runs the real
``local-voice-asr`` / ``local-voice-tts`` with the real bundled models on a
free loopback port, ``announce.py`` waits for ``describe`` and announces both
to a stand-in Supervisor, and Home Assistant's ``wyoming`` discovery flow sets
each one up. The allow-list option is checked to really refuse a client.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import time
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import pytest
from addon_stand_ins import LIB, VENV_BIN, addon_defaults, run_python, supervisor
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.service_info.hassio import HassioServiceInfo
from wyoming.event import async_read_event, async_write_event
from wyoming.info import Describe

from local_voice_harness.paths import REPO_ROOT
from local_voice_harness.ports import free_port

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from homeassistant.core import HomeAssistant

pytestmark = pytest.mark.slow


@contextmanager
def addon_server(
    tmp_path: Path, server: str, options: dict[str, Any]
) -> Iterator[tuple[int, Path]]:
    """Run one server through start-server.sh; stop it by its PID."""
    work = tmp_path / server
    work.mkdir()
    (work / "options.json").write_text(json.dumps(options), encoding="utf-8")
    port = free_port()
    log = work / "server.log"
    env = {
        **os.environ,
        "PATH": f"{VENV_BIN}:{os.environ['PATH']}",
        "LOCAL_VOICE_OPTIONS": str(work / "options.json"),
        "LOCAL_VOICE_RUN_DIR": str(work / "run"),
        "LOCAL_VOICE_VOICES_DIR": str(work / "voices"),
        "LOCAL_VOICE_PORT": str(port),
        "LOCAL_VOICE_CACHE": str(tmp_path / "cache"),
    }
    with log.open("wb") as out:
        proc = subprocess.Popen(  # start-server.sh execs the server: this PID is the server
            ["bash", str(LIB / "start-server.sh"), server],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=REPO_ROOT,
        )
    try:
        yield port, log
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(10)


def _wait_for_log(log: Path, text: str, limit_s: float = 90.0) -> None:
    end = time.monotonic() + limit_s
    while time.monotonic() < end:
        if text in log.read_text(errors="replace"):
            return
        time.sleep(0.2)
    pytest.fail(f"{text!r} not in {log}:\n{log.read_text(errors='replace')[-2000:]}")


async def test_addon_servers_start_announce_and_join_home_assistant(
    hass_core: HomeAssistant, socket_enabled: Any, tmp_path: Path
) -> None:
    options = {**addon_defaults(), "vocabulary": ["desk lamp", "office fan"]}
    with (
        addon_server(tmp_path, "asr", options) as (asr_port, asr_log),
        addon_server(tmp_path, "tts", options) as (tts_port, tts_log),
    ):
        async with supervisor("token") as (url, received):
            env = {
                **os.environ,
                "SUPERVISOR_TOKEN": "token",
                "LOCAL_VOICE_SUPERVISOR_URL": url,
                "LOCAL_VOICE_ANNOUNCE_HOST": "127.0.0.1",
            }
            code, stderr = await run_python(
                str(LIB / "announce.py"), "--wait", "90", str(asr_port), str(tts_port), env=env
            )
            assert code == 0, stderr + asr_log.read_text() + tts_log.read_text()
        assert "starting local-voice-asr" in asr_log.read_text()
        uris = [message["config"]["uri"] for message in received]
        assert uris == [f"tcp://127.0.0.1:{asr_port}", f"tcp://127.0.0.1:{tts_port}"]

        # Home Assistant's own wyoming integration takes each announcement.
        platforms = []
        for index, message in enumerate(received):
            result = await hass_core.config_entries.flow.async_init(
                "wyoming",
                context={"source": "hassio"},
                data=HassioServiceInfo(
                    config=message["config"],
                    name="Local Voice",
                    slug="local_voice",
                    uuid=f"{index}",
                ),
            )
            result = await hass_core.config_entries.flow.async_configure(result["flow_id"], {})
            assert result["type"] is FlowResultType.CREATE_ENTRY, result
            await hass_core.async_block_till_done()
            entry = result["result"]
            platforms.append(
                [str(p) for p in hass_core.data["wyoming"][entry.entry_id].service.platforms]
            )
            assert await hass_core.config_entries.async_unload(entry.entry_id)
        assert platforms == [["stt"], ["tts"]]


async def _describe_from(source: str, port: int) -> str | None:
    """Send describe from ``source`` (a loopback address); the answer's type or None."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
    try:
        await async_write_event(Describe().event(), writer)
        async with asyncio.timeout(5):
            event = await async_read_event(reader)
    except (ConnectionError, TimeoutError):
        return None
    else:
        return None if event is None else event.type
    finally:
        writer.close()


async def test_allow_option_refuses_other_networks(socket_enabled: Any, tmp_path: Path) -> None:
    """allow: [10.0.0.0/8] -> a client from 127.0.0.2 is refused and logged; the
    container's own 127.0.0.1 (health check, discovery) is always let in."""
    options = {**addon_defaults(), "allow": ["10.0.0.0/8"]}
    with addon_server(tmp_path, "tts", options) as (port, log):
        await asyncio.to_thread(_wait_for_log, log, "serving on")
        assert await _describe_from("127.0.0.1", port) == "info"
        assert await _describe_from("127.0.0.2", port) in {None, "error"}
        await asyncio.to_thread(_wait_for_log, log, "refused")
        assert "127.0.0.2" in log.read_text()
        assert "--allow 10.0.0.0/8 --allow 127.0.0.1/32" in log.read_text()


def test_bad_option_stops_the_server_with_a_named_error(tmp_path: Path) -> None:
    with addon_server(tmp_path, "asr", {**addon_defaults(), "language": "de"}) as (_, log):
        _wait_for_log(log, "not starting local-voice-asr", 30)
    text = log.read_text()
    assert "option 'language': model 'tiny.en' understands English only" in text
