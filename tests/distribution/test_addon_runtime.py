"""The add-on's scripts, run for real outside the container.

s6-overlay, the Supervisor and the image cannot exist here, so each script is
run with its paths pointed at a temporary folder: ``start-server.sh`` with a
stand-in server command that records its arguments, ``finish.sh`` with a
stand-in ``halt``, ``wyoming_describe.py`` and ``announce.py`` against a
Wyoming server speaking the real protocol (the ``wyoming`` library) and a
stand-in Supervisor speaking its real HTTP API. The announced message is then
fed to Home Assistant's own ``wyoming`` discovery flow.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Any

import pytest
from addon_stand_ins import LIB, VENV_BIN, addon_defaults, run_python, supervisor, wyoming_server
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.service_info.hassio import HassioServiceInfo

from local_voice_harness.paths import REPO_ROOT
from local_voice_harness.ports import free_port
from local_voice_harness.processes import stop_process
from wyoming_servers import addon_argv, addon_options

if TYPE_CHECKING:
    from pathlib import Path

    from homeassistant.core import HomeAssistant


# --- start-server.sh ---------------------------------------------------------


def _start_server(tmp_path: Path, server: str, options: dict[str, Any]) -> tuple[int, str, Path]:
    (tmp_path / "options.json").write_text(json.dumps(options), encoding="utf-8")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    record = tmp_path / "argv.json"
    fake = bin_dir / f"local-voice-{server}"
    fake.write_text(
        f"#!{sys.executable}\nimport json, sys\n"
        f"open({str(record)!r}, 'w').write(json.dumps(sys.argv[1:]))\n",
        encoding="utf-8",
    )
    fake.chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}:{VENV_BIN}:{os.environ['PATH']}",
        "LOCAL_VOICE_OPTIONS": str(tmp_path / "options.json"),
        "LOCAL_VOICE_RUN_DIR": str(tmp_path / "run"),
        "LOCAL_VOICE_VOICES_DIR": str(tmp_path / "voices"),
        "PYTHONPATH": str(REPO_ROOT),
    }
    done = subprocess.run(
        ["bash", str(LIB / "start-server.sh"), server],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
        check=False,
    )
    return done.returncode, done.stderr, record


def test_start_server_execs_asr_with_the_checked_arguments(tmp_path: Path) -> None:
    options = {**addon_defaults(), "vocabulary": ["desk lamp", "office fan"], "debug": True}
    code, stderr, record = _start_server(tmp_path, "asr", options)
    assert code == 0, stderr
    vocab = tmp_path / "run" / "vocabulary.txt"
    expected = addon_argv.asr_argv(addon_options.parse_options(options), vocab)
    assert json.loads(record.read_text()) == expected
    assert vocab.read_text(encoding="utf-8") == "desk lamp\noffice fan\n"
    assert "starting local-voice-asr" in stderr


def test_start_server_execs_tts_with_voices_dir(tmp_path: Path) -> None:
    (tmp_path / "voices").mkdir()
    options = {**addon_defaults(), "speaker": 2, "length_scale": 0.9}
    code, stderr, record = _start_server(tmp_path, "tts", options)
    assert code == 0, stderr
    argv = json.loads(record.read_text())
    assert argv == addon_argv.tts_argv(addon_options.parse_options(options), tmp_path / "voices")
    assert argv[argv.index("--voices-dir") + 1] == str(tmp_path / "voices")


def test_start_server_execs_api_when_the_option_is_on(tmp_path: Path) -> None:
    options = {**addon_defaults(), "http_api": True, "max_clients": 4}
    code, stderr, record = _start_server(tmp_path, "api", options)
    assert code == 0, stderr
    argv = json.loads(record.read_text())
    assert argv == addon_argv.api_argv(addon_options.parse_options(options))
    assert argv[argv.index("--asr-uri") + 1] == f"tcp://127.0.0.1:{addon_argv.ASR_PORT}"
    assert "starting local-voice-api" in stderr


def test_start_server_idles_the_api_while_the_option_is_off(tmp_path: Path) -> None:
    """s6 would restart an exited longrun forever: the off service sleeps instead."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    slept = tmp_path / "slept.json"
    fake_sleep = bin_dir / "sleep"
    fake_sleep.write_text(
        f"#!{sys.executable}\nimport json, sys\n"
        f"open({str(slept)!r}, 'w').write(json.dumps(sys.argv[1:]))\n",
        encoding="utf-8",
    )
    fake_sleep.chmod(0o755)
    code, stderr, record = _start_server(tmp_path, "api", addon_defaults())
    assert code == 0, stderr
    assert json.loads(slept.read_text()) == ["infinity"]
    assert not record.exists()
    assert "HTTP API is off (option http_api)" in stderr


