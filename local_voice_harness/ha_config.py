"""The headless Home Assistant config dir the demo and the evaluation run in.

A minimal ``configuration.yaml`` (no ``default_config``: nothing may reach the
internet), HTTP on a loopback port, and ``custom_components/`` holding
symlinks to the repo's ``local_voice`` integration and the demo home, so HA
runs the code in the working tree exactly as it would after a HACS install.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import yaml

from .paths import HA_CONFIG_TEMPLATE, REPO_ROOT

if TYPE_CHECKING:
    from pathlib import Path

# Integrations set up from YAML. Everything else (mqtt, wyoming, local_voice)
# is added afterwards through the config-entry flow API, as a user would.
YAML_INTEGRATIONS: Final = (
    "api",
    "auth",
    "config",
    "conversation",
    "assist_pipeline",
    "diagnostics",  # what users have (default_config); benchmarks read agent figures from it
)


class HAConfigError(ValueError):
    """The config dir cannot be written as asked."""


@dataclass(frozen=True, slots=True)
class HAConfigSpec:
    """What goes into the config dir."""

    http_port: int
    home_file: Path
    log_level: str = "warning"
    debug_loggers: tuple[str, ...] = ()
    info_loggers: tuple[str, ...] = ()  # the stack reads their lines (the prompt warm-up)

    def __post_init__(self) -> None:
        if not 1 <= self.http_port <= 65535:  # noqa: PLR2004 - TCP port range
            raise HAConfigError(f"http_port {self.http_port} outside 1..65535")
        if not self.home_file.is_file():
            raise HAConfigError(f"demo home {self.home_file} does not exist")


def integration_sources() -> dict[str, Path]:
    """The custom integrations the config dir links to, by domain."""
    return {
        "local_voice": REPO_ROOT / "custom_components" / "local_voice",
        "demo_home": HA_CONFIG_TEMPLATE / "custom_components" / "demo_home",
    }


def configuration(spec: HAConfigSpec) -> dict[str, Any]:
    """The ``configuration.yaml`` content as a dict."""
    logger: dict[str, Any] = {"default": spec.log_level}
    logs = dict.fromkeys(spec.info_loggers, "info") | dict.fromkeys(spec.debug_loggers, "debug")
    if logs:
        logger["logs"] = logs
    config: dict[str, Any] = {
        "homeassistant": {
            "name": "Local Voice demo",
            "latitude": 0,
            "longitude": 0,
            "elevation": 0,
            "unit_system": "metric",
            "time_zone": "UTC",
            "country": "US",
            "language": "en",
            "currency": "EUR",
        },
        "http": {"server_host": "127.0.0.1", "server_port": spec.http_port},
        "logger": logger,
        "demo_home": {"home": str(spec.home_file)},
    }
    for domain in YAML_INTEGRATIONS:
        config[domain] = {}
    return config


def write_config_dir(config_dir: Path, spec: HAConfigSpec) -> Path:
    """Write ``configuration.yaml`` and the integration symlinks; return the yaml path."""
    config_dir.mkdir(parents=True, exist_ok=True)
    custom = config_dir / "custom_components"
    custom.mkdir(exist_ok=True)
    for domain, source in integration_sources().items():
        if not (source / "manifest.json").is_file():
            raise HAConfigError(f"integration {domain} missing at {source}")
        link = custom / domain
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(source, target_is_directory=True)
    path = config_dir / "configuration.yaml"
    text = yaml.safe_dump(configuration(spec), sort_keys=False).replace(": {}\n", ":\n")
    path.write_text(text, encoding="utf-8")
    return path
