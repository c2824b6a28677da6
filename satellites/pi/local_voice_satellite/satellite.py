"""A whole satellite: microphone, speaker and the MQTT link, wired together.

Threads: the audio thread (the caller of ``run``) reads frames and drives
``Microphone``; paho's network thread validates what HA sends and hands it
on (commands to the audio thread, answer audio to the player); the player
thread plays. Anything malformed from the broker is logged and dropped: a
bad message never stops the satellite.
"""

from __future__ import annotations

import logging
import threading
import time
from importlib import metadata
from typing import TYPE_CHECKING, Final

import local_voice_protocol as protocol

from .audio_out import NullSink
from .client import MqttLink
from .endpoint import Endpointer, make_vad
from .microphone import Action, Microphone
from .player import TIMER_TONE, Player
from .timers import TimerKeeper
from .wakeword import WakeWordDetector

if TYPE_CHECKING:
    from .audio_in import AudioSource
    from .audio_out import AudioSink
    from .config import SatelliteConfig

_LOGGER = logging.getLogger(__name__)
MAX_STREAM_SECONDS: Final = 300  # answer/announcement audio cap per stream
EOF_LINGER_S: Final = 2.0
WAIT_FOR_BROKER_S: Final = 30.0


def software_version() -> str:
    """``local-voice-satellite <version>``."""
    try:
        version = metadata.version("local-voice")
    except metadata.PackageNotFoundError:
        version = "dev"
    return f"local-voice-satellite {version}"


class _OutStream:
    __slots__ = ("bytes", "chunks", "fmt")

    def __init__(self, fmt: protocol.AudioFormat) -> None:
        self.fmt = fmt
        self.chunks = 0
        self.bytes = 0


