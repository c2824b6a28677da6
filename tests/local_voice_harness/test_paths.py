"""The demo material ships with the harness: a clone with nothing beside it finds it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
import wave
from typing import TYPE_CHECKING

import pytest

from local_voice_harness import paths
from local_voice_harness.commands import load_commands, load_transcripts

if TYPE_CHECKING:
    from pathlib import Path

_PROBE = """
import json
from local_voice_harness import paths
from local_voice_harness.commands import load_commands, load_transcripts
print(json.dumps({
    "home": str(paths.demo_home_file()),
    "commands": [str(c.audio) for c in load_commands(paths.dev_commands_dir())],
    "real": [str(t.audio) for t in load_transcripts(paths.dev_real_speech_dir())],
}))
"""


def test_a_lone_copy_of_the_harness_finds_its_own_material(tmp_path: Path) -> None:
    """A copy of the package, run from elsewhere, with no ``shared`` folder anywhere near it."""
    clone = tmp_path / "clone"
    shutil.copytree(
        paths.PACKAGE_DIR,
        clone / "local_voice_harness",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k != paths.OVERRIDE_ENV}
    env["PYTHONPATH"] = str(clone)
    out = subprocess.run(
        [sys.executable, "-c", _PROBE],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    found = json.loads(out)
    data = clone / "local_voice_harness" / "data"
    assert found["home"] == str(data / "demo_home" / "home.yaml")
    assert len(found["commands"]) == 12
    assert len(found["real"]) == 8
    assert all(p.startswith(str(data / "audio" / "dev")) for p in found["commands"] + found["real"])
    assert not (tmp_path / "shared").exists()


def test_the_bundled_sets_follow_the_format(monkeypatch: pytest.MonkeyPatch) -> None:
    """The copies load under the ``commands.jsonl`` rules; every WAV is 16 kHz 16-bit mono."""
    monkeypatch.delenv(paths.OVERRIDE_ENV, raising=False)
    commands = load_commands(paths.dev_commands_dir())
    real = load_transcripts(paths.dev_real_speech_dir())
    assert paths.dev_commands_dir().is_relative_to(paths.DATA_DIR)
    assert [c.audio.name for c in commands] == [f"cmd{i:02d}.wav" for i in range(1, 13)]
    assert all(c.text and c.expect for c in commands)
    assert all(t.text for t in real)
    for audio in [c.audio for c in commands] + [t.audio for t in real]:
        with wave.open(str(audio)) as wav:
            assert (wav.getframerate(), wav.getsampwidth(), wav.getnchannels()) == (16000, 2, 1)


def test_the_copies_equal_the_shared_originals_where_those_exist() -> None:
    """Beside a checkout in the team's workspace the originals still exist: no drift."""
    original = paths.REPO_ROOT.parent / "shared"
    if not (original / "demo_home" / "home.yaml").is_file():
        pytest.skip("no shared originals beside this checkout")
    for part in ("demo_home", "audio/dev"):
        theirs = sorted(
            p.relative_to(original) for p in (original / part).rglob("*") if p.is_file()
        )
        ours = sorted(
            p.relative_to(paths.DATA_DIR) for p in (paths.DATA_DIR / part).rglob("*") if p.is_file()
        )
        assert ours == theirs
        for name in ours:
            assert (paths.DATA_DIR / name).read_bytes() == (original / name).read_bytes(), name


def test_the_override_is_used_and_never_silently_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = tmp_path / "other"
    (other / "demo_home").mkdir(parents=True)
    (other / "demo_home" / "home.yaml").write_text("areas: []\nentities: []\n")
    monkeypatch.setenv(paths.OVERRIDE_ENV, str(other))
    assert paths.demo_home_file() == other / "demo_home" / "home.yaml"
    assert paths.dev_commands_dir() == other / "audio" / "dev" / "commands"
    monkeypatch.setenv(paths.OVERRIDE_ENV, str(tmp_path / "missing"))
    with pytest.raises(paths.SharedMaterialMissingError, match="LOCAL_VOICE_SHARED"):
        paths.demo_home_file()


def test_package_data_globs_cover_every_data_file() -> None:
    """An installed wheel carries the data: pyproject's globs match every file in it."""
    config = tomllib.loads((paths.REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    globs = config["tool"]["setuptools"]["package-data"]
    patterns = globs.get("*", []) + globs.get("local_voice_harness", [])
    shipped = {p for pattern in patterns for p in paths.PACKAGE_DIR.glob(pattern) if p.is_file()}
    data = {p for p in paths.DATA_DIR.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    assert data
    assert data <= shipped, sorted(str(p) for p in data - shipped)
