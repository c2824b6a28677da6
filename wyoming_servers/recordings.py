"""Opt-in debug recordings, encrypted at rest with AES-256-GCM.

For troubleshooting a user may keep what a satellite heard (PCM audio), what
was understood and what was answered. That is the most private data in the
house, so each recording is one file sealed with AES-256-GCM under a 32-byte
key that never appears in logs: a fresh 96-bit nonce per file, the file's
format tag as associated data, nothing readable without the key (not even
the transcript or the time; file names are random). Retention is bounded in
days and in bytes; the oldest files go first.

The ASR server records (``asr/debug_recordings.py``) and the add-on checks
the key (``addon_options.py``). It needs only the standard library and
``cryptography``.

Decrypt one file: ``python -m wyoming_servers.recordings decrypt FILE --key-file K --out DIR``.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import os
import secrets
import sys
import time
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC: Final = b"LVR1"
SUFFIX: Final = ".lvr"
NONCE_BYTES: Final = 12
KEY_BYTES: Final = 32
MAX_META_BYTES: Final = 64 * 1024
MAX_AUDIO_BYTES: Final = 16000 * 2 * 60  # one minute of 16 kHz s16 mono


class RecordingError(ValueError):
    """A key, a recording or its metadata is invalid, or decryption failed."""


def generate_key() -> bytes:
    """Return a fresh random 256-bit key."""
    return secrets.token_bytes(KEY_BYTES)


def parse_key(text: str) -> bytes:
    """Accept a key as 64 hex digits or base64 of 32 bytes; say which is wrong, never echo it."""
    text = text.strip()
    try:
        key = (
            bytes.fromhex(text)
            if len(text) == KEY_BYTES * 2
            else base64.b64decode(text, validate=True)
        )
    except (ValueError, binascii.Error) as err:
        raise RecordingError("recording key must be 64 hex digits or base64 of 32 bytes") from err
    if len(key) != KEY_BYTES:
        raise RecordingError(f"recording key must be {KEY_BYTES} bytes, got {len(key)}")
    return key


@dataclass(frozen=True, slots=True)
class Recording:
    """One decrypted recording."""

    meta: dict[str, Any]
    audio: bytes  # PCM s16le mono at meta["rate"]


def seal(key: bytes, meta: dict[str, Any], audio: bytes) -> bytes:
    """Encrypt metadata + audio into one blob: MAGIC | nonce | AES-GCM(len | meta | audio)."""
    if len(key) != KEY_BYTES:
        raise RecordingError("recording key must be 32 bytes")
    meta_bytes = json.dumps(meta, ensure_ascii=False, sort_keys=True).encode()
    if len(meta_bytes) > MAX_META_BYTES or len(audio) > MAX_AUDIO_BYTES or len(audio) % 2:
        raise RecordingError("recording too large or audio not whole 16-bit samples")
    nonce = os.urandom(NONCE_BYTES)
    plain = len(meta_bytes).to_bytes(4, "big") + meta_bytes + audio
    return MAGIC + nonce + AESGCM(key).encrypt(nonce, plain, MAGIC)


def unseal(key: bytes, blob: bytes) -> Recording:
    """Decrypt and check a blob made by :func:`seal`."""
    if len(blob) < len(MAGIC) + NONCE_BYTES + 16 or not blob.startswith(MAGIC):
        raise RecordingError("not a Local Voice recording")
    nonce = blob[len(MAGIC) : len(MAGIC) + NONCE_BYTES]
    try:
        plain = AESGCM(key).decrypt(nonce, blob[len(MAGIC) + NONCE_BYTES :], MAGIC)
    except InvalidTag as err:
        raise RecordingError("wrong key or the recording was altered") from err
    size = int.from_bytes(plain[:4], "big")
    if size > MAX_META_BYTES or 4 + size > len(plain):
        raise RecordingError("corrupt recording metadata")
    meta = json.loads(plain[4 : 4 + size])
    return Recording(meta=meta, audio=plain[4 + size :])


class RecordingStore:
    """A directory of sealed recordings with retention by age and total size."""

    def __init__(self, directory: Path, key: bytes, *, max_days: float, max_bytes: int) -> None:
        if max_days <= 0 or max_bytes <= 0:
            raise RecordingError("retention days and bytes must be positive")
        if len(key) != KEY_BYTES:
            raise RecordingError("recording key must be 32 bytes")
        self.directory = directory
        self._key = key
        self.max_days = max_days
        self.max_bytes = max_bytes

    def __repr__(self) -> str:
        """Never show the key."""
        limits = f"max_days={self.max_days}, max_bytes={self.max_bytes}"
        return f"RecordingStore({self.directory}, {limits})"

    def save(self, audio: bytes, *, rate: int, transcript: str, answer: str, **extra: Any) -> Path:
        """Seal one utterance and apply retention; returns the file written."""
        meta = {"rate": rate, "transcript": transcript, "answer": answer, "time": time.time()}
        meta.update(extra)
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = self.directory / f"{secrets.token_hex(12)}{SUFFIX}"
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(seal(self._key, meta, audio))
        tmp.chmod(0o600)
        tmp.replace(path)
        self.purge()
        return path

    def files(self) -> list[Path]:
        """Recordings, oldest first."""
        if not self.directory.is_dir():
            return []
        return sorted(self.directory.glob(f"*{SUFFIX}"), key=lambda p: p.stat().st_mtime)

    def purge(self, now: float | None = None) -> list[Path]:
        """Delete recordings older than the day limit, then the oldest beyond the byte limit."""
        now = time.time() if now is None else now
        removed = []
        kept = []
        for path in self.files():
            if now - path.stat().st_mtime > self.max_days * 86400:
                path.unlink(missing_ok=True)
                removed.append(path)
            else:
                kept.append(path)
        total = sum(p.stat().st_size for p in kept)
        for path in kept:
            if total <= self.max_bytes:
                break
            total -= path.stat().st_size
            path.unlink(missing_ok=True)
            removed.append(path)
        return removed


def _decrypt_command(args: argparse.Namespace) -> int:
    key = parse_key(Path(args.key_file).read_text(encoding="utf-8"))
    recording = unseal(key, Path(args.file).read_bytes())
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = Path(args.file).stem
    with wave.open(str(out / f"{stem}.wav"), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(int(recording.meta.get("rate", 16000)))
        wav.writeframes(recording.audio)
    (out / f"{stem}.json").write_text(json.dumps(recording.meta, indent=2), encoding="utf-8")
    sys.stdout.write(f"wrote {out / stem}.wav and .json\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    """CLI: ``decrypt FILE --key-file K --out DIR`` or ``new-key``."""
    parser = argparse.ArgumentParser(prog="local-voice-recordings", description="Debug recordings")
    sub = parser.add_subparsers(dest="command", required=True)
    dec = sub.add_parser("decrypt", help="decrypt one recording to WAV + JSON")
    dec.add_argument("file")
    dec.add_argument("--key-file", required=True, help="file holding the key (hex or base64)")
    dec.add_argument("--out", default=".")
    sub.add_parser("new-key", help="print a fresh random key (hex)")
    args = parser.parse_args(argv)
    try:
        if args.command == "new-key":
            sys.stdout.write(generate_key().hex() + "\n")
            return 0
        return _decrypt_command(args)
    except (RecordingError, OSError) as err:
        sys.stderr.write(f"error: {err}\n")
        return 1


if __name__ == "__main__":
    sys.exit(main())
