"""A paho client that plays an MQTT satellite, for tests and benchmarks.

It speaks the protocol exactly as a satellite does (retained announce and
availability, last will, session events, raw PCM chunks) and records what HA
sends back: states, commands and answer audio streams. It can also misbehave
on purpose (bad chunks, malformed JSON, a dropped connection).
"""

from __future__ import annotations

import socket
import threading
import time
import uuid
import wave
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from custom_components.local_voice import protocol as p

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path


@dataclass
class OutStream:
    """One answer/announcement stream received from HA."""

    stream_id: str
    start: p.AudioOutStart | None = None
    pcm: bytearray = field(default_factory=bytearray)
    chunks: int = 0
    end: p.AudioOutEnd | None = None
    first_audio_at: float | None = None


def read_pcm(path: Path) -> bytes:
    """16 kHz 16-bit mono PCM from a WAV file (the dev commands are in that format)."""
    with wave.open(str(path), "rb") as wav:
        if (wav.getframerate(), wav.getsampwidth(), wav.getnchannels()) != (p.RATE, 2, 1):
            raise ValueError(f"{path} is not 16 kHz 16-bit mono")
        return wav.readframes(wav.getnframes())


class SatelliteSim:
    """A satellite on a real broker (paho network loop in its own thread)."""

    def __init__(
        self,
        host: str,
        port: int,
        satellite_id: str = "kitchen",
        *,
        announce: p.Announce | None = None,
        auto_played: bool = True,
    ) -> None:
        self.host, self.port, self.sid = host, port, satellite_id
        self.announce = announce or p.Announce(
            satellite_id=satellite_id,
            name=f"{satellite_id.title()} satellite",
            area=satellite_id.title(),
            wake_words=(p.WakeWord("okay_nabu", "Okay Nabu"), p.WakeWord("alexa", "Alexa")),
            active_wake_words=("okay_nabu",),
            software="satellite-sim 1",
        )
        self.auto_played = auto_played
        self.states: list[p.State] = []
        self.commands: list[p.Command] = []
        self.streams: dict[str, OutStream] = {}
        self.timers: list[p.Timers] = []  # HA's retained timers messages, as received
        self._cond = threading.Condition()
        self._connected = threading.Event()
        self._announced = False
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"sim-{satellite_id}-{uuid.uuid4().hex[:6]}"
        )
        self.client.will_set(p.availability_topic(satellite_id), p.OFFLINE, qos=1, retain=True)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = lambda *_args: self._connected.clear()
        self.client.on_message = self._on_message

    # ---- connection ----

    def connect(self, *, announce: bool = True, timeout: float = 10.0) -> None:
        """Connect, subscribe to HA's topics, publish announce and availability."""
        self._connected.clear()
        self.client.reconnect_delay_set(min_delay=1, max_delay=2)
        self.client.connect(self.host, self.port, keepalive=5)
        self.client.loop_start()
        if not self._connected.wait(timeout):
            raise TimeoutError("satellite sim could not connect")
        if announce:
            self.publish_announce()
            self.set_online(True)
            self._announced = True

    def wait_connected(self, timeout: float = 15.0) -> None:
        """Block until connected (again, after a broker restart)."""
        if not self._connected.wait(timeout):
            raise TimeoutError("satellite sim did not reconnect")

    def _on_connect(self, client: mqtt.Client, *_args: Any) -> None:
        base = f"{p.TOPIC_ROOT}/{self.sid}"
        for topic in (f"{base}/state", f"{base}/command", f"{base}/audio/out/#", f"{base}/timers"):
            client.subscribe(topic, qos=1)
        if self._announced:  # a reconnect: the broker may have lost the retained messages
            client.publish(p.announce_topic(self.sid), p.encode(self.announce), qos=1, retain=True)
            client.publish(p.availability_topic(self.sid), p.ONLINE, qos=1, retain=True)
        self._connected.set()

    def publish_announce(self) -> None:
        """Retained announce."""
        self._pub(p.announce_topic(self.sid), p.encode(self.announce), retain=True)

    def set_online(self, online: bool) -> None:
        """Retained availability."""
        self._pub(p.availability_topic(self.sid), p.ONLINE if online else p.OFFLINE, retain=True)

    def drop_connection(self) -> None:
        """Vanish without DISCONNECT so the broker publishes the last will."""
        sock = self.client.socket()
        if isinstance(sock, socket.socket):
            sock.shutdown(socket.SHUT_RDWR)
        self.client.loop_stop()

    def close(self) -> None:
        """Disconnect cleanly (the will is not sent)."""
        self.client.disconnect()
        self.client.loop_stop()

    def _pub(self, topic: str, payload: bytes | str, qos: int = 1, *, retain: bool = False) -> None:
        info = self.client.publish(topic, payload, qos=qos, retain=retain)
        if qos:
            info.wait_for_publish(5)

    # ---- speaking ----

    def event(self, event: p.Event | bytes) -> None:
        """Publish an event (or raw bytes, to test malformed input)."""
        self._pub(p.event_topic(self.sid), event if isinstance(event, bytes) else p.encode(event))

    def chunk(self, session_id: str, payload: bytes) -> None:
        """Publish one raw audio message."""
        self._pub(p.audio_in_topic(self.sid, session_id), payload, qos=0)

    def speak(
        self,
        pcm: bytes,
        *,
        session_id: str | None = None,
        chunk_ms: int = 30,
        realtime: float = 0.0,
        end: bool = True,
        tail_silence_ms: int = 300,
        reason: str = "wake_word",
    ) -> str:
        """One session: start, the PCM (plus some silence) in chunks, end; returns its id.

        ``realtime`` 1.0 paces chunks at speaking speed, 0 sends them at once. A
        session opened by HA (``reason`` "conversation" or "command") has no wake word.
        """
        sid = session_id or uuid.uuid4().hex[:12]
        wake_word = "okay_nabu" if reason == "wake_word" else None
        self.event(p.SessionStart(sid, wake_word_id=wake_word, reason=reason))
        size = p.RATE * 2 * chunk_ms // 1000
        data = pcm + b"\0" * (p.RATE * 2 * tail_silence_ms // 1000)
        count, began = 0, time.monotonic()
        for offset in range(0, len(data) - size + 1, size):
            if self.told_end_of_speech(sid):  # HA heard a complete command: stop now
                self.event(p.SessionEnd(sid, count, "end_of_speech"))
                return sid
            self.chunk(sid, data[offset : offset + size])
            count += 1
            if realtime:
                delay = began + count * chunk_ms / 1000 / realtime - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
        if end:
            self.event(p.SessionEnd(sid, count))
        return sid

    def told_end_of_speech(self, session_id: str) -> bool:
        """HA sent ``end_of_speech`` for the session (a complete command was heard)."""
        with self._cond:
            return any(
                isinstance(c, p.EndOfSpeech) and c.session_id == session_id for c in self.commands
            )

    # ---- what HA sent ----

    def _on_message(self, _client: mqtt.Client, _userdata: Any, msg: mqtt.MQTTMessage) -> None:
        topic = p.parse_topic(msg.topic)
        played: str | None = None
        with self._cond:
            if topic.kind == "state":
                self.states.append(p.parse_state(msg.payload))
            elif topic.kind == "command":
                self.commands.append(p.parse_command(msg.payload))
            elif topic.kind == "timers" and msg.payload:
                self.timers.append(p.parse_timers(msg.payload))
            elif topic.stream_id is not None:
                stream = self.streams.setdefault(topic.stream_id, OutStream(topic.stream_id))
                if topic.kind == "audio_out_start":
                    stream.start = p.parse_audio_out_start(msg.payload)
                elif topic.kind == "audio_out":
                    if stream.first_audio_at is None:
                        stream.first_audio_at = time.monotonic()
                    stream.pcm += msg.payload
                    stream.chunks += 1
                elif topic.kind == "audio_out_end":
                    stream.end = p.parse_audio_out_end(msg.payload)
                    played = topic.stream_id if self.auto_played else None
            self._cond.notify_all()
        if played is not None:
            self.client.publish(p.event_topic(self.sid), p.encode(p.Played(played)), qos=1)

    def wait_for[T](self, check: Callable[[], T | None], timeout: float = 30.0) -> T:
        """Wait until ``check`` (run under the lock) returns something truthy."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not (result := check()):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"satellite sim: condition not met in {timeout} s")
                self._cond.wait(remaining)
            return result

    def wait_state(
        self, state: str, *, since: int = 0, error: bool | None = None, timeout: float = 30.0
    ) -> p.State:
        """The first state message ``state`` after index ``since`` (optionally with an error)."""

        def check() -> p.State | None:
            for msg in self.states[since:]:
                if msg.state == state and (error is None or (msg.error_code is not None) == error):
                    return msg
            return None

        return self.wait_for(check, timeout)

    def publish_retained(self, topic: str, payload: bytes) -> None:
        """Any retained message (a test standing in for HA or the broker)."""
        self._pub(topic, payload, retain=True)

    def publish_rang(self, timer_ids: tuple[str, ...]) -> None:
        """The satellite's retained list of the timers it has rung."""
        self._pub(p.rang_topic(self.sid), p.encode(p.Rang(timer_ids)), retain=True)

    def wait_stream(self, stream_id: str | None = None, timeout: float = 30.0) -> OutStream:
        """A finished answer stream (the given one, or any)."""

        def check() -> OutStream | None:
            for stream in self.streams.values():
                if stream.end is not None and stream_id in {None, stream.stream_id}:
                    return stream
            return None

        return self.wait_for(check, timeout)