class Satellite:
    """Owns the parts; ``run`` blocks until the input ends or ``stop`` is called."""

    def __init__(self, config: SatelliteConfig, source: AudioSource, sink: AudioSink) -> None:
        self.config = config
        sid = config.satellite_id
        self.source = source
        self._has_speaker = not isinstance(sink, NullSink)
        self.detector = WakeWordDetector(config.wake_words, config.wake_word_dir)
        self.player = Player(sink, self._on_played, config.volume)
        self.mic = Microphone(
            sid,
            self.detector,
            Endpointer(make_vad(config.vad), config.endpointing),
            self.player,
            send_event=self._send_event,
            send_audio=self._send_audio,
            on_wake_words=self._publish_announce,
            chunk_ms=config.chunk_ms,
            sounds=config.sounds,
        )
        self.link = MqttLink(
            config.broker,
            f"local-voice-{sid}",
            subscriptions=(
                protocol.state_topic(sid),
                protocol.command_topic(sid),
                f"{protocol.TOPIC_ROOT}/{sid}/audio/out/#",
                protocol.timers_topic(sid),
                protocol.rang_topic(sid),
            ),
            will=(protocol.availability_topic(sid), protocol.OFFLINE),
            on_connected=self._on_connected,
            on_message=self._on_message,
            on_disconnected=lambda: self.mic.actions.put(Action("lost")),
        )
        self.timers = TimerKeeper(self._ring_timer, self._publish_rang)
        self._streams: dict[str, _OutStream] = {}
        self._converse_after: str | None = None
        self._stop = threading.Event()
        self._last_activity = time.monotonic()
        self.ha_state: protocol.State | None = None

    # -- lifecycle ----------------------------------------------------------

    def run(self) -> None:
        """Read the microphone until it ends (or ``stop``); then shut down cleanly."""
        self.link.start()
        if not self.source.live and not self.link.wait_connected(WAIT_FOR_BROKER_S):
            _LOGGER.warning("no broker after %s s: reading the input anyway", WAIT_FOR_BROKER_S)
        try:
            for frame in self.source.frames():
                if self._stop.is_set():
                    break
                self.mic.process(frame)
            if self.mic.session is not None:
                self.mic.end("cancel")
            if self.config.exit_on_eof:
                self._linger()
            while not self._stop.is_set() and not self.config.exit_on_eof:
                self._stop.wait(0.05)  # no microphone left: still play announcements
                self.mic.apply_actions()
        finally:
            self.shutdown()

    def _linger(self) -> None:
        """After the input ends: let an answer that is on its way arrive and play."""
        while not self._stop.is_set():
            self.mic.apply_actions()
            idle_for = time.monotonic() - self._last_activity
            if not self.player.busy and idle_for >= EOF_LINGER_S:
                return
            self._stop.wait(0.05)

    def stop(self) -> None:
        """Ask ``run`` to return (thread-safe, signal-safe)."""
        self._stop.set()
        self.source.close()

    def shutdown(self) -> None:
        """Say offline, disconnect, stop playback."""
        self.link.stop(final=(protocol.availability_topic(self.config.satellite_id), "offline"))
        self.timers.close()
        self.player.close()

    # -- outgoing -----------------------------------------------------------

    def announce(self) -> protocol.Announce:
        """What this satellite is and can do."""
        available = self.detector.available
        return protocol.Announce(
            satellite_id=self.config.satellite_id,
            name=self.config.name,
            area=self.config.area,
            wake_words=tuple(protocol.WakeWord(w.id, w.name) for w in available.values())[
                : protocol.MAX_WAKE_WORDS
            ],
            active_wake_words=self.detector.active,
            max_active_wake_words=min(len(available), protocol.MAX_WAKE_WORDS),
            speaker=self._has_speaker,
            wake_word=True,
            vad=True,
            software=software_version(),
        )

    def _publish_announce(self) -> None:
        sid = self.config.satellite_id
        self.link.publish(
            protocol.announce_topic(sid), protocol.encode(self.announce()), qos=1, retain=True
        )

    def _on_connected(self) -> None:
        sid = self.config.satellite_id
        self.link.publish(protocol.availability_topic(sid), protocol.ONLINE, qos=1, retain=True)
        self._publish_announce()
        self.mic.actions.put(Action("connected"))
        self.timers.connected()

    def _send_event(self, event: protocol.Message) -> bool:
        topic = protocol.event_topic(self.config.satellite_id)
        return self.link.publish(topic, protocol.encode(event), qos=1)

    def _send_audio(self, session_id: str, chunk: bytes) -> bool:
        topic = protocol.audio_in_topic(self.config.satellite_id, session_id)
        return self.link.publish(topic, chunk)

    def _publish_rang(self, rang: protocol.Rang) -> None:
        topic = protocol.rang_topic(self.config.satellite_id)
        self.link.publish(topic, protocol.encode(rang), qos=1, retain=True)

    def _ring_timer(self, timer_id: str, _name: str | None) -> None:
        self._last_activity = time.monotonic()
        self.player.play_tone(f"timer-{timer_id}", TIMER_TONE)

    def _on_played(self, stream_id: str) -> None:
        self._last_activity = time.monotonic()
        self._send_event(protocol.Played(stream_id))
        if stream_id == self._converse_after:
            self._converse_after = None
            self.mic.actions.put(Action("start", "conversation"))

    # -- incoming (network thread) -----------------------------------------

    def _on_message(self, topic: str, payload: bytes) -> None:
        self._last_activity = time.monotonic()
        try:
            parsed = protocol.parse_topic(topic)
            if parsed.satellite_id != self.config.satellite_id:
                _LOGGER.warning("dropped message for another satellite on %s", topic[:120])
            elif parsed.kind == "command":
                self._on_command(protocol.parse_command(payload))
            elif parsed.kind == "state":
                self._on_state(protocol.parse_state(payload))
            elif parsed.kind == "timers" and payload:
                self.timers.set_timers(protocol.parse_timers(payload))
            elif parsed.kind == "timers_rang" and payload:
                self.timers.set_rang(protocol.parse_rang(payload))
            elif parsed.stream_id is not None and parsed.kind.startswith("audio_out"):
                self._on_audio_out(parsed.kind, parsed.stream_id, payload)
        except protocol.ProtocolError as err:
            _LOGGER.warning("dropped message on %s: %s", topic[:120], err)

    def _on_command(self, command: protocol.Command) -> None:
        _LOGGER.info("command %s", command)
        if isinstance(command, protocol.StartListening):
            reason = "conversation" if command.conversation else "command"
            self.mic.actions.put(Action("start", reason, window_s=command.window_s))
        elif isinstance(command, protocol.Dismiss):
            self.mic.actions.put(Action("dismiss", session_id=command.session_id))
        elif isinstance(command, protocol.EndOfSpeech):
            self.mic.actions.put(Action("end_of_speech", session_id=command.session_id))
        elif isinstance(command, protocol.TimerFinished):
            self.timers.finished(command.timer_id, command.name)
        elif isinstance(command, protocol.Stop):
            self.player.stop()
            self.mic.actions.put(Action("stop"))
        elif isinstance(command, protocol.SetVolume):
            self.player.volume = command.volume
        elif isinstance(command, protocol.AnnounceText):
            self._converse_after = command.stream_id if command.start_conversation else None
        elif isinstance(command, protocol.SetWakeWords):
            self.mic.actions.put(Action("wake_words", words=command.active))
        elif isinstance(command, protocol.SetEndpointing):
            self.mic.actions.put(Action("endpointing", value=command.silence_ms))

    def _on_state(self, state: protocol.State) -> None:
        self.ha_state = state
        _LOGGER.info("HA state: %s", state.state)
        session = self.mic.session
        ours = session is not None and state.session_id == session.session_id
        if ours and state.state != "listening":  # HA ended the stream (its own VAD, an error)
            self.mic.actions.put(Action("stop"))
        elif ours and state.session_id is not None:  # HA listens: this satellite won the turn
            self.mic.actions.put(Action("listening", session_id=state.session_id))
        if state.error_code:
            _LOGGER.warning("HA reports %s: %s", state.error_code, state.error_message)

    def _on_audio_out(self, kind: str, stream_id: str, payload: bytes) -> None:
        if kind == "audio_out_start":
            start = protocol.parse_audio_out_start(payload)
            self._streams = {stream_id: _OutStream(start.audio)}  # a new stream supersedes
            fmt = start.audio
            self.player.start(stream_id, fmt.rate, fmt.width, fmt.channels)
            return
        stream = self._streams.get(stream_id)
        if stream is None:
            raise protocol.ProtocolError(f"audio for unknown stream {stream_id}")
        if kind == "audio_out_end":
            end = protocol.parse_audio_out_end(payload)
            del self._streams[stream_id]
            if end.chunks != stream.chunks:
                _LOGGER.warning(
                    "stream %s: %d of %d chunks arrived", stream_id, stream.chunks, end.chunks
                )
            self.player.end(stream_id)
            return
        protocol.validate_audio_chunk(payload, stream.fmt)
        stream.bytes += len(payload)
        limit = MAX_STREAM_SECONDS * stream.fmt.bytes_per_ms() * 1000
        if stream.bytes > limit:
            raise protocol.ProtocolError(f"stream {stream_id} exceeds {MAX_STREAM_SECONDS} s")
        stream.chunks += 1
        self.player.chunk(stream_id, payload)
