"""Bad command lines are usage errors at start-up, never a gateway that fails per request."""

from __future__ import annotations

import ipaddress

import pytest

from wyoming_servers.http_api.__main__ import build_parser, config_from_args, main
from wyoming_servers.tts.__main__ import DEFAULT_MAX_CHARS as TTS_DEFAULT_MAX_CHARS


@pytest.mark.parametrize(
    "argv",
    [
        ["--asr-uri", "stdio://"],
        ["--tts-uri", "http://127.0.0.1:10200"],
        ["--max-upload-bytes", "10"],
        ["--allow", "nonsense"],
        ["--port", "70000"],
        ["--max-clients", "0"],
        ["--timeout", "0"],
        ["--max-queued", "-1"],
    ],
)
async def test_bad_flags_are_usage_errors(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        await main(argv)
    assert exited.value.code == 2


def test_defaults_match_the_wyoming_side() -> None:
    parser = build_parser()
    config = config_from_args(parser, parser.parse_args([]))
    assert config.asr_uri == "tcp://127.0.0.1:10300"
    assert config.tts_uri == "tcp://127.0.0.1:10200"
    assert config.max_chars == TTS_DEFAULT_MAX_CHARS  # one cap on both sides
    allowed = {str(network) for network in config.allow}
    assert {"127.0.0.0/8", "::1/128", "192.168.0.0/16", "10.0.0.0/8"} <= allowed
    assert not any(ipaddress.ip_address("8.8.8.8") in network for network in config.allow)
