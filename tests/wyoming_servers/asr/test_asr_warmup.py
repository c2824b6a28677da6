"""The ASR server decodes once before it answers ``describe``, so no user pays a cold start."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

import pytest

from local_voice_harness.paths import dev_commands_dir
from local_voice_harness.servers import WavAudio, WyomingProcess, transcribe_wav

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("socket_enabled")]


def test_server_warms_up_before_it_is_ready(tmp_path: Path) -> None:
    log = tmp_path / "asr.log"
    with WyomingProcess.asr(log_path=log) as server:
        text = log.read_text(encoding="utf-8")
        assert "warm-up decode took" in text, text[-2000:]
        audio = WavAudio.load(dev_commands_dir() / "cmd01.wav")
        began = time.perf_counter()
        result = asyncio.run(transcribe_wav(server.host, server.port, audio, language="en"))
        first_s = time.perf_counter() - began
    assert "kitchen light" in result.transcript.text.lower()
    print(f"first command after start: {first_s * 1000:.0f} ms")
