"""HA's per-satellite endpointing silence reaches the Pi client and changes when it ends.

The real Pi program on a real broker: "HA" (a paho peer) sends
``set_endpointing``, asks it to listen, and a dev command is spoken at real
time, then room silence. The session must end about ``silence_ms`` after the
last speech sound: later with 1200 ms than with 300 ms (the measured
default that cut no one off on 104 recordings, docs/satellite.md).
"""

from __future__ import annotations

import json
import queue
import subprocess
import threading
import time
from typing import TYPE_CHECKING, Any

import pytest
from satellite_helpers import MqttPeer, satellite_cmd, satellite_env

from local_voice_harness.paths import dev_commands_dir
from local_voice_harness.turn import read_pcm, trailing_silence_s

if TYPE_CHECKING:
    from pathlib import Path

    from local_voice_harness.mosquitto import Mosquitto

pytestmark = [pytest.mark.usefixtures("socket_enabled"), pytest.mark.slow, pytest.mark.timeout(90)]
SAT = "endpoint_sat"
FRAME = 320  # 10 ms at 16 kHz, 16-bit


class Mic:
    """Real-time microphone on the satellite's stdin: queued speech, else silence."""

    def __init__(self, stdin: Any) -> None:
        self.stdin, self.speech = stdin, queue.Queue[bytes]()
        self.spoken_at: float | None = None  # when the last queued frame was written
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        start, frames, pending = time.monotonic(), 0, b""
        while not self.stop.is_set():
            if not pending and not self.speech.empty():
                pending = self.speech.get_nowait()
            speaking = bool(pending)
            frame, pending = pending[:FRAME], pending[FRAME:]
            try:
                self.stdin.write(frame.ljust(FRAME, b"\0"))
                self.stdin.flush()
            except (BrokenPipeError, ValueError):
                return
            frames += 1
            if speaking and not pending:  # the recording's last frame went out
                self.spoken_at = time.monotonic()
            time.sleep(max(0.0, start + frames * 0.01 - time.monotonic()))


def _lag_ms(
    ha: MqttPeer, mic: Mic, pcm: bytes, silence_ms: int, *, end_of_speech: bool = False
) -> float:
    """Set the silence, start a session, speak; ms from the last speech sound to its end.

    ``end_of_speech``: "HA" sends ``end_of_speech`` once the speech has been played.
    """
    command = f"local_voice/{SAT}/command"
    ha.publish(command, json.dumps({"command": "set_endpointing", "silence_ms": silence_ms}))
    time.sleep(0.2)
    ha.publish(command, json.dumps({"command": "start_listening"}))
    start = ha.wait_event("session_start")
    mic.spoken_at = None
    # Up to the last speech sound (found offline): the room's silence follows.
    mic.speech.put(pcm[: len(pcm) - round(trailing_silence_s(pcm) * 100) * FRAME])
    if end_of_speech:
        while mic.spoken_at is None:
            time.sleep(0.005)
        other = {"command": "end_of_speech", "session_id": "not-this-one"}
        ha.publish(command, json.dumps(other))  # another session's: changes nothing
        ha.publish(command, json.dumps({"command": "end_of_speech", **_sid(start)}))
    end = ha.wait_event("session_end")
    ended = time.monotonic()
    assert end["reason"] == ("end_of_speech" if end_of_speech else "vad"), end
    assert mic.spoken_at is not None, "the session ended before the speech was played"
    return (ended - mic.spoken_at) * 1000


def _sid(event: dict[str, Any]) -> dict[str, Any]:
    return {"session_id": event["session_id"]}


def test_silence_set_from_ha_decides_the_session_end(
    mosquitto_broker: Mosquitto, tmp_path: Path
) -> None:
    ha = MqttPeer(mosquitto_broker.port)
    assert not ha.connect().is_failure
    ha.subscribe(f"local_voice/{SAT}/#")
    args = ["--satellite-id", SAT, "--host", "127.0.0.1", "--port", str(mosquitto_broker.port)]
    args += ["--input", "-", "--exit-on-eof", "--output", f"dir:{tmp_path / 'speaker'}"]
    proc = subprocess.Popen(
        satellite_cmd(*args),
        env=satellite_env(),
        stdin=subprocess.PIPE,
        stdout=(tmp_path / "satellite.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    assert proc.stdin is not None
    mic = Mic(proc.stdin)
    try:
        ha.wait_for(lambda m: m.topic.endswith("/availability") and m.payload == b"online")
        pcm = read_pcm(dev_commands_dir() / "cmd01.wav")
        long_ms = _lag_ms(ha, mic, pcm, 1200)
        short_ms = _lag_ms(ha, mic, pcm, 300)
        print(f"last speech -> session end: {long_ms:.0f} ms at 1200, {short_ms:.0f} ms at 300")
        assert long_ms >= 1200
        assert short_ms < 1000
        assert long_ms - short_ms > 600
        # HA heard a complete command: the session ends at once, whatever the silence.
        ended_ms = _lag_ms(ha, mic, pcm, 2000, end_of_speech=True)
        print(f"last speech -> session end with end_of_speech at 2000: {ended_ms:.0f} ms")
        assert ended_ms < 500
    finally:
        mic.stop.set()
        mic.thread.join(timeout=5)
        proc.stdin.close()
        try:
            proc.wait(timeout=20)
        finally:
            if proc.poll() is None:
                proc.kill()
        ha.close()
