"""The add-on's ``http_api`` option -> ``local-voice-api`` arguments.

The arguments are also handed to the gateway's own argument parser and config
check, so a flag the gateway does not know (or a value it refuses) fails here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from local_voice_harness.paths import REPO_ROOT
from wyoming_servers import addon_argv
from wyoming_servers import addon_options as ao
from wyoming_servers.http_api.__main__ import build_parser, config_from_args

if TYPE_CHECKING:
    import argparse
    from pathlib import Path

ADDON_DEFAULTS: dict[str, Any] = yaml.safe_load(
    (REPO_ROOT / "addon" / "config.yaml").read_text(encoding="utf-8")
)["options"]


def _opts(**changes: Any) -> ao.AddonOptions:
    return ao.parse_options({**ADDON_DEFAULTS, **changes})


def _flag(argv: list[str], name: str) -> list[str]:
    return [argv[i + 1] for i, arg in enumerate(argv) if arg == name]


def _gateway_accepts(argv: list[str]) -> argparse.Namespace:
    parser = build_parser()
    args = parser.parse_args(argv)
    config_from_args(parser, args)  # raises SystemExit on a value it refuses
    return args


def test_off_by_default() -> None:
    assert ADDON_DEFAULTS["http_api"] is False
    assert ao.AddonOptions().http_api is False
    assert addon_argv.api_argv(_opts()) == []


def test_on_talks_to_both_servers_inside_the_container() -> None:
    argv = addon_argv.api_argv(_opts(http_api=True))
    args = _gateway_accepts(argv)
    assert (args.host, args.port) == ("0.0.0.0", addon_argv.API_PORT)
    assert args.asr_uri == f"tcp://127.0.0.1:{addon_argv.ASR_PORT}"
    assert args.tts_uri == f"tcp://127.0.0.1:{addon_argv.TTS_PORT}"
    assert args.max_clients == 8
    assert args.debug is False
    assert [str(n) for n in args.allow] == list(ao.DEFAULT_ALLOW)


def test_shares_allow_max_clients_and_debug_with_the_servers() -> None:
    options = _opts(http_api=True, allow=["192.168.1.0/24"], max_clients=3, debug=True)
    argv = addon_argv.api_argv(options, port=12345, asr_port=1, tts_port=2)
    args = _gateway_accepts(argv)
    assert args.port == 12345
    assert (args.asr_uri, args.tts_uri) == ("tcp://127.0.0.1:1", "tcp://127.0.0.1:2")
    assert args.max_clients == 3
    assert args.debug is True
    # Same list as the Wyoming servers get: the container and HA always allowed.
    assert _flag(argv, "--allow") == _flag(addon_argv.asr_argv(options), "--allow")
    assert [str(n) for n in args.allow] == ["192.168.1.0/24", *addon_argv.ALWAYS_ALLOW]


@pytest.mark.parametrize(
    ("value", "why"), [("yes", "true or false"), (1, "true or false"), (None, "true or false")]
)
def test_bad_http_api_value_names_it(value: object, why: str) -> None:
    with pytest.raises(ao.AddonOptionError, match=why) as caught:
        _opts(http_api=value)
    assert caught.value.option == "http_api"


def _cli(tmp_path: Path, options: dict[str, Any], *extra: str) -> subprocess.CompletedProcess[str]:
    options_file = tmp_path / "options.json"
    options_file.write_text(json.dumps({**ADDON_DEFAULTS, **options}), encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "wyoming_servers.addon_argv", "api", str(options_file), *extra],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        cwd=REPO_ROOT,
    )


def test_cli_api_prints_nothing_while_off(tmp_path: Path) -> None:
    done = _cli(tmp_path, {})
    assert (done.returncode, done.stdout) == (0, "")


def test_cli_api_with_port_override(tmp_path: Path) -> None:
    done = _cli(tmp_path, {"http_api": True}, "--port", "10555")
    assert done.returncode == 0, done.stderr
    argv = done.stdout.splitlines()
    assert argv == addon_argv.api_argv(_opts(http_api=True), port=10555)
    assert _gateway_accepts(argv).port == 10555


def test_cli_api_refuses_a_bad_option(tmp_path: Path) -> None:
    done = _cli(tmp_path, {"http_api": "on"})
    assert done.returncode == 2
    assert done.stdout == ""
    assert "option 'http_api': must be true or false" in done.stderr
