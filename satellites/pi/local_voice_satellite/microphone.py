"""The microphone side of a satellite: wake word → session → endpoint.

A wake-up reports how well the wake word was heard (``level``), so that HA
can give the session to the satellite nearest the speaker; a satellite HA
dismisses stops streaming at once and stays silent (its awake tone waits for
HA's ``listening``). Runs on the audio thread only, one 10 ms frame at a time, so the session
state needs no locks; requests from the network thread (start listening,
stop, new wake words, a lost connection) arrive through ``actions`` and are
applied between frames. Publishing goes through a callback that returns
False when the broker is unreachable: a session that cannot stream is ended
locally and reported once the link is back.
"""

from __future__ import annotations

import logging
import queue
import uuid
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Final

import local_voice_protocol as protocol

from .endpoint import Decision, Endpointer
from .level import LevelMeter
from .player import AWAKE_TONE, DONE_TONE
from .wakeword import WakeWordError

if TYPE_CHECKING:
    from collections.abc import Callable

    from .player import Player
    from .wakeword import WakeWordDetector

_LOGGER = logging.getLogger(__name__)
_END_REASONS: Final = {
    Decision.END_SILENCE: "vad",
    Decision.END_CAP: "cap",
    Decision.END_NO_SPEECH: "cancel",  # nothing was said: nothing to transcribe
}


@dataclass(slots=True)
class Session:
    """One utterance being streamed."""

    session_id: str
    reason: str
    chunks: int = 0
    pending: bytearray = field(default_factory=bytearray)
    awake_tone: bool = False  # still to play once HA listens (a wake-up may be dismissed)


@dataclass(frozen=True, slots=True)
class Action:
    """A request for the audio thread.

    ``kind``: start (``reason``, ``window_s``), stop, dismiss and listening
    (``session_id``), lost, connected, endpointing (``value``), wake_words (``words``).
    """

    kind: str
    reason: str = "command"
    value: int = 0
    words: tuple[str, ...] = ()
    session_id: str = ""
    window_s: float | None = None


