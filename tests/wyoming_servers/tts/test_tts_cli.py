"""Command-line mistakes stop the server at start-up with a clear message."""

from __future__ import annotations

import pytest

from wyoming_servers.tts.__main__ import build_parser, main


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--length-scale", "9"], "length_scale must be in"),
        (["--noise-scale", "-1"], "noise_scale must be in"),
        (["--voice", "nope"], "voice 'nope' is not installed"),
        (["--voice", "/tmp/does-not-exist.onnx"], "needs both"),
        (["--use-cuda"], "--use-cuda needs onnxruntime-gpu"),
        (["--cache-size", "-5"], "cache size must be in"),
        (["--max-chars", "0"], "must be at least 1"),
        (["--voices-dir", "/nonexistent-voices"], "is not a directory"),
        (["--warm-answers", "/nonexistent-answers.txt"], "--warm-answers: [Errno 2]"),
    ],
)
async def test_bad_arguments_exit_with_a_message(argv, message, capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        await main(["--uri", "tcp://127.0.0.1:0", *argv])
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_every_flag_of_the_issue_exists() -> None:
    flags = {opt for action in build_parser()._actions for opt in action.option_strings}
    wanted = [
        "--uri",
        "--voice",
        "--voices-dir",
        "--speaker",
        "--length-scale",
        "--noise-scale",
        "--noise-w-scale",
        "--zeroconf",
        "--max-clients",
        "--max-queued",
        "--queue-timeout",
        "--max-chars",
        "--cache-size",
        "--metrics-port",
        "--use-cuda",
    ]
    assert set(wanted) <= flags
