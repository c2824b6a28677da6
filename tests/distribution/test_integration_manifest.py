"""hacs.json and manifest.json, checked as hassfest and the HACS action check them.

hassfest (``script.hassfest``) is not shipped in the homeassistant wheel, so
its custom-integration manifest schema is restated here from HA's source
(voluptuous, same keys and rules), and the rest is checked with HA's own
loader, requirement parser and installed-package check.
"""

from __future__ import annotations

import ast
import json
from importlib import metadata
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import pytest
import voluptuous as vol
from awesomeversion import AwesomeVersion, AwesomeVersionException, AwesomeVersionStrategy
from homeassistant import loader
from packaging.requirements import Requirement

from local_voice_harness.paths import REPO_ROOT

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

COMPONENT = REPO_ROOT / "custom_components" / "local_voice"
MANIFEST: dict[str, Any] = json.loads((COMPONENT / "manifest.json").read_text(encoding="utf-8"))
HACS: dict[str, Any] = json.loads((REPO_ROOT / "hacs.json").read_text(encoding="utf-8"))
CORE_COMPONENTS = REPO_ROOT / ".venv" / "lib" / "python3.13" / "site-packages" / "homeassistant"

IOT_CLASSES = [
    "assumed_state",
    "calculated",
    "cloud_polling",
    "cloud_push",
    "local_polling",
    "local_push",
]
INTEGRATION_TYPES = ["device", "entity", "hardware", "helper", "hub", "service", "system"]
VERSION_STRATEGIES = [
    AwesomeVersionStrategy.CALVER,
    AwesomeVersionStrategy.SEMVER,
    AwesomeVersionStrategy.SIMPLEVER,
    AwesomeVersionStrategy.BUILDVER,
    AwesomeVersionStrategy.PEP440,
]


def _https_url(value: Any) -> str:
    url = vol.Url()(value)
    if urlparse(url).scheme != "https":
        raise vol.Invalid("URL must use https")
    return str(url)


def _version(value: Any) -> str:
    try:
        AwesomeVersion(value, ensure_strategy=VERSION_STRATEGIES)
    except AwesomeVersionException as err:
        raise vol.Invalid(f"{value!r} is not a valid version") from err
    return str(value)


def _codeowner(value: Any) -> str:
    if not isinstance(value, str) or not value.startswith("@"):
        raise vol.Invalid("codeowners are GitHub handles starting with @")
    return value


# hassfest's CUSTOM_INTEGRATION_MANIFEST_SCHEMA (manifest.py), keys and rules.
MANIFEST_SCHEMA = vol.Schema(
    {
        vol.Required("domain"): str,
        vol.Required("name"): str,
        vol.Optional("integration_type", default="hub"): vol.In(INTEGRATION_TYPES),
        vol.Optional("config_flow"): bool,
        vol.Optional("mqtt"): [str],
        vol.Optional("zeroconf"): [vol.Any(str, vol.Schema({vol.Required("type"): str}, extra=1))],
        vol.Optional("ssdp"): [dict],
        vol.Optional("bluetooth"): [dict],
        vol.Optional("homekit"): vol.Schema({vol.Optional("models"): [str]}),
        vol.Optional("dhcp"): [dict],
        vol.Optional("usb"): [dict],
        vol.Required("documentation"): _https_url,
        vol.Required("issue_tracker"): _https_url,  # optional for hassfest, required by HACS
        vol.Optional("quality_scale"): vol.In(["bronze", "silver", "gold", "platinum"]),
        vol.Optional("requirements"): [str],
        vol.Optional("dependencies"): [str],
        vol.Optional("after_dependencies"): [str],
        vol.Required("codeowners"): vol.All([_codeowner], vol.Length(min=1)),
        vol.Optional("loggers"): [str],
        vol.Optional("disabled"): str,
        vol.Required("iot_class"): vol.In(IOT_CLASSES),
        vol.Optional("single_config_entry"): bool,
        vol.Optional("import_executor"): bool,
        vol.Required("version"): vol.All(str, _version),
    }
)

