"""Satellite configuration: TOML + flags, validated once at the boundary."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from local_voice_satellite.config import ConfigError, build_parser, from_dict, load

if TYPE_CHECKING:
    from pathlib import Path


def _load(tmp_path: Path, toml: str, *flags: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "satellite.toml"
    path.write_text(toml)
    return load(build_parser().parse_args(["--config", str(path), *flags]))


def test_toml_with_flags_on_top(tmp_path: Path) -> None:
    ca = tmp_path / "ca.crt"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    cfg = _load(
        tmp_path,
        f"""
satellite_id = "kitchen"
name = "Kitchen"
area = "Kitchen"
wake_words = ["okay_nabu", "hey_jarvis"]
volume = 0.7
[broker]
host = "ha.local"
username = "kitchen"
password = "secret"
ca_file = "{ca}"
[endpointing]
vad = "micro"
silence_ms = 450
""",
        "--silence-ms",
        "350",
        "--volume",
        "0.5",
        "--wake-word",
        "alexa",
    )
    assert cfg.satellite_id == "kitchen"
    assert cfg.broker.tls  # a CA file turns TLS on ...
    assert cfg.broker.port == 8883  # ... and the default port with it
    assert cfg.broker.ca_file == ca
    assert (cfg.broker.username, cfg.broker.password) == ("kitchen", "secret")
    assert cfg.vad == "micro"
    assert cfg.endpointing.silence_ms == 350  # the flag wins
    assert cfg.volume == 0.5
    assert cfg.wake_words == ("alexa",)


def test_defaults() -> None:
    cfg = from_dict({"satellite_id": "den"})
    assert cfg.name == "den"
    assert cfg.broker.port == 1883
    assert not cfg.broker.tls
    assert cfg.vad == "silero"
    assert cfg.endpointing.silence_ms == 300
    assert cfg.wake_words == ("okay_nabu",)


@pytest.mark.parametrize(
    "raw",
    [
        {},
        {"satellite_id": "Kitchen!"},
        {"satellite_id": "k", "volume": 2},
        {"satellite_id": "k", "volume": True},
        {"satellite_id": "k", "chunk_ms": 15},
        {"satellite_id": "k", "chunk_ms": 200},
        {"satellite_id": "k", "wake_words": ["Okay Nabu"]},
        {"satellite_id": "k", "broker": {"port": 70000}},
        {"satellite_id": "k", "broker": {"ca_file": "/nonexistent/ca.crt"}},
        {"satellite_id": "k", "broker": {"cert_file": "/etc/hostname"}},
        {"satellite_id": "k", "endpointing": {"vad": "webrtc"}},
        {"satellite_id": "k", "endpointing": {"silence_ms": 20}},
        {"satellite_id": "k", "name": "x" * 101},
    ],
)
def test_invalid_settings_are_refused(raw: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        from_dict(raw)


def test_unreadable_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read config"):
        _load(tmp_path, "satellite_id = ")


def test_shipped_example_config_is_valid(tmp_path: Path) -> None:
    from local_voice_harness.paths import REPO_ROOT

    example = (REPO_ROOT / "satellites" / "pi" / "satellite.example.toml").read_text()
    ca = tmp_path / "ca.crt"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    cfg = _load(tmp_path, example.replace("/etc/local-voice/ca.crt", str(ca)))
    assert cfg.satellite_id == "kitchen"
    assert cfg.broker.tls
    assert cfg.broker.port == 8883
    assert cfg.endpointing.silence_ms == 300