def test_start_server_runs_the_real_api(tmp_path: Path, socket_enabled: Any) -> None:
    """The add-on's own arguments start the real gateway; it answers /health."""
    (tmp_path / "options.json").write_text(json.dumps({**addon_defaults(), "http_api": True}))
    port = free_port()
    env = {
        **os.environ,
        "PATH": f"{VENV_BIN}:{os.environ['PATH']}",
        "LOCAL_VOICE_OPTIONS": str(tmp_path / "options.json"),
        "LOCAL_VOICE_RUN_DIR": str(tmp_path / "run"),
        "LOCAL_VOICE_PORT": str(port),
        "PYTHONPATH": str(REPO_ROOT),
    }
    proc = subprocess.Popen(
        ["bash", str(LIB / "start-server.sh"), "api"], env=env, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as reply:
                    status, body = reply.status, json.load(reply)
            except urllib.error.HTTPError as err:  # 503 while the servers are not there
                status, body = err.code, json.load(err)
            except OSError:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                assert time.monotonic() < deadline, "local-voice-api did not answer"
                time.sleep(0.1)
                continue
            break
        assert status in {200, 503}
        assert {"status", "asr", "tts"} <= set(body)
    finally:
        stop_process(proc)
    assert proc.returncode == 0  # SIGTERM: the gateway stops cleanly


def test_start_server_refuses_bad_options_and_names_them(tmp_path: Path) -> None:
    code, stderr, record = _start_server(
        tmp_path, "asr", {**addon_defaults(), "allow": ["everyone"]}
    )
    assert code == 78
    assert "option 'allow': 'everyone' is not a network in CIDR form" in stderr
    assert "not starting local-voice-asr" in stderr
    assert not record.exists()


def test_start_server_unknown_server(tmp_path: Path) -> None:
    code, stderr, _ = _start_server(tmp_path, "llm", addon_defaults())
    assert code == 64
    assert "unknown server 'llm'" in stderr


# --- finish.sh ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("exit_code", "signal", "before", "after", "halted"),
    [
        (0, 0, "0", "0", False),  # clean exit: s6 restarts nothing, no halt
        (78, 0, "0", "78", True),  # bad options: add-on stops with 78
        (1, 0, "0", "1", True),
        (1, 0, "3", "3", True),  # the first failure's code is kept
        (256, 15, "0", "143", True),  # SIGTERM: normal stop
        (256, 9, "0", "137", False),  # killed: recorded, s6 restarts the service
    ],
)
def test_finish_propagates_failures(  # noqa: PLR0917  # one parameter per table column
    tmp_path: Path, exit_code: int, signal: int, before: str, after: str, halted: bool
) -> None:
    results = tmp_path / "results"
    results.mkdir()
    (results / "exitcode").write_text(before)
    marker = tmp_path / "halted"
    halt = tmp_path / "halt"
    halt.write_text(f"#!/bin/sh\ntouch {marker}\n")
    halt.chmod(0o755)
    env = {**os.environ, "LOCAL_VOICE_S6_RESULTS": str(results), "LOCAL_VOICE_S6_HALT": str(halt)}
    done = subprocess.run(
        ["bash", str(LIB / "finish.sh"), "asr", str(exit_code), str(signal)],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (results / "exitcode").read_text().strip() == after
    assert marker.exists() is halted
    assert f"asr exited with code {exit_code}" in done.stderr


# --- describe and discovery --------------------------------------------------


async def test_describe_health_check(socket_enabled: Any) -> None:
    script = str(LIB / "wyoming_describe.py")
    async with wyoming_server() as good, wyoming_server("garbage") as bad:
        assert await run_python(script, str(good)) == (0, "")
        code, stderr = await run_python(script, str(good), str(bad))
        assert code == 1
        assert f"127.0.0.1:{bad} failed" in stderr
    async with wyoming_server("silent") as silent:
        code, stderr = await run_python(script, "--timeout", "0.5", str(silent))
        assert code == 1
        assert "timed out" in stderr


async def test_announce_then_home_assistant_discovers(
    hass_core: HomeAssistant, socket_enabled: Any
) -> None:
    async with (
        wyoming_server() as asr_port,
        wyoming_server() as tts_port,
        supervisor("secret-token") as (url, received),
    ):
        env = {
            **os.environ,
            "SUPERVISOR_TOKEN": "secret-token",
            "LOCAL_VOICE_SUPERVISOR_URL": url,
            "LOCAL_VOICE_ANNOUNCE_HOST": "127.0.0.1",
        }
        code, stderr = await run_python(
            str(LIB / "announce.py"), "--wait", "5", str(asr_port), str(tts_port), env=env
        )
        assert code == 0, stderr
        assert "secret-token" not in stderr
        assert received == [
            {"service": "wyoming", "config": {"uri": f"tcp://127.0.0.1:{asr_port}"}},
            {"service": "wyoming", "config": {"uri": f"tcp://127.0.0.1:{tts_port}"}},
        ]

        # Home Assistant's wyoming integration takes the message as the
        # Supervisor would hand it over, and sets the server up.
        result = await hass_core.config_entries.flow.async_init(
            "wyoming",
            context={"source": "hassio"},
            data=HassioServiceInfo(
                config=received[0]["config"], name="Local Voice", slug="local_voice", uuid="1"
            ),
        )
        assert result["type"] is FlowResultType.FORM
        assert result["step_id"] == "hassio_confirm"
        result = await hass_core.config_entries.flow.async_configure(result["flow_id"], {})
        assert result["type"] is FlowResultType.CREATE_ENTRY
        assert result["data"] == {"host": "127.0.0.1", "port": asr_port}
        entry = result["result"]
        await hass_core.async_block_till_done()
        assert await hass_core.config_entries.async_unload(entry.entry_id)


async def test_announce_fails_loudly(socket_enabled: Any) -> None:
    async with wyoming_server() as port, supervisor("right") as (url, received):
        base = {**os.environ, "LOCAL_VOICE_SUPERVISOR_URL": url}
        base.pop("SUPERVISOR_TOKEN", None)
        script = str(LIB / "announce.py")
        code, stderr = await run_python(script, str(port), env=base)
        assert (code, "SUPERVISOR_TOKEN is not set" in stderr) == (1, True)
        code, stderr = await run_python(
            script, str(port), env={**base, "SUPERVISOR_TOKEN": "wrong"}
        )
        assert code == 1
        assert "401" in stderr
        assert "wrong" not in stderr
        assert received == []
    async with wyoming_server("silent") as silent:
        env = {**base, "SUPERVISOR_TOKEN": "right"}
        code, stderr = await run_python(script, "--wait", "0.5", str(silent), env=env)
        assert code == 1
        assert "did not answer describe" in stderr