class Microphone:
    """Wake word detection, session streaming and endpointing over 10 ms frames."""

    def __init__(
        self,
        satellite_id: str,
        detector: WakeWordDetector,
        endpointer: Endpointer,
        player: Player,
        *,
        send_event: Callable[[protocol.Message], bool],
        send_audio: Callable[[str, bytes], bool],
        on_wake_words: Callable[[], None] = lambda: None,
        chunk_ms: int = 30,
        sounds: bool = False,
    ) -> None:
        self.satellite_id = satellite_id
        self.detector = detector
        self.endpointer = endpointer
        self.player = player
        self._send_event = send_event
        self._send_audio = send_audio
        self._on_wake_words = on_wake_words
        self._chunk_bytes = protocol.MIN_CHUNK_BYTES * chunk_ms // protocol.MIN_CHUNK_MS
        self._sounds = sounds
        self.actions: queue.SimpleQueue[Action] = queue.SimpleQueue()
        self.level = LevelMeter()
        self.session: Session | None = None
        self._lost: Session | None = None
        self.sessions_started = 0

    # -- frames -------------------------------------------------------------

    def process(self, frame: bytes) -> None:
        """Handle one 10 ms frame of 16 kHz mono s16le."""
        self.apply_actions()
        wake_id = None
        if self._listens_for_wake_word():
            self.level.add(frame)
            wake_id = self.detector.process(frame)
        if wake_id is not None:
            self._wake(wake_id)
            return
        if self.session is None:
            return
        self._stream(frame)
        decision = self.endpointer.process(frame)
        if decision is Decision.SPEECH_STARTED:
            self._send_event(protocol.VoiceStarted(self.session.session_id))
        elif decision is not None:
            if decision is Decision.END_SILENCE:
                self._send_event(protocol.VoiceStopped(self.session.session_id))
            self.end(_END_REASONS[decision])

    def _listens_for_wake_word(self) -> bool:
        """Between sessions, and in a session HA opened (an answer to a question).

        Someone who ignores "Are you sure ...?" and says "okay nabu, turn on
        the desk lamp" means a new command: the open session would end at the
        pause after the wake word and lose the command.
        """
        return self.session is None or self.session.reason != "wake_word"

    def _wake(self, wake_id: str) -> None:
        """Start a wake-word session, ending a session HA opened first."""
        if self.session is None:
            _LOGGER.info("wake word %s detected", wake_id)
        else:
            _LOGGER.info(
                "wake word %s in a %s session: a new command", wake_id, self.session.reason
            )
            self.end("cancel")
        self._send_event(protocol.WakeWordDetected(wake_id))
        self.begin("wake_word", wake_id, self.level.signal(self.detector.last_score))

    def apply_actions(self) -> None:
        """Apply requests from the network thread."""
        while True:
            try:
                action = self.actions.get_nowait()
            except queue.Empty:
                return
            handler = getattr(self, f"_do_{action.kind}", None)
            if handler is not None:
                handler(action)

    def _do_start(self, action: Action) -> None:
        if self.session is None:
            self.begin(action.reason, None, window_s=action.window_s)

    def _do_stop(self, _action: Action) -> None:
        if self.session is not None:
            self.end("cancel")

    def _do_dismiss(self, action: Action) -> None:
        if self._is_current(action.session_id):
            _LOGGER.info("session %s dismissed: another satellite heard it", action.session_id)
            self.end("dismissed")

    def _do_end_of_speech(self, action: Action) -> None:
        if self._is_current(action.session_id):
            _LOGGER.info("session %s: HA heard a complete command", action.session_id)
            self.end("end_of_speech")

    def _do_listening(self, action: Action) -> None:
        if self._is_current(action.session_id):
            self._awake_tone()

    def _do_lost(self, _action: Action) -> None:
        if self.session is not None:
            _LOGGER.warning("broker connection lost: session %s ended", self.session.session_id)
            self._lost, self.session = self.session, None
            self.detector.reset()

    def _do_connected(self, _action: Action) -> None:
        if self._lost is not None:
            lost, self._lost = self._lost, None
            self._send_event(
                protocol.ErrorEvent("connection_lost", "broker connection lost", lost.session_id)
            )
            self._send_event(protocol.SessionEnd(lost.session_id, lost.chunks, "error"))

    def _do_wake_words(self, action: Action) -> None:
        self._set_wake_words(action.words)

    def _do_endpointing(self, action: Action) -> None:
        self.endpointer.params = replace(self.endpointer.params, silence_ms=action.value)
        _LOGGER.info("endpointing: %d ms of silence ends a session", action.value)

    def _set_wake_words(self, words: tuple[str, ...]) -> None:
        """Swap the active models here, on the audio thread that runs them."""
        try:
            self.detector.set_active(words)
        except WakeWordError as err:
            self._send_event(protocol.ErrorEvent("unknown_wake_word", str(err)[:900]))
            return
        self._on_wake_words()

    # -- sessions -----------------------------------------------------------

    def _is_current(self, session_id: str) -> bool:
        return self.session is not None and self.session.session_id == session_id

    def _awake_tone(self) -> None:
        if self.session is not None and self.session.awake_tone:
            self.session.awake_tone = False
            self.player.play_tone("awake", AWAKE_TONE)

    def begin(
        self,
        reason: str,
        wake_word_id: str | None,
        signal: protocol.WakeSignal | None = None,
        *,
        window_s: float | None = None,
    ) -> bool:
        """Open a session and announce it; False if the broker is unreachable.

        ``window_s``: how long to wait for speech (a follow-up after a question).
        """
        session = Session(uuid.uuid4().hex, reason, awake_tone=self._sounds)
        start = protocol.SessionStart(
            session.session_id, wake_word_id=wake_word_id, reason=reason, signal=signal
        )
        if not self._send_event(start):
            _LOGGER.warning("not connected to the broker: ignoring %s", reason)
            self.detector.reset()
            return False
        self.player.stop()  # barge-in: the user speaks over an answer
        self.endpointer.reset(no_speech_seconds=window_s)
        self.session = session
        if reason != "wake_word":  # HA opened it: nothing to arbitrate
            self._awake_tone()
        self.sessions_started += 1
        _LOGGER.info("session %s started (%s)", session.session_id, reason)
        return True

    def end(self, reason: str) -> None:
        """Flush the last chunk and close the session with its chunk count."""
        session, self.session = self.session, None
        if session is None:
            return
        if len(session.pending) >= protocol.MIN_CHUNK_BYTES:
            self._flush(session)
        self._send_event(protocol.SessionEnd(session.session_id, session.chunks, reason))
        _LOGGER.info(
            "session %s ended (%s) after %d chunks", session.session_id, reason, session.chunks
        )
        if self._sounds and reason != "dismissed":
            self.player.play_tone("done", DONE_TONE)
        self.detector.reset()
        self.level.reset()

    def _stream(self, frame: bytes) -> None:
        assert self.session is not None
        self.session.pending += frame
        if len(self.session.pending) >= self._chunk_bytes:
            self._flush(self.session)

    def _flush(self, session: Session) -> None:
        chunk = bytes(session.pending)
        session.pending.clear()
        if self._send_audio(session.session_id, chunk):
            session.chunks += 1
