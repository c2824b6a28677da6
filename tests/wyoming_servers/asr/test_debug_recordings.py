"""Debug recordings in the real speech-to-text server: opt-in, encrypted, retained, key never logged.

One real server (bundled tiny.en) started with ``--record-dir``; two dev
commands go over TCP. Each leaves one sealed file holding the audio and the
transcript; nothing in it is readable without the key; the decrypt command
gives them back; an expired recording and the oldest beyond the byte limit
are deleted when the next one is saved; the server's log never shows the key.
"""

from __future__ import annotations

import asyncio
import base64
import os
import subprocess
import sys
import time
import wave
from typing import TYPE_CHECKING

import pytest

from local_voice_harness import paths
from local_voice_harness.servers import WavAudio, WyomingProcess, transcribe_wav
from wyoming_servers.asr.__main__ import build_parser
from wyoming_servers.recordings import SUFFIX, RecordingError, generate_key, unseal

if TYPE_CHECKING:
    from pathlib import Path

    from local_voice_harness.commands import SpokenCommand

pytestmark = pytest.mark.slow


def _decrypt(file: Path, key_file: Path, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            *(sys.executable, "-m", "wyoming_servers.recordings", "decrypt", str(file)),
            *("--key-file", str(key_file), "--out", str(out)),
        ],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=paths.REPO_ROOT,
        check=False,
    )


def _sealed_files(folder: Path) -> list[Path]:
    return sorted(folder.glob(f"*{SUFFIX}"), key=lambda p: p.stat().st_mtime)


def _check_decrypt_command(sealed: Path, key_file: Path, tmp_path: Path, text: str) -> None:
    """The decrypt command gives back a playable WAV and the transcript; a wrong key nothing."""
    out = tmp_path / "out"
    done = _decrypt(sealed, key_file, out)
    assert done.returncode == 0, done.stderr
    with wave.open(str(out / f"{sealed.stem}.wav"), "rb") as wav:
        assert (wav.getframerate(), wav.getnchannels()) == (16000, 1)
    assert text in (out / f"{sealed.stem}.json").read_text()
    wrong = tmp_path / "wrong-key"
    wrong.write_text(generate_key().hex())
    refused = _decrypt(sealed, wrong, tmp_path / "nope")
    assert refused.returncode == 1
    assert not (tmp_path / "nope" / f"{sealed.stem}.json").exists()


async def _recordings(folder: Path, count: int, limit_s: float = 10.0) -> list[Path]:
    """The sealed files once there are ``count`` (saving runs after the transcript is sent)."""
    deadline = time.monotonic() + limit_s
    while True:
        files = await asyncio.to_thread(_sealed_files, folder)
        if len(files) == count or time.monotonic() > deadline:
            return files
        await asyncio.sleep(0.05)


def test_off_by_default() -> None:
    args = build_parser().parse_args([])
    assert args.record_dir is None
    assert args.record_key_file is None


async def test_recordings_are_sealed_retained_and_decryptable(
    tmp_path: Path, dev_commands: list[SpokenCommand], socket_enabled: None
) -> None:
    key = generate_key()
    key_file = tmp_path / "key"
    key_file.write_text(key.hex())
    record_dir = tmp_path / "recordings"
    log = tmp_path / "asr.log"
    first, second = WavAudio.load(dev_commands[0].audio), WavAudio.load(dev_commands[1].audio)
    # Room for one ~3 s utterance (16 kHz s16 = 32 KB/s) but not two.
    limit_mb = (max(len(first.pcm), len(second.pcm)) * 1.6) / (1024 * 1024)
    server = WyomingProcess.asr(
        "--record-dir",
        str(record_dir),
        "--record-key-file",
        str(key_file),
        "--record-days",
        "1",
        "--record-max-mb",
        f"{limit_mb:.4f}",
        "--debug",
        log_path=log,
    )
    await asyncio.to_thread(server.start)  # start() polls describe with its own loop
    try:
        result = await transcribe_wav(server.host, server.port, first)
        files = await _recordings(record_dir, 1)
        assert len(files) == 1
        sealed = files[0]
        blob = sealed.read_bytes()
        text = result.transcript.text.strip()
        assert text
        # Unreadable without the key: neither the words nor the audio appear.
        assert text.encode() not in blob
        assert max(text.split(), key=len).lower().encode() not in blob.lower()
        assert first.pcm[16000:16064] not in blob
        assert oct(sealed.stat().st_mode & 0o777) == "0o600"
        with pytest.raises(RecordingError):
            unseal(generate_key(), blob)
        recording = unseal(key, blob)
        assert recording.meta["transcript"] == result.transcript.text
        assert recording.meta["answer"] == ""
        assert recording.meta["rate"] == 16000
        assert abs(len(recording.audio) / 32000 - first.seconds) < 0.05

        await asyncio.to_thread(_check_decrypt_command, sealed, key_file, tmp_path, text)

        # Retention: a recording two days old (limit 1 day) and the oldest
        # beyond the byte limit both go when the next one is saved.
        expired = record_dir / f"{'0' * 24}{SUFFIX}"
        expired.write_bytes(blob)
        two_days_ago = time.time() - 2 * 86400
        os.utime(expired, (two_days_ago, two_days_ago))
        await transcribe_wav(server.host, server.port, second)
        await asyncio.sleep(0.5)  # the save (and its purge) follows the transcript
        remaining = await _recordings(record_dir, 1)
        assert expired not in remaining
        assert sealed not in remaining  # over the byte limit: the oldest went
        assert len(remaining) == 1
    finally:
        await asyncio.to_thread(server.stop)

    logged = log.read_text()
    assert "debug recordings ON" in logged
    assert "debug recording saved" in logged
    for form in (key.hex(), key.hex().upper(), base64.b64encode(key).decode()):
        assert form not in logged


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--record-dir", "R"], "needs --record-key-file"),
        (["--record-key-file", "K"], "needs --record-dir"),
        (["--record-dir", "R", "--record-key-file", "BADKEY"], "64 hex digits"),
    ],
)
def test_bad_recording_flags_stop_the_server_without_echoing_the_key(
    tmp_path: Path, flags: list[str], message: str
) -> None:
    (tmp_path / "BADKEY").write_text("secret-not-a-key-0123456789")
    done = subprocess.run(
        [sys.executable, "-m", "wyoming_servers.asr", *flags, "--uri", "tcp://127.0.0.1:1"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(paths.REPO_ROOT)},
        check=False,
    )
    assert done.returncode != 0
    assert message in done.stderr
    assert "secret-not-a-key" not in done.stderr + done.stdout
