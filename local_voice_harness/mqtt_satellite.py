"""The real Pi satellite program (``local-voice-satellite``) speaking WAV files over MQTT.

For each utterance the harness writes a microphone recording (silence, the
wake word "okay nabu" spoken by espeak-ng, the command), runs the satellite
on it, and watches the satellite's MQTT topics like a second listener:
the end of speech is HA's ``end_of_speech`` command when HA heard a complete
command, else the satellite's ``session_end`` (its VAD decided it); the
first ``audio/out`` chunk is the first answer audio at the satellite.
Transcript and intent times come from HA's own pipeline debug record.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from .mqtt_turn import Heard, SessionTurn, rung, timer_ids, wake_session
from .pipeline_record import add_pipeline_times
from .processes import spawn, stop_process
from .turn import TurnResult, read_pcm, trailing_silence_s

if TYPE_CHECKING:
    from .ha_client import HAClient

SAMPLE_RATE: Final = 16000
_TURN_LIMIT_S: Final = 60.0
# A command whose wake word started no session within this long after it was
# spoken is lost (the wake word was missed, or the satellite was busy).
_NO_SESSION_S: Final = 8.0
_NO_STATE_S: Final = 10.0  # HA says `listening` within ms of a session it takes


class SatelliteError(RuntimeError):
    """The satellite could not be set up or did not finish a turn."""


# The bundled wake words (espeak speaks "okay nabu" most reliably for them).
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


def gain(pcm: bytes, db: float) -> bytes:
    """``pcm`` ``db`` louder (negative: quieter), as a satellite further away hears it."""
    samples = np.frombuffer(pcm, "<i2").astype(np.float32) * 10 ** (db / 20)
    return np.clip(samples, -32768, 32767).astype("<i2").tobytes()


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
        options: dict[str, Any] | None = None,
    ) -> None:
        self.client = client
        self.options = options or {}  # the satellite's options in HA (its options flow)
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
        self._recent: list[Heard] = []  # the last turn's messages
        self._argv: list[str] = []
        self._timers_before: set[str] = set()
        self.entry_id = ""  # its config entry in HA, once confirmed

    @property
    def pid(self) -> int | None:
        """PID of the satellite process."""
        return self._proc.pid if self._proc and self._proc.poll() is None else None

    async def setup(self) -> None:
        """Start the satellite, confirm it in HA (with its area), wait for its entity."""
        from . import ha_setup  # noqa: PLC0415 - avoid an import cycle

        self._wake = await asyncio.to_thread(wake_word_pcm, self.workdir, self.wake_word[1])
        self._listener = _Listener(self.port, self.satellite_id)
        self._argv = [
            sys.executable, "-m", "local_voice_satellite",
            "--satellite-id", self.satellite_id, "--name", f"{self.area} satellite",
            "--area", self.area, "--host", "127.0.0.1", "--port", str(self.port),
            "--input", "-", "--exit-on-eof", "--wake-word", self.wake_word[0],
            "--output", f"dir:{self.workdir / 'speaker'}",
        ]  # fmt: skip
        self._proc = await asyncio.to_thread(self._start_process, self._argv)
        self._feeder = asyncio.create_task(self._feed())
        area_id = self.area.lower().replace(" ", "_")
        entry = await ha_setup.confirm_discovered(self.client, "local_voice", {"area_id": area_id})
        self.entry_id = entry
        await ha_setup.entities_of_entry(self.client, entry, "assist_satellite")
        if self.options:
            await ha_setup.set_options(self.client, entry, self.options)

    async def device_id(self) -> str:
        """The satellite's device in HA: what a request heard by it carries."""
        from . import ha_setup  # noqa: PLC0415 - avoid an import cycle

        for entity in await self.client.ws("config/entity_registry/list"):
            if entity.get("config_entry_id") == self.entry_id and entity.get("device_id"):
                return str(entity["device_id"])
        raise ha_setup.HASetupError(f"satellite {self.satellite_id} has no device in HA")

    def _start_process(self, argv: list[str]) -> subprocess.Popen[bytes]:
        with (self.workdir / "satellite.log").open("ab") as log:
            return spawn(argv, stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT)

    async def reboot(self, down_s: float = 0.5) -> None:
        """Pull the plug (SIGKILL: no goodbye, the broker sends the last will), start again.

        The new process keeps nothing but what the broker gives it back
        (retained messages); its speaker writes to the same folder.
        """
        assert self._proc is not None
        if self._feeder is not None:
            self._feeder.cancel()
            await asyncio.gather(self._feeder, return_exceptions=True)
        self._proc.kill()
        await asyncio.to_thread(self._proc.wait)
        await asyncio.sleep(down_s)
        self._proc = await asyncio.to_thread(self._start_process, self._argv)
        self._feeder = asyncio.create_task(self._feed())

    def heard(self) -> list[Heard]:
        """What the listener heard since the last turn (and keeps it for the next check)."""
        assert self._listener is not None
        self._recent = self._recent + [Heard(*m) for m in self._listener.take()]
        return list(self._recent)

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

    async def speak(self, _index: int, pcm: bytes, gain_db: float = 0.0) -> TurnResult:
        """Say the wake word and the command; follow the session it starts to its end.

        ``gain_db`` makes the whole utterance quieter, as a satellite further
        from the speaker hears it (``--overhear``).
        """
        if self._listener is None or self._proc is None:
            raise SatelliteError("setup() first")
        if self._proc.poll() is not None:
            raise SatelliteError(f"the satellite exited ({self._proc.returncode})")
        self._timers_before = timer_ids(self._recent + [Heard(*m) for m in self._listener.take()])
        self._speech_started_at = None
        utterance = self._wake + silence(0.5) + pcm
        await self._speech.put(gain(utterance, gain_db) if gain_db else utterance)
        began = time.monotonic()
        no_session_by = began + len(utterance) / (SAMPLE_RATE * 2) + _NO_SESSION_S
        messages: list[Heard] = []
        turn: SessionTurn | None = None
        while time.monotonic() < began + _TURN_LIMIT_S:
            await asyncio.sleep(0.05)
            messages += [Heard(*m) for m in self._listener.take()]
            turn = wake_session(messages)
            if (turn is None and time.monotonic() > no_session_by) or (turn and turn.over()):
                break
            if _not_taken(turn):
                break  # HA never took the session (e.g. not subscribed yet): lost
        self._recent = messages
        result = self._result(turn, utterance, pcm)
        if turn is not None and not result.dismissed:
            await add_pipeline_times(self.client, self.pipeline_id, result)
        return result

    def _result(self, turn: SessionTurn | None, utterance: bytes, pcm: bytes) -> TurnResult:
        """The command's outcome from its session's messages."""
        result = TurnResult(answer_audio_format="pcm", satellite=self.satellite_id)
        if turn is None:
            result.lost = True
            result.error = "lost: the satellite started no session (wake word missed?)"
            return result
        result.session_id, result.signal = turn.session_id, turn.signal
        result.end_reason = turn.end_reason
        result.started_mono = turn.started.mono
        result.transcript = turn.transcript
        result.answered = turn.answered
        if turn.dismissed is not None or turn.end_reason == "dismissed":
            result.dismissed = True
            result.dismissed_mono = (turn.dismissed or turn.ended or turn.started).mono
            return result
        result.error = turn.error
        if not turn.over():
            result.lost = True
            result.error = result.error or f"lost: session {turn.session_id} never finished"
        if turn.answer_start is not None:
            result.answer_rate = int((turn.answer_start.get("audio") or {}).get("rate", 0))
            result.answer_text = str(turn.answer_start.get("text") or "")
        result.answer_audio = bytes(turn.pcm)
        ended = turn.utterance_end  # HA's end_of_speech, else the satellite's session_end
        if ended is None:
            return result
        result.events.insert(0, {"type": "session_end", "wall": ended.wall, "mono": ended.mono})
        if turn.first_audio is not None:
            result.first_audio_ms = (turn.first_audio.mono - ended.mono) * 1000
        started = self._utterance_started_at()  # set by the feeder
        if self.realtime and started is not None:
            spoken_s = len(utterance) / (SAMPLE_RATE * 2) - trailing_silence_s(pcm)
            result.endpoint_ms = (ended.mono - (started + spoken_s)) * 1000
            if result.first_audio_ms is not None:
                result.user_first_audio_ms = result.endpoint_ms + result.first_audio_ms
            if turn.answer_end is not None:
                answer_end_ms = (turn.answer_end.mono - ended.mono) * 1000
                result.user_answer_end_ms = result.endpoint_ms + answer_end_ms
        return result

    async def wait_timer(self, within_s: float) -> str | None:
        """None once a timer the last command started has rung within ``within_s``; else why."""
        assert self._listener is not None
        seen = list(self._recent)
        deadline = time.monotonic() + within_s
        while True:
            seen += [Heard(*m) for m in self._listener.take()]
            started = sorted(timer_ids(seen) - self._timers_before)
            if started and started[0] in rung(seen):
                self._recent = seen
                return None
            if time.monotonic() > deadline:
                self._recent = seen
                if not started:
                    return "no timer was started"
                return f"timer {started[0]} did not ring within {within_s:g} s"
            await asyncio.sleep(0.1)

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


def _not_taken(turn: SessionTurn | None) -> bool:
    """The session ended long ago and HA has said nothing about it."""
    if turn is None or turn.ended is None or turn.states or turn.dismissed:
        return False
    return time.monotonic() - turn.ended.mono > _NO_STATE_S
