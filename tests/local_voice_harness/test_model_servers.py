"""The model servers the stack starts: the stand-in as a real process, URLs, failures."""

from __future__ import annotations

import json
import sys
import urllib.request
from typing import TYPE_CHECKING

import pytest

from local_voice_harness.eval import build_parser
from local_voice_harness.model_servers import (
    STAND_IN_MODEL,
    ModelServerError,
    ModelServerProcess,
    bundled_llm,
    bundled_model_title,
    endpoint_for_url,
    scripted_stand_in,
)

if TYPE_CHECKING:
    from pathlib import Path


def test_the_stand_in_runs_as_a_process_and_stops(tmp_path: Path, socket_enabled: None) -> None:
    server = scripted_stand_in(tmp_path).start()
    try:
        assert server.pid is not None
        with urllib.request.urlopen(f"{server.url}/api/tags", timeout=5) as response:
            tags = json.load(response)
        assert [m["name"] for m in tags["models"]] == [STAND_IN_MODEL]
    finally:
        server.stop()
    assert server.pid is None
    server.stop()  # idempotent


def test_a_server_that_exits_fails_with_its_log(tmp_path: Path) -> None:
    argv = [sys.executable, "-c", "print('no model here'); raise SystemExit(3)"]
    dead = ModelServerProcess("broken", argv, "listening on", tmp_path / "x.log", "http://x")
    with pytest.raises(ModelServerError, match="broken exited:\n.*no model here"):
        dead.start(timeout=20)


def test_a_server_that_never_gets_ready_is_stopped(tmp_path: Path) -> None:
    argv = [sys.executable, "-c", "import time; time.sleep(60)"]
    slow = ModelServerProcess("slow", argv, "listening on", tmp_path / "x.log", "http://x")
    with pytest.raises(ModelServerError, match="slow was not ready within 1 s"):
        slow.start(timeout=1)
    assert slow.pid is None


def test_bundled_command_line(tmp_path: Path) -> None:
    server = bundled_llm(tmp_path, threads=1, model="qwen2.5-coder-0.5b-instruct-q4_k_m")
    assert server.argv[1:3] == ["-m", "wyoming_servers.llm"]
    assert server.argv[-4:] == ["--threads", "1", "--model", "qwen2.5-coder-0.5b-instruct-q4_k_m"]
    assert "--debug" not in server.argv
    assert bundled_llm(tmp_path, debug=True).argv[-1] == "--debug"
    assert bundled_model_title(None).startswith("Qwen2.5-Coder-1.5B-Instruct")
    assert bundled_model_title("qwen2.5-coder-0.5b-instruct-q4_k_m").startswith(
        "Qwen2.5-Coder-0.5B"
    )


@pytest.mark.parametrize(
    ("url", "api", "backend"),
    [
        ("http://gpu-box:8000/v1", "auto", "openai"),
        ("http://gpu-box:8000/v1/", "auto", "openai"),
        ("http://ollama:11434", "auto", "ollama"),
        ("http://lm-studio:1234", "openai", "openai"),
    ],
)
def test_a_url_names_its_api(url: str, api: str, backend: str) -> None:
    endpoint = endpoint_for_url(url, api)
    assert endpoint.backend == backend
    assert not endpoint.url.endswith("/")


def test_a_url_must_be_http() -> None:
    with pytest.raises(ValueError, match="bundled, scripted or an http"):
        endpoint_for_url("ftp://nowhere")


@pytest.mark.parametrize("value", ["bundled", "scripted", "http://h:1/v1"])
def test_the_llm_flag_takes_its_three_forms(value: str) -> None:
    assert build_parser().parse_args(["--commands", "x", "--llm", value]).llm == value


def test_the_llm_flag_rejects_anything_else(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--commands", "x", "--llm", "gpt-4"])
    assert "bundled, scripted or an http(s) URL" in capsys.readouterr().err


def test_bundled_is_the_default() -> None:
    assert build_parser().parse_args(["--commands", "x"]).llm == "bundled"
