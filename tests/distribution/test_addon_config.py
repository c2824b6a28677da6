"""The add-on folder as the Supervisor reads it: config, build, translations, s6 tree.

The Supervisor cannot run here, so its rules are restated: required keys and
types of ``config.yaml``, its option-schema language (``int(1,10)``,
``list(a|b)``, ``match(re)``, ``?`` for optional), valid architectures, and the
s6-overlay v3 service layout the base images expect.
"""

from __future__ import annotations

import ipaddress
import re
import subprocess
from importlib import metadata
from typing import TYPE_CHECKING, Any

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from local_voice_harness.paths import REPO_ROOT
from wyoming_servers import addon_argv, addon_options

if TYPE_CHECKING:
    from pathlib import Path

ADDON = REPO_ROOT / "addon"
CONFIG: dict[str, Any] = yaml.safe_load((ADDON / "config.yaml").read_text(encoding="utf-8"))
BUILD: dict[str, Any] = yaml.safe_load((ADDON / "build.yaml").read_text(encoding="utf-8"))
S6 = ADDON / "rootfs" / "etc" / "s6-overlay" / "s6-rc.d"
ARCHES = {"armhf", "armv7", "aarch64", "amd64", "i386"}
_RANGE = r"(?:\((?P<min>-?[\d.]*),(?P<max>-?[\d.]*)\))?"


def check_option(kind: str, value: Any) -> None:
    """Validate one value against a Supervisor schema type (raises AssertionError)."""
    if kind.endswith("?"):
        if value is None:
            return
        kind = kind[:-1]
    if m := re.fullmatch(r"(?P<t>int|float|str)" + _RANGE, kind):
        wanted = {"int": int, "float": (int, float), "str": str}[m["t"]]
        assert isinstance(value, wanted), (kind, value)
        assert not isinstance(value, bool), (kind, value)
        measure = len(value) if m["t"] == "str" else value
        if m["min"]:
            assert measure >= float(m["min"]), (kind, value)
        if m["max"]:
            assert measure <= float(m["max"]), (kind, value)
    elif kind in {"bool", "password"}:
        assert isinstance(value, bool if kind == "bool" else str), (kind, value)
    elif m := re.fullmatch(r"list\((?P<items>[^)]+)\)", kind):
        assert value in m["items"].split("|"), (kind, value)
    elif m := re.fullmatch(r"match\((?P<re>.+)\)", kind):
        assert isinstance(value, str), (kind, value)
        assert re.fullmatch(m["re"], value), (kind, value)
    elif kind == "port":
        assert isinstance(value, int), (kind, value)
        assert 1 <= value <= 65535, (kind, value)
    else:
        pytest.fail(f"unknown Supervisor schema type {kind!r}")


def check_options(schema: dict[str, Any], options: dict[str, Any]) -> None:
    """Every option against its schema entry; required ones need a default."""
    assert set(options) <= set(schema), set(options) - set(schema)
    for name, kind in schema.items():
        value = options.get(name)
        if isinstance(kind, list):
            assert isinstance(value, list), name
            for item in value:
                check_option(kind[0], item)
        else:
            assert name in options or kind.endswith("?"), f"{name} needs a default"
            check_option(kind, value)


def test_required_keys_and_types() -> None:
    for key, kind in {
        "name": str,
        "version": str,
        "slug": str,
        "description": str,
        "url": str,
        "arch": list,
    }.items():
        assert isinstance(CONFIG.get(key), kind), key
    assert CONFIG["slug"] == "local_voice"
    assert re.fullmatch(r"[a-z0-9_]+", CONFIG["slug"])
    assert set(CONFIG["arch"]) == {"amd64", "aarch64"}
    assert set(CONFIG["arch"]) <= ARCHES
    assert CONFIG["init"] is False  # s6-overlay v3 is PID 1 in the base image
    assert CONFIG["discovery"] == ["wyoming"]
    assert CONFIG["startup"] in {"initialize", "system", "services", "application", "once"}
    assert CONFIG["boot"] in {"auto", "manual"}


def test_version_matches_project_and_changelog() -> None:
    pyproject = (REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert f'version = "{CONFIG["version"]}"' in pyproject
    changelog = (ADDON / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"## {CONFIG['version']}" in changelog


def test_ports_match_the_servers() -> None:
    assert set(CONFIG["ports"]) == {
        f"{addon_argv.ASR_PORT}/tcp",
        f"{addon_argv.TTS_PORT}/tcp",
        f"{addon_argv.API_PORT}/tcp",
    }
    assert set(CONFIG["ports_description"]) == set(CONFIG["ports"])
    assert f"[PORT:{addon_argv.ASR_PORT}]" in CONFIG["watchdog"]


def test_backup_excludes_model_caches() -> None:
    assert any("cache" in pattern for pattern in CONFIG["backup_exclude"])
    assert "*.bin" in CONFIG["backup_exclude"]


def test_options_valid_against_schema() -> None:
    check_options(CONFIG["schema"], CONFIG["options"])


def test_schema_covers_every_option_the_module_reads() -> None:
    assert set(CONFIG["schema"]) == addon_options.OPTION_NAMES


def test_default_allow_list_is_cidrs() -> None:
    for network in CONFIG["options"]["allow"]:
        ipaddress.ip_network(network, strict=True)
    assert tuple(CONFIG["options"]["allow"]) == addon_options.DEFAULT_ALLOW


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("stt_model", "large"),
        ("beam_size", 0),
        ("beam_size", "5"),
        ("length_scale", 9.0),
        ("debug", "true"),
        ("voice", "../x"),
        ("language", "english"),
        ("max_clients", 100),
        ("max_queued", -1),
        ("queue_timeout", 0),
        ("vocabulary", "not a list"),
        ("speaker", -1),
        ("http_api", "yes"),
    ],
)
def test_schema_checker_rejects_bad_values(name: str, value: Any) -> None:
    with pytest.raises(AssertionError):
        check_options(CONFIG["schema"], {**CONFIG["options"], name: value})