HACS_SCHEMA = vol.Schema(
    {
        vol.Required("name"): vol.All(str, vol.Length(min=1)),
        vol.Optional("content_in_root"): bool,
        vol.Optional("zip_release"): bool,
        vol.Optional("filename"): str,
        vol.Optional("hide_default_branch"): bool,
        vol.Optional("country"): vol.Any(str, [str]),
        vol.Optional("homeassistant"): vol.All(str, _version),
        vol.Optional("hacs"): str,
        vol.Optional("persistent_directory"): str,
        vol.Optional("render_readme"): bool,
    }
)


def test_manifest_matches_hassfest_schema() -> None:
    MANIFEST_SCHEMA(MANIFEST)
    assert MANIFEST["domain"] == COMPONENT.name
    assert MANIFEST["config_flow"] is True


def test_manifest_key_order_is_hassfests() -> None:
    """hassfest wants domain, name, then the other keys sorted."""
    keys = list(MANIFEST)
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])


def test_domain_does_not_shadow_a_core_integration() -> None:
    assert not (CORE_COMPONENTS / "components" / MANIFEST["domain"]).exists()


def dependency_problems(manifest: dict[str, Any]) -> list[str]:
    """Dependencies that are not integrations shipped with Home Assistant."""
    return [
        f"{key}: {domain}"
        for key in ("dependencies", "after_dependencies")
        for domain in manifest.get(key, [])
        if not (CORE_COMPONENTS / "components" / domain / "manifest.json").is_file()
    ]


# What HA core's own integrations pin in the newest release the integration is written
# against (2026.11.0's manifests: ollama, openai_conversation, wyoming).
NEWEST_CORE_PINS: dict[str, str] = {"ollama": "0.6.2", "openai": "3.26.0", "wyoming": "1.10.2"}


def core_pins(name: str) -> set[str]:
    """The versions of ``name`` that the installed HA's core integrations pin."""
    pins = set()
    for manifest in (CORE_COMPONENTS / "components").glob("*/manifest.json"):
        for line in json.loads(manifest.read_text(encoding="utf-8")).get("requirements", []):
            requirement = Requirement(line)
            if requirement.name.lower() == name.lower():
                pins |= {s.version for s in requirement.specifier if s.operator == "=="}
    return pins


def requirement_problems(manifest: dict[str, Any]) -> list[str]:
    """Requirements that could fight HA's own, or that are not what is installed.

    A package a core integration also uses must not be pinned: HA 2026.2 and
    2026.11 pin different versions, and a custom integration's pin that differs
    from core's fails to install. It takes ``>=`` the floor HA's (2026.2.3's) pin,
    which the newest HA's pin also satisfies. Any other package is pinned with
    ``==``. Either way the installed version must satisfy the requirement.
    """
    problems = []
    for line in manifest.get("requirements", []):
        requirement = Requirement(line)
        specs = list(requirement.specifier)
        floor_pins = core_pins(requirement.name)
        if floor_pins:
            lower = [s.version for s in specs if s.operator == ">="]
            if [s.operator for s in specs] != [">="] or set(lower) != floor_pins:
                problems.append(f"{line}: core pins {sorted(floor_pins)}; use >= that pin")
            newest = NEWEST_CORE_PINS.get(requirement.name.lower())
            if newest is None or not requirement.specifier.contains(newest):
                problems.append(f"{line}: the newest HA pins {newest}")
        elif [s.operator for s in specs] != ["=="]:
            problems.append(f"{line}: not pinned with ==")
            continue
        try:
            installed = metadata.version(requirement.name)
        except metadata.PackageNotFoundError:
            installed = None
        if installed is None or not requirement.specifier.contains(installed):
            problems.append(f"{line}: installed {installed}")
    return problems


def test_dependencies_are_real_core_integrations() -> None:
    assert dependency_problems(MANIFEST) == []


def test_requirements_pinned_and_installed_at_that_version() -> None:
    assert requirement_problems(MANIFEST) == []


