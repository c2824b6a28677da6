"""Every command line the add-on, the GPU compose file and the systemd units run parses.

The servers' own argument parsers (``build_parser()`` of
``wyoming_servers.asr`` / ``wyoming_servers.tts``) are the source of truth: a
deployment that passes an unknown flag or a value of the wrong type would fail
at start on the user's machine, not here. So each real argv is parsed.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import re
import shlex
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from local_voice_harness.paths import REPO_ROOT
from wyoming_servers import addon_argv
from wyoming_servers import addon_options as ao

if TYPE_CHECKING:
    import argparse
    from pathlib import Path

COMPOSE = REPO_ROOT / "deploy" / "gpu" / "compose.yaml"


def server_parser(server: str) -> argparse.ArgumentParser:
    module = importlib.import_module(f"wyoming_servers.{server}.__main__")
    build = getattr(module, "build_parser", None)
    if build is None:
        pytest.skip(f"local-voice-{server} has no build_parser() yet")
    parser: argparse.ArgumentParser = build()
    return parser


def parse(server: str, argv: list[str]) -> argparse.Namespace:
    """Parse like the server does; an error fails the test with argparse's message."""
    parser = server_parser(server)
    stderr = io.StringIO()
    try:
        with contextlib.redirect_stderr(stderr):
            return parser.parse_args(argv)
    except SystemExit:
        pytest.fail(f"local-voice-{server} rejects {argv}: {stderr.getvalue()}")


def _all_options() -> ao.AddonOptions:
    return ao.parse_options(
        {
            "stt_model": "base",
            "language": "de",
            "beam_size": 3,
            "vocabulary": ["desk lamp"],
            "voice": "en_US-joe-medium",
            "speaker": 1,
            "length_scale": 1.2,
            "max_clients": 4,
            "max_queued": 0,
            "queue_timeout": 300,
            "debug": True,
            "allow": ["192.168.1.0/24", "fd00::/8"],
        }
    )


def test_addon_asr_argv_parses(tmp_path: Path) -> None:
    vocab = tmp_path / "vocab.txt"
    args = parse("asr", addon_argv.asr_argv(_all_options(), vocab))
    assert args.uri == f"tcp://0.0.0.0:{addon_argv.ASR_PORT}"
    assert args.model == "base"
    assert args.language == "de"
    assert args.beam_size == 3
    assert (args.max_clients, args.max_queued, args.queue_timeout) == (4, 0, 300.0)
    assert args.debug is True
    assert str(args.vocabulary) == str(vocab)
    assert [str(a) for a in args.allow] == addon_argv.effective_allow(_all_options())
    assert [str(a) for a in args.allow][:2] == ["192.168.1.0/24", "fd00::/8"]


def test_addon_tts_argv_parses(tmp_path: Path) -> None:
    args = parse("tts", addon_argv.tts_argv(_all_options(), tmp_path))
    assert args.uri == f"tcp://0.0.0.0:{addon_argv.TTS_PORT}"
    assert args.voice == "en_US-joe-medium"
    assert args.speaker in {1, "1"}
    assert args.length_scale == pytest.approx(1.2)
    assert (args.max_clients, args.max_queued, args.queue_timeout) == (4, 0, 300.0)
    assert str(args.voices_dir) == str(tmp_path)


def test_addon_default_argv_parses() -> None:
    options = ao.AddonOptions()
    assert parse("asr", addon_argv.asr_argv(options)).model == "tiny.en"
    assert parse("tts", addon_argv.tts_argv(options)).voice == "en_US-joe-medium"


def _compose_argv(server: str) -> list[str]:
    compose: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    command: list[str] = compose["services"][server]["command"]
    assert command[0] == f"local-voice-{server}"
    # Compose substitutes ${VAR:-default}; use the defaults.
    return [re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", arg) for arg in command[1:]]


def _systemd_argv(server: str) -> list[str]:
    unit = (REPO_ROOT / "deploy" / "systemd" / f"local-voice-{server}.service").read_text()
    joined = unit.replace("\\\n", " ")
    match = re.search(r"^ExecStart=(.*)$", joined, re.MULTILINE)
    assert match
    argv = shlex.split(match.group(1))
    assert argv[0] == f"/opt/local-voice/bin/local-voice-{server}"
    return argv[1:]


def test_gpu_compose_commands_parse() -> None:
    asr = parse("asr", _compose_argv("asr"))
    assert (asr.device, asr.compute_type) == ("cuda", "float16")
    assert asr.zeroconf
    tts = parse("tts", _compose_argv("tts"))
    assert tts.use_cuda is True
    assert tts.zeroconf


@pytest.mark.parametrize("server", ["asr", "tts"])
def test_systemd_units_parse(server: str) -> None:
    args = parse(server, _systemd_argv(server))
    assert args.zeroconf
    assert args.allow


def test_a_bad_argv_is_caught() -> None:
    """The check itself can fail: a flag the server does not have."""
    with pytest.raises(pytest.fail.Exception, match="rejects"):
        parse("asr", ["--no-such-flag"])
    with pytest.raises(pytest.fail.Exception, match="rejects"):
        parse("tts", ["--length-scale", "fast"])
