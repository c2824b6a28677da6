"""``python -m wyoming_servers.asr`` over stdio://, with ``--vocabulary FILE``."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest
from wyoming.asr import Transcribe
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.event import read_event, write_event
from wyoming.info import Describe

from local_voice_harness.paths import REPO_ROOT
from local_voice_harness.servers import WavAudio
from wyoming_servers.asr.__main__ import build_parser
from wyoming_servers.asr.scoring import normalize

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.slow


def test_stdio_server_with_vocabulary_file(tmp_path: Path, dev_commands: list) -> None:
    vocabulary = tmp_path / "names.txt"
    vocabulary.write_text("# the home's devices\nDesk Lamp\nOffice Fan\n\n")
    command = next(c for c in dev_commands if c.text == "turn on the desk lamp")
    audio = WavAudio.load(command.audio)
    requests = io.BytesIO()
    write_event(Describe().event(), requests)
    write_event(Transcribe().event(), requests)
    write_event(
        AudioStart(rate=audio.rate, width=audio.width, channels=audio.channels).event(), requests
    )
    for offset in range(0, len(audio.pcm), 3200):
        chunk = AudioChunk(
            audio.rate, audio.width, audio.channels, audio.pcm[offset : offset + 3200]
        )
        write_event(chunk.event(), requests)
    write_event(AudioStop().event(), requests)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "wyoming_servers.asr",
            "--uri",
            "stdio://",
            "--vocabulary",
            str(vocabulary),
        ],
        input=requests.getvalue(),
        capture_output=True,
        timeout=120,
        cwd=REPO_ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    replies = io.BytesIO(done.stdout)
    info = read_event(replies)
    assert info is not None
    assert info.type == "info"
    transcript = read_event(replies)
    assert transcript is not None
    assert transcript.type == "transcript", transcript
    assert transcript.data["language"] == "en"
    assert normalize(transcript.data["text"]) == command.text.split()
    assert b"serving on stdio://" in done.stderr


def test_cli_flags_from_the_issue_parse() -> None:
    args = build_parser().parse_args(
        [
            "--uri",
            "unix:///tmp/asr.sock",
            "--model",
            "base",
            "--language",
            "de",
            "--beam-size",
            "1",
            "--compute-type",
            "int8",
            "--device",
            "cpu",
            "--zeroconf",
            "--max-clients",
            "3",
            "--max-queued",
            "0",
            "--queue-timeout",
            "2.5",
            "--max-seconds",
            "12",
            "--vocabulary",
            "v.txt",
            "--metrics-port",
            "9100",
            "--debug",
            "--allow",
            "192.168.0.0/16",
        ]
    )
    assert args.zeroconf == "local-voice-asr"
    assert (args.max_clients, args.max_seconds, args.beam_size) == (3, 12.0, 1)
    assert (args.max_queued, args.queue_timeout) == (0, 2.5)
    for bad in (
        ["--device", "tpu"],
        ["--max-clients", "0"],
        ["--max-queued", "-1"],
        ["--max-queued", "5000"],
        ["--queue-timeout", "0"],
        ["--queue-timeout", "soon"],
        ["--allow", "nonsense"],
        ["--metrics-port", "70000"],
        ["--encoder-window", "0.5"],
        ["--encoder-window", "31"],
        ["--encoder-window", "wide"],
        ["--busy-beam-size", "0"],
        ["--busy-encoder-window", "45"],
        ["--pause-seconds", "0"],
        ["--pause-seconds", "3"],
        ["--pause-seconds", "soon"],
    ):
        with pytest.raises(SystemExit):
            build_parser().parse_args(bad)
    assert build_parser().parse_args(["--encoder-window", "30"]).encoder_window == 30.0
    defaults = build_parser().parse_args([])
    assert (defaults.busy_beam_size, defaults.busy_encoder_window) == (1, 10.0)
    assert (defaults.max_clients, defaults.max_queued, defaults.queue_timeout) == (8, 32, 10.0)
    off = build_parser().parse_args(["--busy-beam-size", "5", "--busy-encoder-window", "15"])
    assert (off.busy_beam_size, off.busy_encoder_window) == (5, 15.0)
    assert (defaults.pause_seconds, defaults.loudness_pauses) == (0.15, False)
    pauses = build_parser().parse_args(["--pause-seconds", "0.1", "--loudness-pauses"])
    assert (pauses.pause_seconds, pauses.loudness_pauses) == (0.1, True)
    assert not defaults.no_decode_ahead
    assert build_parser().parse_args(["--no-decode-ahead"]).no_decode_ahead
    assert json.dumps(vars(build_parser().parse_args([])), default=str)
