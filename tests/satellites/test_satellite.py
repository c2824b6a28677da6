"""The Pi satellite as a real process against a real mosquitto, HA's side played by paho.

The microphone is a WAV file (or stdin) holding "okay nabu" from espeak-ng
followed by a dev spoken command; the speaker is a folder of WAV files. The
streamed audio is transcribed by faster-whisper tiny.en to prove the whole
command arrived.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
import wave
from typing import TYPE_CHECKING, Any

import local_voice_protocol as protocol
import numpy as np
import pytest
from local_voice_satellite.audio_in import read_wav
from satellite_helpers import (
    MqttPeer,
    satellite_cmd,
    satellite_env,
    send_answer,
    silence,
    write_wav,
)

if TYPE_CHECKING:
    from pathlib import Path

    from local_voice_harness.commands import SpokenCommand
    from local_voice_harness.mosquitto import Mosquitto

pytestmark = [pytest.mark.usefixtures("socket_enabled"), pytest.mark.slow]
SAT = "kitchen"


def answer_pcm(seconds: float = 0.6, rate: int = 22050) -> bytes:
    step = rate * 2 * 60 // 1000
    t = np.arange(int(rate * seconds)) / rate
    pcm = (np.sin(2 * np.pi * 440 * t) * 6000).astype("<i2").tobytes()
    return pcm[: len(pcm) // step * step]


@pytest.fixture(scope="module")
def whisper() -> object:
    import tqdm
    from faster_whisper import WhisperModel

    tqdm.tqdm.monitor_interval = 0  # no tqdm monitor thread (HA's plugin flags leaked threads)

    from wyoming_servers.models import resolve_whisper_model

    return WhisperModel(
        str(resolve_whisper_model("tiny.en").path), device="cpu", compute_type="int8"
    )


def transcribe(model: object, pcm: bytes) -> str:
    audio = np.frombuffer(pcm, "<i2").astype(np.float32) / 32768
    segments, _ = model.transcribe(audio, beam_size=1, language="en")  # type: ignore[attr-defined]
    return " ".join(s.text for s in segments).lower()


def test_wake_word_command_and_answer_round_trip(  # noqa: PLR0915 - one scenario, end to end
    mosquitto_broker: Mosquitto,
    wake_word_pcm: bytes,
    dev_commands: list[SpokenCommand],
    whisper: object,
    tmp_path: Path,
) -> None:
    cmd01 = next(c for c in dev_commands if c.audio.name == "cmd01.wav")
    mic = write_wav(
        tmp_path / "mic.wav", silence(0.5) + wake_word_pcm + silence(0.3) + read_wav(cmd01.audio)
    )
    out = tmp_path / "speaker"
    ha = MqttPeer(mosquitto_broker.port)
    assert not ha.connect().is_failure
    ha.subscribe(f"local_voice/{SAT}/#")
    proc = subprocess.Popen(
        satellite_cmd(
            *("--satellite-id", SAT, "--name", "Kitchen", "--area", "Kitchen"),
            *("--host", "127.0.0.1", "--port", str(mosquitto_broker.port)),
            *("--input", f"file:{mic}", "--fast", "--pad-seconds", "1.5", "--exit-on-eof"),
            *("--output", f"dir:{out}", "--sounds"),
        ),
        env=satellite_env(),
        stdout=(tmp_path / "satellite.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        ha.wait_for(lambda m: m.topic.endswith("/availability") and m.payload == b"online")
        announce = ha.wait_for(lambda m: m.topic.endswith("/announce"))
        parsed = protocol.parse_announce(announce.payload, SAT)
        assert parsed.vad
        assert parsed.wake_word
        assert parsed.active_wake_words == ("okay_nabu",)
        assert parsed.area == "Kitchen"
        assert ha.wait_event("wake_word")["wake_word_id"] == "okay_nabu"
        start = ha.wait_event("session_start")
        sid = start["session_id"]
        assert start["audio"] == {"rate": 16000, "width": 2, "channels": 1}
        # Version 2: how well it heard the wake word (espeak at full scale, silence before).
        signal = start["signal"]
        assert 0.5 < signal["score"] <= 1.0
        assert -40 < signal["level_db"] < 0
        assert signal["snr_db"] > 30
        assert ha.wait_event("voice_started")["session_id"] == sid
        assert ha.wait_event("voice_stopped")["session_id"] == sid
        end = ha.wait_event("session_end")
        assert end["reason"] == "vad"
        # HA's side: processing, the answer as PCM, responding, idle.
        ha.publish(
            f"local_voice/{SAT}/state", json.dumps({"state": "processing", "session_id": sid})
        )
        pcm = answer_pcm()
        sent = send_answer(ha, SAT, "answer1", pcm)
        assert ha.wait_event("played")["stream_id"] == "answer1"
        ha.publish(f"local_voice/{SAT}/state", json.dumps({"state": "idle"}))
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
        log = (tmp_path / "satellite.log").read_text(errors="replace")
        ha.close()

    chunks = [m.payload for m in ha.log if m.topic == f"local_voice/{SAT}/audio/in/{sid}"]
    assert len(chunks) == end["chunks"] > 0, log[-2000:]
    assert all(len(c) % 320 == 0 and 320 <= len(c) <= 3200 for c in chunks)
    streamed = b"".join(chunks)
    text = transcribe(whisper, streamed)
    assert "kitchen" in text, text
    assert "light" in text, text
    # The session ended within 0.3 s of silence + VAD lag after the command's last word.
    assert len(streamed) / 32000 < len(read_wav(cmd01.audio)) / 32000 + 0.6
    # The answer was played to a file, byte for byte, after the done tone. (The awake
    # tone waits for HA's `listening`, which never came: HA may have dismissed the
    # wake-up in favour of another satellite.)
    files = sorted(p.name for p in out.glob("*.wav"))
    assert files == ["001-done.wav", "002-answer1.wav"], files
    with wave.open(str(out / "002-answer1.wav")) as wav:
        assert wav.getframerate() == 22050
        assert wav.readframes(wav.getnframes()) == pcm
    assert sent == len(pcm) // (22050 * 2 * 60 // 1000)
    assert ha.log[-1].topic.endswith("/availability")
    assert ha.log[-1].payload == b"offline"


HALL = "hall"


def _quiet_room(stdin: Any, stop: threading.Event) -> None:
    """Silence at real-time pace, 10 ms frames, until ``stop``."""
    start = time.monotonic()
    frames = 0
    while not stop.is_set():
        try:
            stdin.write(silence(0.01))
            stdin.flush()
        except (BrokenPipeError, ValueError):
            return
        frames += 1
        time.sleep(max(0.0, start + frames * 0.01 - time.monotonic()))


def _toml(tmp_path: Path, port: int) -> Path:
    path = tmp_path / "satellite.toml"
    path.write_text(
        f"""
