"""Encrypted debug recordings: unreadable without the key, deleted on schedule."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import TYPE_CHECKING

import pytest

from wyoming_servers import recordings as rec

if TYPE_CHECKING:
    from pathlib import Path

AUDIO = bytes(range(256)) * 64  # 16 KiB of PCM-like bytes


def test_round_trip_and_nothing_readable_without_key(tmp_path: Path) -> None:
    key = rec.generate_key()
    store = rec.RecordingStore(tmp_path, key, max_days=7, max_bytes=10_000_000)
    path = store.save(AUDIO, rate=16000, transcript="unlock the front door", answer="Are you sure?")
    blob = path.read_bytes()
    assert b"front door" not in blob
    assert AUDIO[:64] not in blob
    assert "front" not in path.name
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    got = rec.unseal(key, blob)
    assert got.audio == AUDIO
    assert got.meta["transcript"] == "unlock the front door"
    with pytest.raises(rec.RecordingError, match="wrong key"):
        rec.unseal(rec.generate_key(), blob)
    tampered = blob[:-1] + bytes([blob[-1] ^ 1])
    with pytest.raises(rec.RecordingError, match="altered"):
        rec.unseal(key, tampered)
    assert key.hex() not in repr(store)


def test_fresh_nonce_per_file(tmp_path: Path) -> None:
    key = rec.generate_key()
    a = rec.seal(key, {"x": 1}, AUDIO)
    b = rec.seal(key, {"x": 1}, AUDIO)
    assert a[4:16] != b[4:16]
    assert a != b


def test_retention_by_age_and_bytes(tmp_path: Path) -> None:
    key = rec.generate_key()
    store = rec.RecordingStore(tmp_path, key, max_days=1, max_bytes=3 * 17_000)
    old = store.save(AUDIO, rate=16000, transcript="a", answer="b")
    two_days_ago = time.time() - 2 * 86400
    os.utime(old, (two_days_ago, two_days_ago))
    assert old in store.purge()
    assert not old.exists()
    paths = []
    for i in range(5):
        paths.append(store.save(AUDIO, rate=16000, transcript=str(i), answer=""))
        time.sleep(0.01)
    remaining = store.files()
    assert len(remaining) == 3
    assert remaining == paths[-3:]  # the oldest went first


def test_bad_keys_and_inputs() -> None:
    with pytest.raises(rec.RecordingError):
        rec.parse_key("00" * 16)
    with pytest.raises(rec.RecordingError):
        rec.parse_key("not a key!")
    assert rec.parse_key("ab" * 32) == bytes([0xAB]) * 32
    with pytest.raises(rec.RecordingError):
        rec.seal(b"short", {}, b"")
    with pytest.raises(rec.RecordingError):
        rec.seal(rec.generate_key(), {}, b"\x00")  # half a sample
    with pytest.raises(rec.RecordingError, match="not a Local Voice"):
        rec.unseal(rec.generate_key(), b"garbage")


def test_decrypt_command(tmp_path: Path) -> None:
    key = rec.generate_key()
    key_file = tmp_path / "key"
    key_file.write_text(key.hex())
    store = rec.RecordingStore(tmp_path / "recs", key, max_days=7, max_bytes=10**7)
    path = store.save(AUDIO, rate=16000, transcript="hello", answer="hi")
    out = tmp_path / "out"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "wyoming_servers.recordings",
            "decrypt",
            str(path),
            "--key-file",
            str(key_file),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (out / f"{path.stem}.wav").stat().st_size == 44 + len(AUDIO)
    assert '"transcript": "hello"' in (out / f"{path.stem}.json").read_text()
    key_file.write_text(rec.generate_key().hex())
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "wyoming_servers.recordings",
            "decrypt",
            str(path),
            "--key-file",
            str(key_file),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 1
    assert "wrong key" in bad.stderr