@pytest.mark.parametrize(
    ("change", "checker"),
    [
        ({"version": "not a version!"}, "schema"),
        ({"version": None}, "schema"),
        ({"documentation": "http://example.com"}, "schema"),
        ({"issue_tracker": "not a url"}, "schema"),
        ({"codeowners": ["nobody"]}, "schema"),
        ({"codeowners": []}, "schema"),
        ({"iot_class": "local_magic"}, "schema"),
        ({"config_flow": "yes"}, "schema"),
        ({"mqtt": [7]}, "schema"),
        ({"unknown_key": 1}, "schema"),
        ({"dependencies": ["no_such_integration"]}, "dependencies"),
        ({"requirements": ["ollama>=0.4"]}, "requirements"),
        ({"requirements": ["ollama==0.5.1"]}, "requirements"),  # a pin would fight HA 2026.11
        ({"requirements": ["openai>=2.15.0,<3"]}, "requirements"),  # excludes 2026.11's 3.26.0
        ({"requirements": ["rapidfuzz>=3"]}, "requirements"),  # not core's: pin it
        ({"requirements": ["rapidfuzz==0.0.1"]}, "requirements"),
        ({"requirements": ["surely-not-installed-pkg==1.0"]}, "requirements"),
    ],
)
def test_checks_reject_a_broken_manifest(change: dict[str, Any], checker: str) -> None:
    broken = {**MANIFEST, **change}
    if change.get("version", "") is None:
        del broken["version"]
    if checker == "schema":
        with pytest.raises(vol.Invalid):
            MANIFEST_SCHEMA(broken)
    elif checker == "dependencies":
        assert dependency_problems(broken)
    else:
        assert requirement_problems(broken)


def test_config_flow_and_discovery_steps_exist() -> None:
    """hassfest: config_flow needs config_flow.py; each discovery key needs its step."""
    assert (COMPONENT / "config_flow.py").is_file()
    flow_modules = [COMPONENT / "config_flow.py", *(COMPONENT / "flows").glob("*.py")]
    source = "\n".join(p.read_text(encoding="utf-8") for p in flow_modules)
    steps = {
        node.name
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.AsyncFunctionDef) and node.name.startswith("async_step_")
    }
    assert "async_step_user" in steps
    for key in ("mqtt", "zeroconf", "ssdp", "dhcp", "usb", "bluetooth", "homekit"):
        if key in MANIFEST:
            assert f"async_step_{key}" in steps, f"manifest has {key} but no async_step_{key}"


def test_mqtt_topics_are_valid_subscriptions() -> None:
    """MQTT discovery topics: wildcards only as whole levels, '#' only last."""
    for topic in MANIFEST.get("mqtt", []):
        assert isinstance(topic, str)
        assert topic
        levels = topic.split("/")
        for index, level in enumerate(levels):
            if "#" in level:
                assert level == "#", topic
                assert index == len(levels) - 1, topic
            if "+" in level:
                assert level == "+", topic


def test_translations_present() -> None:
    strings = json.loads((COMPONENT / "strings.json").read_text(encoding="utf-8"))
    assert "config" in strings
    assert (COMPONENT / "translations" / "en.json").is_file()


def test_hacs_json() -> None:
    HACS_SCHEMA(HACS)
    assert HACS["name"] == "Local Voice"
    assert HACS["homeassistant"] == "2026.2.3"
    assert HACS["render_readme"] is True
    # The minimum version HACS enforces must not be newer than the HA we test on.
    assert AwesomeVersion(HACS["homeassistant"]) <= AwesomeVersion(
        metadata.version("homeassistant")
    )


def test_hacs_repository_layout() -> None:
    """HACS integration repos: exactly one folder under custom_components/."""
    folders = [p for p in (REPO_ROOT / "custom_components").iterdir() if p.is_dir()]
    assert [p.name for p in folders if not p.name.startswith("__")] == ["local_voice"]
    assert not HACS.get("content_in_root", False)


async def test_home_assistant_loader_accepts_the_integration(hass: HomeAssistant) -> None:
    integration = await loader.async_get_integration(hass, "local_voice")
    assert not integration.is_built_in
    assert integration.config_flow is True
    assert integration.version == AwesomeVersion(MANIFEST["version"])
    assert integration.iot_class == MANIFEST["iot_class"]
    assert set(integration.dependencies) == set(MANIFEST.get("dependencies", []))
    assert await integration.resolve_dependencies()
    component = await integration.async_get_component()
    assert component.__name__ == "custom_components.local_voice"
    flow = await integration.async_get_platform("config_flow")
    assert flow.__name__ == "custom_components.local_voice.config_flow"


def test_readme_for_hacs() -> None:
    """render_readme: HACS shows README.md as the repository's information page."""
    readme = REPO_ROOT / "README.md"
    assert readme.is_file()
    assert readme.read_text(encoding="utf-8").lstrip().startswith("#")
