"""The real Pi satellite program (``local-voice-satellite``) speaking WAV files over MQTT.

For each utterance the harness writes a microphone recording (silence, the
wake word "okay nabu" spoken by espeak-ng, the command), runs the satellite
on it, and watches the satellite's MQTT topics like a second listener:
``session_end`` is the end of speech (the satellite's VAD decided it), the
first ``audio/out`` chunk is the first answer audio at the satellite.
Transcript and intent times come from HA's own pipeline debug record.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from .processes import spawn, stop_process
from .turn import TurnResult, read_pcm, trailing_silence_s

if TYPE_CHECKING:
    from .ha_client import HAClient

SAMPLE_RATE: Final = 16000
_TURN_LIMIT_S: Final = 60.0
# HA ignores a wake-up with the same phrase within 2 s of the last one (its own
# cooldown). Answers now stream straight from the TTS, so back-to-back turns
# (``--fast``) can come sooner than that: space one satellite's wake-ups.
WAKE_COOLDOWN_S: Final = 2.1
_RUNS_TO_SEARCH: Final = 12
_CLOCK_SLACK_S: Final = 0.05
_CHUNK_PARTS: Final = 5  # local_voice/<id>/audio/out/<stream>
_CONTROL_PARTS: Final = 6  # local_voice/<id>/audio/out/<stream>/start|end


class SatelliteError(RuntimeError):
    """The satellite could not be set up or did not finish a turn."""


# HA drops a second wake-up with the same phrase within 2 s (it assumes two
# satellites heard one person), so satellites speaking at once use different
# bundled wake words.
WAKE_WORDS: Final = (
    ("okay_nabu", "okay nabu"),
    ("hey_jarvis", "hey jarvis"),
    ("hey_mycroft", "hey mycroft"),
    ("alexa", "alexa"),
)


def wake_word_pcm(workdir: Path, phrase: str = "okay nabu") -> bytes:
    """The wake word spoken by espeak-ng, as 16 kHz mono s16 PCM."""
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        raise SatelliteError("espeak-ng is missing: run scripts/bootstrap.sh")
    raw, wav = workdir / "wake-22k.wav", workdir / "wake.wav"
    if not phrase.replace(" ", "").isalpha():
        raise SatelliteError(f"wake phrase {phrase!r} must be letters and spaces")
    subprocess.run(  # noqa: S603 - fixed argv
        [espeak, "-v", "en-us", "-s", "160", "-w", str(raw), phrase],
        check=True,
        timeout=30,
        capture_output=True,
    )
    subprocess.run(  # noqa: S603 - fixed argv
        ["sox", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(wav)],  # noqa: S607
        check=True,
        timeout=30,
        capture_output=True,
    )
    return read_pcm(wav)


def silence(seconds: float) -> bytes:
    """PCM silence."""
    return bytes(int(seconds * SAMPLE_RATE) * 2)


class _Listener:
    """A paho client on ``local_voice/<id>/#`` that timestamps what it hears."""

    def __init__(self, port: int, satellite_id: str) -> None:
        self.messages: list[tuple[float, float, str, bytes]] = []
        self.lock = threading.Lock()
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"lv-harness-listener-{satellite_id}"
        )
        self.client.on_message = self._on_message
        # Subscribe on every (re)connect: a broker restart forgets subscriptions.
        self.client.on_connect = lambda c, *_: c.subscribe(f"local_voice/{satellite_id}/#", qos=1)
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def _on_message(self, _c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        with self.lock:
            self.messages.append((time.monotonic(), time.time(), msg.topic, bytes(msg.payload)))

    def take(self) -> list[tuple[float, float, str, bytes]]:
        with self.lock:
            taken, self.messages = self.messages, []
        return taken

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


class MqttSatelliteDriver:
    """One long-running ``local-voice-satellite`` whose microphone is the harness.

    Its input is raw PCM on stdin: silence in real time like a quiet room,
    then the wake word and a command when the harness speaks. The turn is
    over when the answer stream ends (``audio/out/<id>/end``) or HA reports
    an error state.
    """

    def __init__(
        self,
        client: HAClient,
        mqtt_port: int,
        pipeline_id: str,
        *,
        satellite_id: str = "demo_kitchen",
        area: str = "Kitchen",
        realtime: bool = True,
        workdir: Path | None = None,
        wake_word: tuple[str, str] = WAKE_WORDS[0],
    ) -> None:
        self.client = client
        self.port = mqtt_port
        self.pipeline_id = pipeline_id
        self.satellite_id = satellite_id
        self.area = area
        self.realtime = realtime
        # Inside the stack's work dir when given, so --keep-workdir keeps the log.
        self._tmp = None if workdir else tempfile.TemporaryDirectory(prefix="lv-satellite-")
        self.workdir = workdir or Path(self._tmp.name)  # type: ignore[union-attr]
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._wake = b""
        self.wake_word = wake_word
        self._listener: _Listener | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._speech: asyncio.Queue[bytes] = asyncio.Queue()
        self._feeder: asyncio.Task[None] | None = None
        # When the first frame of the current utterance went out (real time), so
        # its last speech sound is known even while its trailing silence is
        # still being fed (a fast answer can arrive before the WAV ends).
        self._speech_started_at: float | None = None
        self._last_wake_at = -WAKE_COOLDOWN_S

    @property
    def pid(self) -> int | None:
        """PID of the satellite process."""
        return self._proc.pid if self._proc and self._proc.poll() is None else None

    async def setup(self) -> None:
        """Start the satellite, confirm it in HA (with its area), wait for its entity."""
        from . import ha_setup  # noqa: PLC0415 - avoid an import cycle

        self._wake = await asyncio.to_thread(wake_word_pcm, self.workdir, self.wake_word[1])
        self._listener = _Listener(self.port, self.satellite_id)
        argv = [
            sys.executable, "-m", "local_voice_satellite",
            "--satellite-id", self.satellite_id, "--name", f"{self.area} satellite",
            "--area", self.area, "--host", "127.0.0.1", "--port", str(self.port),
            "--input", "-", "--exit-on-eof", "--wake-word", self.wake_word[0],
            "--output", f"dir:{self.workdir / 'speaker'}",
        ]  # fmt: skip
        self._proc = await asyncio.to_thread(self._start_process, argv)
        self._feeder = asyncio.create_task(self._feed())
        area_id = self.area.lower().replace(" ", "_")
        entry = await ha_setup.confirm_discovered(self.client, "local_voice", {"area_id": area_id})
        await ha_setup.entities_of_entry(self.client, entry, "assist_satellite")

    def _start_process(self, argv: list[str]) -> subprocess.Popen[bytes]:
        with (self.workdir / "satellite.log").open("wb") as log:
            return spawn(argv, stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT)

    async def _feed(self) -> None:
        """The microphone: 20 ms frames in real time, speech when queued, else silence."""
        assert self._proc is not None
        assert self._proc.stdin is not None
        frame = SAMPLE_RATE * 2 * 20 // 1000
        quiet = bytes(frame)
        pending = b""
        start, sent = time.monotonic(), 0
        while self._proc.poll() is None:
            if not pending and not self._speech.empty():
                pending = self._speech.get_nowait()
                self._speech_started_at = time.monotonic()
            chunk, pending = (pending[:frame], pending[frame:]) if pending else (quiet, b"")
            try:
                self._proc.stdin.write(chunk.ljust(frame, b"\0"))
                self._proc.stdin.flush()
            except (BrokenPipeError, ValueError):
                return
            sent += 1
            if self.realtime or not pending:
                await asyncio.sleep(max(0.0, start + sent * 0.02 - time.monotonic()))
            else:
                start, sent = time.monotonic(), 0
                await asyncio.sleep(0)

    def _utterance_started_at(self) -> float | None:
        return self._speech_started_at

    async def speak(self, _index: int, pcm: bytes) -> TurnResult:
        """Say the wake word and the command; wait for the answer; collect the outcome."""
        if self._listener is None or self._proc is None:
            raise SatelliteError("setup() first")
        if self._proc.poll() is not None:
            raise SatelliteError(f"the satellite exited ({self._proc.returncode})")
        await asyncio.sleep(max(0.0, self._last_wake_at + WAKE_COOLDOWN_S - time.monotonic()))
        self._last_wake_at = time.monotonic()
        self._listener.take()
        self._speech_started_at = None
        utterance = self._wake + silence(0.5) + pcm
        await self._speech.put(utterance)
        messages: list[tuple[float, float, str, bytes]] = []
        deadline = time.monotonic() + _TURN_LIMIT_S
        while time.monotonic() < deadline and not _turn_over(messages):
            await asyncio.sleep(0.05)
            messages += self._listener.take()
        result = _from_messages(messages)
        started = self._utterance_started_at()  # set by the feeder meanwhile
        if self.realtime and started is not None and result.events:
            spoken_s = len(utterance) / (SAMPLE_RATE * 2) - trailing_silence_s(pcm)
            last_speech = started + spoken_s
            result.endpoint_ms = (result.events[0]["mono"] - last_speech) * 1000
            if result.first_audio_ms is not None:
                result.user_first_audio_ms = result.endpoint_ms + result.first_audio_ms
        await self._add_pipeline_times(result)
        return result

    async def _add_pipeline_times(self, result: TurnResult) -> None:
        """Transcript/intent times and texts from HA's pipeline debug record of this turn.

        HA's run events name no device, and several satellites share the
        pipeline: this turn's run is the one whose ``stt-end`` comes first after
        this satellite's ``session_end``, preferring runs whose answer text
        matches the one HA streamed to this satellite.
        """
        if not result.events:
            result.error = result.error or "no session, no pipeline run"
            return
        session_end = float(result.events[0]["wall"])
        listing = await self.client.ws(
            "assist_pipeline/pipeline_debug/list", pipeline_id=self.pipeline_id
        )
        best: tuple[tuple[bool, float], list[dict[str, Any]]] | None = None
        for run in listing["pipeline_runs"][-_RUNS_TO_SEARCH:]:
            debug = await self.client.ws(
                "assist_pipeline/pipeline_debug/get",
                pipeline_id=self.pipeline_id,
                pipeline_run_id=run["pipeline_run_id"],
            )
            events = debug["events"]
            stt_end = next((_when(e) for e in events if e["type"] == "stt-end"), None)
            if stt_end is None or stt_end < session_end - _CLOCK_SLACK_S:
                continue
            answer = next((_speech(e) for e in events if e["type"] == "intent-end"), "")
            key = (bool(result.answer_text) and answer != result.answer_text, stt_end - session_end)
            if best is None or key < best[0]:
                best = (key, events)
        if best is None:
            result.error = result.error or "no pipeline run recorded for this session"
            return
        for event in best[1]:
            ms = (_when(event) - session_end) * 1000
            data = event.get("data") or {}
            if event["type"] == "stt-end":
                result.transcript = str((data.get("stt_output") or {}).get("text", "")).strip()
                result.stt_ms = ms
            elif event["type"] == "intent-end":
                result.answer = _speech(event)
                result.intent_ms = ms
            elif event["type"] == "error":
                result.error = f"{data.get('code')}: {data.get('message')}"

    async def close(self) -> None:
        """End the microphone (EOF), let the satellite say offline, stop it by PID."""
        if self._proc is not None and self._proc.stdin is not None:
            with contextlib.suppress(OSError, ValueError):
                self._proc.stdin.close()
        if self._feeder is not None:
            self._feeder.cancel()
            await asyncio.gather(self._feeder, return_exceptions=True)
        if self._proc is not None:
            deadline = time.monotonic() + 5
            while self._proc.poll() is None and time.monotonic() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
            stop_process(self._proc)
        if self._listener is not None:
            self._listener.close()
        if self._tmp is not None:
            self._tmp.cleanup()


def _turn_over(messages: list[tuple[float, float, str, bytes]]) -> bool:
    """The answer stream ended, or HA went idle with an error after the session."""
    ended = False
    for _mono, _wall, topic, payload in messages:
        parts = topic.split("/")
        if parts[2:3] == ["event"] and _ends_speech(_json(payload)):
            ended = True
        elif ended and topic.endswith("/end") and parts[2:4] == ["audio", "out"]:
            return True
        elif ended and parts[2:3] == ["state"]:
            state = _json(payload)
            if state.get("state") == "idle" and state.get("error_code"):
                return True
    return False


def _ends_speech(event: dict[str, Any]) -> bool:
    """A ``session_end`` that closed the user's utterance.

    A cancelled one is not: after a question HA opens an answer session, and
    the wake word that starts the next command cancels it first.
    """
    return event.get("type") == "session_end" and event.get("reason") != "cancel"


def _from_messages(messages: list[tuple[float, float, str, bytes]]) -> TurnResult:
    """End of speech, answer audio and its timing from the satellite's MQTT traffic."""
    result = TurnResult(answer_audio_format="pcm")
    speech_end: float | None = None
    first_audio: float | None = None
    pcm = bytearray()
    for mono, wall, topic, payload in messages:
        parts = topic.split("/")
        if parts[2:3] == ["event"]:
            event = _json(payload)
            if _ends_speech(event) and speech_end is None:
                speech_end = mono
                result.events.insert(0, {"type": "session_end", "wall": wall, "mono": mono})
        elif (
            parts[2:4] == ["audio", "out"] and len(parts) == _CONTROL_PARTS and parts[-1] == "start"
        ):
            start = _json(payload)
            result.answer_rate = int((start.get("audio") or {}).get("rate", 0))
            result.answer_text = str(start.get("text", ""))
        elif parts[2:4] == ["audio", "out"] and len(parts) == _CHUNK_PARTS:
            if first_audio is None:
                first_audio = mono
            pcm += payload
    result.answer_audio = bytes(pcm)
    if speech_end is None:
        result.error = "the satellite never ended a session (wake word missed?)"
    elif first_audio is not None:
        result.first_audio_ms = (first_audio - speech_end) * 1000
    return result


def _when(event: dict[str, Any]) -> float:
    return datetime.fromisoformat(event["timestamp"]).timestamp()


def _speech(event: dict[str, Any]) -> str:
    response = ((event.get("data") or {}).get("intent_output") or {}).get("response") or {}
    return str(((response.get("speech") or {}).get("plain") or {}).get("speech", ""))


def _json(payload: bytes) -> dict[str, Any]:
    try:
        data = json.loads(payload)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
