"""Satellite configuration: a TOML file, overridden by command-line flags.

Everything is validated here, once, so the rest of the program can trust
it: ids match the protocol's pattern, ports and volumes are in range, TLS
files exist. An error names the setting and what is allowed.

```toml
satellite_id = "kitchen"
name = "Kitchen satellite"
area = "Kitchen"
input = "arecord:default"        # or sounddevice:NAME, file:PATH, -
output = "aplay:default"         # or dir:PATH, none
wake_words = ["okay_nabu"]
volume = 0.8
sounds = true

[broker]
host = "homeassistant.local"
port = 8883
username = "kitchen"
password = "..."
ca_file = "/etc/local-voice/ca.crt"   # TLS on when set (or tls = true: system CAs)

[endpointing]
vad = "silero"                   # or micro
silence_ms = 300
max_seconds = 15
no_speech_seconds = 5
```
"""

from __future__ import annotations

import argparse
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import local_voice_protocol as protocol

from .endpoint import EndpointError, EndpointParams


class ConfigError(ValueError):
    """A setting is missing, of the wrong type or out of range."""


@dataclass(frozen=True, slots=True)
class BrokerConfig:
    """Where and how to reach mosquitto."""

    host: str = "localhost"
    port: int = 1883
    username: str | None = None
    password: str | None = None
    tls: bool = False
    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None
    keepalive: int = 30


@dataclass(frozen=True, slots=True)
class SatelliteConfig:
    """The whole satellite."""

    satellite_id: str
    name: str
    area: str | None = None
    broker: BrokerConfig = field(default_factory=BrokerConfig)
    input: str = "arecord:default"
    output: str = "aplay:default"
    realtime: bool = True
    pad_seconds: float = 0.0
    wake_words: tuple[str, ...] = ("okay_nabu",)
    wake_word_dir: Path | None = None
    volume: float = 1.0
    sounds: bool = False
    chunk_ms: int = 30
    vad: str = "silero"
    endpointing: EndpointParams = field(default_factory=EndpointParams)
    exit_on_eof: bool = False


def _get(raw: dict[str, Any], key: str, kind: type | tuple[type, ...], default: Any = None) -> Any:
    value = raw.get(key, default)
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if value is not None and (
        not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds)
    ):
        raise ConfigError(f"setting {key!r} must be {kind}, got {value!r}")
    return value


def _path(raw: dict[str, Any], key: str) -> Path | None:
    value = _get(raw, key, str, None)
    if value is None:
        return None
    path = Path(value).expanduser()
    if not path.is_file():
        raise ConfigError(f"setting {key!r}: file {path} does not exist")
    return path


def _broker(raw: dict[str, Any]) -> BrokerConfig:
    port = _get(raw, "port", int, None)
    ca_file = _path(raw, "ca_file")
    tls = bool(_get(raw, "tls", bool, default=False)) or ca_file is not None
    port = port if port is not None else (8883 if tls else 1883)
    if not 1 <= port <= 65535:  # noqa: PLR2004
        raise ConfigError(f"broker port {port} is out of range")
    keepalive = _get(raw, "keepalive", int, 30)
    if not 5 <= keepalive <= 600:  # noqa: PLR2004
        raise ConfigError("broker keepalive must be 5..600 s")
    cert, key = _path(raw, "cert_file"), _path(raw, "key_file")
    if (cert is None) != (key is None):
        raise ConfigError("cert_file and key_file go together (TLS client certificate)")
    return BrokerConfig(
        host=_get(raw, "host", str, "localhost"),
        port=port,
        username=_get(raw, "username", str, None),
        password=_get(raw, "password", str, None),
        tls=tls or cert is not None,
        ca_file=ca_file,
        cert_file=cert,
        key_file=key,
        keepalive=keepalive,
    )


def _endpointing(raw: dict[str, Any]) -> tuple[str, EndpointParams]:
    vad = _get(raw, "vad", str, "silero")
    if vad not in {"silero", "micro"}:
        raise ConfigError(f"endpointing vad must be silero or micro, got {vad!r}")
    defaults = EndpointParams()
    try:
        params = EndpointParams(
            threshold=float(_get(raw, "threshold", (int, float), defaults.threshold)),
            silence_ms=int(_get(raw, "silence_ms", int, defaults.silence_ms)),
            min_speech_ms=int(_get(raw, "min_speech_ms", int, defaults.min_speech_ms)),
            max_seconds=float(_get(raw, "max_seconds", (int, float), defaults.max_seconds)),
            no_speech_seconds=float(
                _get(raw, "no_speech_seconds", (int, float), defaults.no_speech_seconds)
            ),
        )
    except EndpointError as err:
        raise ConfigError(f"endpointing: {err}") from err
    return vad, params


