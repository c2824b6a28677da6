"""The headless HA config dir: YAML content, integration links, refused inputs."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
import yaml

from local_voice_harness import paths
from local_voice_harness.ha_config import (
    HAConfigError,
    HAConfigSpec,
    configuration,
    write_config_dir,
)
from local_voice_harness.ha_runner import HEADLESS_SKIPPED, prepare_headless

if TYPE_CHECKING:
    from pathlib import Path


def test_configuration_is_minimal_and_loopback_only() -> None:
    config = configuration(HAConfigSpec(http_port=18123, home_file=paths.demo_home_file()))
    assert "default_config" not in config
    assert config["http"] == {"server_host": "127.0.0.1", "server_port": 18123}
    for domain in ("api", "auth", "config", "conversation", "assist_pipeline", "logger"):
        assert domain in config
    assert config["demo_home"] == {"home": str(paths.demo_home_file())}
    assert "logs" not in config["logger"]


def test_debug_loggers() -> None:
    spec = HAConfigSpec(
        http_port=1, home_file=paths.demo_home_file(), debug_loggers=("custom_components.x",)
    )
    assert configuration(spec)["logger"]["logs"] == {"custom_components.x": "debug"}


def test_write_config_dir_links_the_working_tree(tmp_path: Path) -> None:
    spec = HAConfigSpec(http_port=18123, home_file=paths.demo_home_file())
    written = write_config_dir(tmp_path, spec)
    loaded = yaml.safe_load(written.read_text())
    assert loaded["http"]["server_port"] == 18123
    assert loaded["api"] is None  # "api:" with no options, as a user writes it
    local_voice = tmp_path / "custom_components" / "local_voice"
    demo_home = tmp_path / "custom_components" / "demo_home"
    assert local_voice.resolve() == paths.REPO_ROOT / "custom_components" / "local_voice"
    assert (demo_home / "manifest.json").is_file()
    # Writing twice replaces the links instead of failing.
    write_config_dir(tmp_path, spec)
    assert local_voice.is_symlink()


@pytest.mark.parametrize("port", [0, 65536, -1])
def test_bad_port_refused(port: int) -> None:
    with pytest.raises(HAConfigError, match="http_port"):
        HAConfigSpec(http_port=port, home_file=paths.demo_home_file())


def test_missing_home_refused(tmp_path: Path) -> None:
    with pytest.raises(HAConfigError, match="does not exist"):
        HAConfigSpec(http_port=8123, home_file=tmp_path / "nope.yaml")


def test_headless_runner_drops_frontend_and_online_defaults() -> None:
    from homeassistant import bootstrap

    saved_default = set(bootstrap.DEFAULT_INTEGRATIONS)
    saved_critical = set(bootstrap.CRITICAL_INTEGRATIONS)
    try:
        prepare_headless()
        assert not HEADLESS_SKIPPED & bootstrap.DEFAULT_INTEGRATIONS
        assert "frontend" not in bootstrap.CRITICAL_INTEGRATIONS
        assert "automation" in bootstrap.DEFAULT_INTEGRATIONS  # the rest is stock
    finally:
        bootstrap.DEFAULT_INTEGRATIONS.clear()
        bootstrap.DEFAULT_INTEGRATIONS.update(saved_default)
        bootstrap.CRITICAL_INTEGRATIONS.clear()
        bootstrap.CRITICAL_INTEGRATIONS.update(saved_critical)