satellite_id = "{HALL}"
name = "Kitchen"
input = "-"
output = "dir:{tmp_path / "speaker"}"
wake_words = ["okay_nabu"]
exit_on_eof = true

[broker]
host = "127.0.0.1"
port = {port}

[endpointing]
vad = "silero"
no_speech_seconds = 1.0
"""
    )
    return path


def test_commands_from_ha_and_bad_messages(  # noqa: PLR0915 - one scenario, end to end
    mosquitto_broker: Mosquitto, tmp_path: Path
) -> None:
    ha = MqttPeer(mosquitto_broker.port)
    assert not ha.connect().is_failure
    ha.subscribe(f"local_voice/{HALL}/#")
    proc = subprocess.Popen(
        satellite_cmd("--config", str(_toml(tmp_path, mosquitto_broker.port))),
        env=satellite_env(),
        stdin=subprocess.PIPE,
        stdout=(tmp_path / "satellite.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    assert proc.stdin is not None
    command = f"local_voice/{HALL}/command"
    # A quiet room: commands are applied on the audio thread between frames.
    quiet = threading.Event()
    mic = threading.Thread(target=_quiet_room, args=(proc.stdin, quiet), daemon=True)
    mic.start()
    try:
        ha.wait_for(lambda m: m.topic.endswith("/availability") and m.payload == b"online")
        # Garbage first: none of it may hurt the satellite.
        ha.publish(command, b"{not json")
        ha.publish(command, json.dumps({"command": "volume", "volume": 7}))
        ha.publish(f"local_voice/{HALL}/audio/out/nostream", b"\0" * 640)
        ha.publish(f"local_voice/{HALL}/audio/out/x/start", json.dumps({"audio": {"rate": 12345}}))
        # Wake words from HA: re-announced; an unknown one is an error event.
        ha.publish(
            command, json.dumps({"command": "set_wake_words", "active": ["hey_jarvis", "alexa"]})
        )
        again = ha.wait_for(
            lambda m: (
                m.topic.endswith("/announce") and b"hey_jarvis" in m.payload.split(b'"active"')[1]
            )
        )
        assert protocol.parse_announce(again.payload).active_wake_words == ("hey_jarvis", "alexa")
        ha.publish(command, json.dumps({"command": "set_wake_words", "active": ["hey_siri"]}))
        assert ha.wait_event("error")["code"] == "unknown_wake_word"
        # Start listening without a wake word; nothing is said: the session ends itself.
        ha.publish(command, json.dumps({"command": "start_listening"}))
        time.sleep(0.3)
        start = ha.wait_event("session_start")
        assert start["reason"] == "command"
        end = ha.wait_event("session_end")
        assert (end["session_id"], end["reason"]) == (start["session_id"], "cancel")
        assert end["chunks"] > 0
        # An announcement that starts a conversation, at half volume.
        ha.publish(command, json.dumps({"command": "volume", "volume": 0.5}))
        ha.publish(
            command,
            json.dumps(
                {
                    "command": "announce",
                    "text": "hi",
                    "stream_id": "ann1",
                    "start_conversation": True,
                }
            ),
        )
        pcm = answer_pcm(0.3, 16000)
        send_answer(ha, HALL, "ann1", pcm, rate=16000)
        assert ha.wait_event("played")["stream_id"] == "ann1"
        assert ha.wait_event("session_start")["reason"] == "conversation"
        # A stop command ends it at once.
        ha.publish(command, json.dumps({"command": "stop"}))
        assert ha.wait_event("session_end")["reason"] == "cancel"
        quiet.set()
        mic.join(timeout=5)
        proc.stdin.close()
        assert proc.wait(timeout=20) == 0
    finally:
        quiet.set()
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
        print((tmp_path / "satellite.log").read_text(errors="replace")[-4000:])
        ha.close()
    with wave.open(str(tmp_path / "speaker" / "001-ann1.wav")) as wav:
        played = np.frombuffer(wav.readframes(wav.getnframes()), "<i2")
    original = np.frombuffer(pcm, "<i2")
    assert np.allclose(played, np.round(original * 0.5), atol=1)