def from_dict(raw: dict[str, Any]) -> SatelliteConfig:
    """Validate a parsed TOML document (flags already merged in)."""
    sat_id = _get(raw, "satellite_id", str, None)
    if sat_id is None or not protocol.ID_PATTERN.fullmatch(sat_id):
        raise ConfigError(f"satellite_id {sat_id!r} must match {protocol.ID_PATTERN.pattern}")
    name = _get(raw, "name", str, sat_id)
    if not name or len(name) > protocol.MAX_NAME_CHARS:
        raise ConfigError(f"name must be 1..{protocol.MAX_NAME_CHARS} characters")
    words = _get(raw, "wake_words", list, ["okay_nabu"])
    if len(words) > protocol.MAX_WAKE_WORDS or not all(
        isinstance(w, str) and protocol.ID_PATTERN.fullmatch(w) for w in words
    ):
        raise ConfigError("wake_words must be a list of wake word ids such as okay_nabu")
    volume = float(_get(raw, "volume", (int, float), 1.0))
    if not 0.0 <= volume <= 1.0:
        raise ConfigError("volume must be in [0, 1]")
    chunk_ms = _get(raw, "chunk_ms", int, 30)
    if chunk_ms % 10 or not protocol.MIN_CHUNK_MS <= chunk_ms <= protocol.MAX_CHUNK_MS:
        raise ConfigError("chunk_ms must be a multiple of 10 in [10, 100]")
    pad = float(_get(raw, "pad_seconds", (int, float), 0.0))
    if not 0 <= pad <= 60:  # noqa: PLR2004
        raise ConfigError("pad_seconds must be in [0, 60]")
    broker = _get(raw, "broker", dict, {})
    vad, params = _endpointing(_get(raw, "endpointing", dict, {}))
    extra = _get(raw, "wake_word_dir", str, None)
    return SatelliteConfig(
        satellite_id=sat_id,
        name=name,
        area=_get(raw, "area", str, None),
        broker=_broker(broker),
        input=_get(raw, "input", str, "arecord:default"),
        output=_get(raw, "output", str, "aplay:default"),
        realtime=bool(_get(raw, "realtime", bool, default=True)),
        pad_seconds=pad,
        wake_words=tuple(words),
        wake_word_dir=Path(extra) if extra else None,
        volume=volume,
        sounds=bool(_get(raw, "sounds", bool, default=False)),
        chunk_ms=chunk_ms,
        vad=vad,
        endpointing=params,
        exit_on_eof=bool(_get(raw, "exit_on_eof", bool, default=False)),
    )


def build_parser() -> argparse.ArgumentParser:
    """Flags; each overrides the same setting from ``--config``."""
    p = argparse.ArgumentParser(prog="local-voice-satellite", description=__doc__.split("\n")[0])
    p.add_argument("--config", type=Path, help="TOML file (flags override it)")
    p.add_argument("--satellite-id", dest="satellite_id")
    p.add_argument("--name")
    p.add_argument("--area")
    p.add_argument("--input", help="arecord:DEVICE | sounddevice[:DEVICE] | file:PATH | -")
    p.add_argument("--output", help="aplay:DEVICE | dir:PATH | none")
    p.add_argument("--fast", action="store_true", help="read file input as fast as possible")
    p.add_argument("--pad-seconds", dest="pad_seconds", type=float, help="silence after a file")
    p.add_argument("--exit-on-eof", dest="exit_on_eof", action="store_true", default=None)
    p.add_argument("--wake-word", dest="wake_words", action="append", help="repeatable")
    p.add_argument("--wake-word-dir", dest="wake_word_dir")
    p.add_argument("--volume", type=float)
    p.add_argument("--sounds", action="store_true", default=None, help="awake/done tones")
    p.add_argument("--chunk-ms", dest="chunk_ms", type=int)
    p.add_argument("--host", dest="broker.host")
    p.add_argument("--port", dest="broker.port", type=int)
    p.add_argument("--username", dest="broker.username")
    p.add_argument("--password", dest="broker.password")
    p.add_argument("--ca-file", dest="broker.ca_file")
    p.add_argument("--cert-file", dest="broker.cert_file")
    p.add_argument("--key-file", dest="broker.key_file")
    p.add_argument("--tls", dest="broker.tls", action="store_true", default=None)
    p.add_argument("--vad", dest="endpointing.vad", choices=["silero", "micro"])
    p.add_argument("--silence-ms", dest="endpointing.silence_ms", type=int)
    p.add_argument("--max-seconds", dest="endpointing.max_seconds", type=float)
    p.add_argument("--debug", action="store_true")
    return p


def load(args: argparse.Namespace) -> SatelliteConfig:
    """Read ``--config`` (if given) and apply the flags on top."""
    raw: dict[str, Any] = {}
    if args.config is not None:
        try:
            raw = tomllib.loads(Path(args.config).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as err:
            raise ConfigError(f"cannot read config {args.config}: {err}") from err
    for key, value in vars(args).items():
        if value is None or key in {"config", "debug", "fast"}:
            continue
        section, _, sub = key.partition(".")
        if sub:
            raw.setdefault(section, {})[sub] = value
        else:
            raw[key] = value
    if args.fast:
        raw["realtime"] = False
    return from_dict(raw)
