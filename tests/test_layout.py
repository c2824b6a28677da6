"""Repository layout rules that HACS and the Supervisor depend on."""

from __future__ import annotations

import subprocess

from local_voice_harness.paths import REPO_ROOT


def _tracked() -> list[str]:
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [line for line in out.splitlines() if line]


def test_no_addon_config_outside_addon() -> None:
    """The Supervisor treats every config.yaml/json it finds as an add-on."""
    offenders = [
        f
        for f in _tracked()
        if f.rsplit("/", 1)[-1] in {"config.yaml", "config.json", "config.yml"}
        and not f.startswith("addon/")
    ]
    assert offenders == []


def test_top_level_layout() -> None:
    for path in (
        "custom_components/local_voice/manifest.json",
        "wyoming_servers",
        "satellites/pi",
        "satellites/esp32",
        "tests",
        "benchmarks",
        "docs",
        "pyproject.toml",
        "README.md",
        "CHANGELOG.md",
        "hacs.json",
        "repository.yaml",
        "addon",
    ):
        assert (REPO_ROOT / path).exists(), path


def test_console_scripts_installed() -> None:
    import shutil

    for name in ("local-voice-asr", "local-voice-tts", "local-voice-satellite", "local-voice-eval"):
        assert shutil.which(name, path=str(REPO_ROOT / ".venv" / "bin")), name


def test_test_module_basenames_are_unique() -> None:
    """Test dirs are not packages, so two test files with one basename break collection."""
    from collections import Counter

    names = Counter(
        f.rsplit("/", 1)[-1]
        for f in _tracked()
        if f.startswith("tests/") and f.endswith(".py") and f.rsplit("/", 1)[-1].startswith("test_")
    )
    assert [name for name, count in names.items() if count > 1] == []