def test_translations_cover_every_option_and_port() -> None:
    translations = yaml.safe_load((ADDON / "translations" / "en.yaml").read_text("utf-8"))
    assert set(translations["configuration"]) == set(CONFIG["schema"])
    for entry in translations["configuration"].values():
        assert entry["name"]
        assert entry["description"]
    assert set(translations["network"]) == set(CONFIG["ports"])


def test_build_yaml_pins_a_base_per_arch() -> None:
    assert set(BUILD["build_from"]) == set(CONFIG["arch"])
    for arch, image in BUILD["build_from"].items():
        name, _, tag = image.rpartition(":")
        assert name.endswith(f"/{arch}-base-debian"), image
        assert tag, f"{image}: no tag"
        assert tag != "latest", f"{image}: 'latest' is not a pin"


def _runtime_dependencies() -> dict[str, str]:
    """Every runtime dependency of the installed project, transitively: name -> version."""
    found: dict[str, str] = {}

    def walk(name: str, extras: set[str]) -> None:
        for line in metadata.distribution(name).requires or []:
            requirement = Requirement(line)
            marker = requirement.marker
            if marker and not any(marker.evaluate({"extra": e}) for e in extras or {""}):
                continue
            key = canonicalize_name(requirement.name)
            if key not in found:
                found[key] = metadata.version(requirement.name)
                walk(requirement.name, set(requirement.extras))

    walk("local-voice", set())
    return found


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            assert "==" in line, f"{path.name}: {line} is not pinned with =="
            name, version = line.split("==", 1)
            pins[canonicalize_name(name)] = version
    return pins


def test_image_requirements_are_the_project_pins_complete() -> None:
    image = _pins(ADDON / "requirements.txt")
    constraints = _pins(REPO_ROOT / "constraints" / "local-voice.txt")
    differs = {name: v for name, v in image.items() if constraints.get(name) != v}
    assert differs == {}, "addon/requirements.txt differs from constraints/local-voice.txt"
    missing = set(_runtime_dependencies()) - set(image)
    assert missing == set(), f"add to addon/requirements.txt: {sorted(missing)}"


def test_apparmor_profile_named_for_the_slug() -> None:
    text = (ADDON / "apparmor.txt").read_text(encoding="utf-8")
    assert re.search(rf"^profile {CONFIG['slug']} flags=", text, re.MULTILINE)
    assert text.count("{") == text.count("}")
    assert "/data/{,**} rw" in text


def test_docs_and_images_present() -> None:
    for name in ("DOCS.md", "CHANGELOG.md", "icon.png", "logo.png", "Dockerfile"):
        assert (ADDON / name).is_file(), name
    assert not (ADDON / ".keep").exists()


def test_s6_services() -> None:
    """s6-overlay v3: three longruns with run+finish, a oneshot after the servers, in the bundle."""
    for service in ("asr", "tts", "api"):
        assert (S6 / service / "type").read_text().strip() == "longrun"
        for script in ("run", "finish"):
            path = S6 / service / script
            assert path.stat().st_mode & 0o111, f"{path} not executable"
            assert path.read_text().startswith("#!/command/with-contenv bash\n")
    assert (S6 / "discovery" / "type").read_text().strip() == "oneshot"
    up = (S6 / "discovery" / "up").read_text().strip()
    assert (ADDON / "rootfs" / up.lstrip("/")).stat().st_mode & 0o111
    assert {p.name for p in (S6 / "discovery" / "dependencies.d").iterdir()} == {"asr", "tts"}
    assert {p.name for p in (S6 / "user" / "contents.d").iterdir()} == {
        "asr",
        "tts",
        "api",
        "discovery",
    }
    for script in (ADDON / "rootfs" / "usr" / "local" / "lib" / "local_voice_addon").glob("*.sh"):
        assert script.stat().st_mode & 0o111, f"{script} not executable"


def _tracked() -> list[str]:
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return out.splitlines()


def test_exactly_one_addon_config_in_the_repository() -> None:
    """The Supervisor scans the whole repository for config.{yaml,yml,json}."""
    configs = [
        path
        for path in _tracked()
        if path.rsplit("/", 1)[-1] in {"config.yaml", "config.yml", "config.json"}
    ]
    assert configs == ["addon/config.yaml"]


def test_repository_yaml() -> None:
    repository = yaml.safe_load((REPO_ROOT / "repository.yaml").read_text(encoding="utf-8"))
    assert repository["name"]
    assert repository["url"].startswith("https://")
    assert re.fullmatch(r".+ <[^@\s]+@[^@\s]+>", repository["maintainer"])
