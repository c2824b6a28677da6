"""Test helpers: wake word audio, TLS material, the production broker, HA's side of MQTT."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from local_voice_harness.mosquitto import Mosquitto
from local_voice_harness.paths import REPO_ROOT

BROKER_DIR = REPO_ROOT / "satellites" / "broker"
PI_DIR = REPO_ROOT / "satellites" / "pi"


def synthesize_wake_word(voice: str = "en-us", speed: int = 160) -> bytes:
    """Speak "okay nabu" with espeak-ng and return 16 kHz mono s16le."""
    from local_voice_satellite.audio_in import read_wav

    espeak = shutil.which("espeak-ng")
    if espeak is None:
        import pytest

        pytest.skip("espeak-ng is not installed (scripts/bootstrap.sh installs it)")
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "wake.wav"
        subprocess.run(
            [espeak, "-v", voice, "-s", str(speed), "-w", str(wav), "okay nabu"],
            check=True,
            timeout=30,
        )
        return read_wav(wav)


def silence(seconds: float) -> bytes:
    return bytes(int(seconds * 16000) * 2)


def write_wav(path: Path, pcm: bytes, rate: int = 16000) -> Path:
    import wave

    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm)
    return path


def make_tls_material(directory: Path) -> Path:
    """CA + server key/cert (SAN 127.0.0.1, localhost) with openssl, EC P-256 for speed."""
    ossl = shutil.which("openssl")
    assert ossl, "openssl is required"
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]

    def run(*args: str) -> None:
        subprocess.run([ossl, *args], cwd=directory, check=True, capture_output=True, timeout=30)

    run(
        "req",
        "-x509",
        *ec,
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        "2",
        "-subj",
        "/CN=Local Voice test CA",
    )
    run("req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost")
    (directory / "san.ext").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    run(
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.crt",
        "-days",
        "2",
        "-extfile",
        "san.ext",
    )
    return directory


def add_user(passwd_file: Path, user: str) -> str:
    """Run satellites/broker/add_satellite.sh; return the password it printed."""
    args = ["--homeassistant"] if user == "homeassistant" else [user]
    out = subprocess.run(
        [
            str(BROKER_DIR / "add_satellite.sh"),
            *args,
            "--passwd",
            str(passwd_file),
            "--host",
            "127.0.0.1",
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=30,
    ).stdout
    match = re.search(r'password[:=] "?([A-Za-z0-9]{32})"?', out)
    assert match, out
    return match.group(1)


class SecureBroker(Mosquitto):
    """mosquitto running the production config, paths pointed at a temp dir."""

    def __init__(self, tls: Path, workdir: Path) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        super().__init__(workdir=workdir)
        self.tls = tls
        self.passwd = workdir / "local_voice.passwd"
        self.passwords = {u: add_user(self.passwd, u) for u in ("homeassistant", "sat_a", "sat_b")}
        shutil.copy(BROKER_DIR / "acl", workdir / "local_voice.acl")

    def _write_config(self) -> None:
        conf = (BROKER_DIR / "mosquitto.conf").read_text()
        conf = conf.replace("/etc/mosquitto/certs/", f"{self.tls}/")
        conf = conf.replace("/etc/mosquitto/", f"{self.workdir}/")
        conf = conf.replace("/var/lib/mosquitto/", f"{self.workdir}/")
        conf = re.sub(
            r"^listener 8883$", f"listener {self.port} 127.0.0.1", conf, flags=re.MULTILINE
        )
        extra = [f"log_dest file {self.log_file}", "log_type information"]
        if os.geteuid() == 0:
            extra.append("user root")
        self.config_file.write_text(conf + "\n".join(extra) + "\n")


@dataclass
class Received:
    topic: str
    payload: bytes
    at: float = field(default_factory=time.monotonic)


class MqttPeer:
    """A paho client under test control (HA's side, or a rogue satellite)."""

    def __init__(
        self,
        port: int,
        *,
        username: str | None = None,
        password: str | None = None,
        ca: Path | None = None,
        client_id: str = "",
    ) -> None:
        self.messages: queue.Queue[Received] = queue.Queue()
        self.log: list[Received] = []
        self.connack: Any = None
        self.suback: list[Any] = []
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id)
        if username:
            self.client.username_pw_set(username, password)
        if ca:
            self.client.tls_set(ca_certs=str(ca))
        self.client.on_message = lambda _c, _u, m: self._got(Received(m.topic, bytes(m.payload)))
        self.client.on_connect = lambda _c, _u, _f, rc, _p: setattr(self, "connack", rc)
        self.client.on_subscribe = lambda _c, _u, _m, rcs, _p: self.suback.extend(rcs)
        self.port = port

    def _got(self, msg: Received) -> None:
        self.log.append(msg)
        self.messages.put(msg)

    def connect(self, timeout: float = 5.0) -> Any:
        self.client.connect("127.0.0.1", self.port)
        self.client.loop_start()
        deadline = time.monotonic() + timeout
        while self.connack is None and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.connack

    def subscribe(self, topic: str, wait: float = 0.3) -> None:
        self.client.subscribe(topic, qos=1)
        time.sleep(wait)

    def publish(self, topic: str, payload: bytes | str, qos: int = 0, retain: bool = False) -> None:
        self.client.publish(topic, payload, qos=qos, retain=retain).wait_for_publish(5)

    def wait_for(self, pred: Any, timeout: float = 20.0) -> Received:
        """Next message for which pred(msg) is true (others are kept in .log)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(
                    f"no matching message in {timeout}s; got {[m.topic for m in self.log][-20:]}"
                )
            try:
                msg = self.messages.get(timeout=left)
            except queue.Empty:
                continue
            if pred(msg):
                return msg

    def wait_event(self, kind: str, timeout: float = 20.0) -> dict[str, Any]:
        msg = self.wait_for(
            lambda m: m.topic.endswith("/event") and json.loads(m.payload).get("type") == kind,
            timeout,
        )
        return dict(json.loads(msg.payload))

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def send_answer(
    peer: MqttPeer, sat: str, stream: str, pcm: bytes, *, rate: int = 22050, chunk_ms: int = 60
) -> int:
    """Publish answer audio the way HA does: start JSON, PCM chunks, end JSON with the count."""
    base = f"local_voice/{sat}/audio/out/{stream}"
    peer.publish(
        f"{base}/start",
        json.dumps({"audio": {"rate": rate, "width": 2, "channels": 1}, "kind": "answer"}),
        qos=1,
    )
    step = rate * 2 * chunk_ms // 1000
    chunks = 0
    for offset in range(0, len(pcm), step):
        peer.publish(base, pcm[offset : offset + step])
        chunks += 1
    peer.publish(f"{base}/end", json.dumps({"chunks": chunks}), qos=1)
    return chunks


def satellite_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "local_voice_satellite", *args]


def satellite_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(PI_DIR)}


def gain(pcm: bytes, db: float) -> bytes:
    """``pcm`` made ``db`` louder (negative: quieter), clipped to 16 bits."""
    import numpy as np

    samples = np.frombuffer(pcm, "<i2").astype(np.float32) * 10 ** (db / 20)
    return np.clip(samples, -32768, 32767).astype("<i2").tobytes()


class RealTimeMicrophone:
    """A satellite process whose microphone (stdin) hears a quiet room in real time.

    ``say`` queues speech; between utterances the room is silent, so the
    satellite always has frames (it applies HA's commands between frames).
    """

    def __init__(self, argv: list[str], log_path: Path) -> None:
        import threading

        self.proc = subprocess.Popen(
            argv,
            env=satellite_env(),
            stdin=subprocess.PIPE,
            stdout=log_path.open("wb"),
            stderr=subprocess.STDOUT,
        )
        self._queue: queue.Queue[bytes] = queue.Queue()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._feed, daemon=True)
        self._thread.start()

    def say(self, pcm: bytes) -> None:
        """Speak ``pcm`` into this microphone (after what is queued)."""
        self._queue.put(pcm)

    def _feed(self) -> None:
        frame = 320
        quiet = bytes(frame)
        pending = b""
        start, sent = time.monotonic(), 0
        assert self.proc.stdin is not None
        while not self._stop.is_set() and self.proc.poll() is None:
            if not pending:
                try:
                    pending = self._queue.get_nowait()
                except queue.Empty:
                    pending = b""
            chunk, pending = (pending[:frame], pending[frame:]) if pending else (quiet, b"")
            try:
                self.proc.stdin.write(chunk.ljust(frame, b"\0"))
                self.proc.stdin.flush()
            except (BrokenPipeError, ValueError):
                return
            sent += 1
            time.sleep(max(0.0, start + sent * 0.01 - time.monotonic()))

    def close(self) -> int:
        """Stop the satellite the way systemd does (SIGTERM); its exit code.

        Without ``--exit-on-eof`` the end of stdin alone does not stop it (it
        stays up to play announcements), so the microphone is silenced, the
        process gets SIGTERM, says offline and exits; SIGKILL only after 15 s.
        """
        self._stop.set()
        self._thread.join(timeout=5)
        if self.proc.poll() is None:
            self.proc.terminate()
        if self.proc.stdin is not None:
            with contextlib.suppress(BrokenPipeError, ValueError):
                self.proc.stdin.close()
        try:
            return self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(timeout=5)
