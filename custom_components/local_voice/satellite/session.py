"""Session bookkeeping for one MQTT satellite, kept apart from the HA entity.

Turns the satellite's ``event`` and ``audio/in/<session_id>`` messages into an
audio stream for the Assist pipeline and enforces the protocol's limits: one
session at a time, chunk sizes, utterance length, an idle timeout (a broker
restart mid-utterance), late and unknown chunks, chunk counts. Every bad input
is dropped or ends only its session, with a logged reason and an error for the
satellite; nothing here raises into HA's MQTT callbacks.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, Protocol

from .. import protocol as p

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

_LOGGER: Final = logging.getLogger(__name__)
_RECENT_SESSIONS: Final = 16  # remembered after they end, to tell late chunks from unknown ones
_STRAY_REPORT_INTERVAL: Final = 1.0  # at most one unknown-session error per second per satellite


class SessionListener(Protocol):
    """What the tracker tells its owner (the assist satellite entity)."""

    def session_started(self, session: Session) -> None:
        """A new session's audio stream is ready for a pipeline."""

    def session_aborted(self, session: Session) -> None:
        """A session ended without a usable utterance: stop its pipeline."""

    def session_failed(self, session_id: str | None, code: str, message: str) -> None:
        """A session ended abnormally (or input was dropped); tell the satellite."""


@dataclass
class Session:
    """One utterance: the audio queue that feeds the pipeline, and its counters."""

    session_id: str
    wake_word_id: str | None = None
    reason: str = "wake_word"
    signal: p.WakeSignal | None = None
    chunks: int = 0
    audio_bytes: int = 0
    last_audio: float = field(default_factory=time.monotonic)
    closed: bool = False
    aborted: bool = False
    queue: asyncio.Queue[bytes | None] = field(default_factory=asyncio.Queue)

    def put(self, chunk: bytes) -> None:
        """Queue a validated chunk."""
        self.chunks += 1
        self.audio_bytes += len(chunk)
        self.last_audio = time.monotonic()
        self.queue.put_nowait(chunk)

    def close(self, *, aborted: bool = False) -> None:
        """End the audio stream now (the pipeline sees the end at once)."""
        if not self.closed:
            self.closed = True
            self.aborted = aborted
            self.queue.put_nowait(None)

    async def stream(self) -> AsyncIterator[bytes]:
        """Yield audio until the session closes."""
        while (chunk := await self.queue.get()) is not None:
            yield chunk


class SessionTracker:
    """The protocol's session rules for one satellite."""

    def __init__(
        self,
        satellite_id: str,
        listener: SessionListener,
        idle_timeout: float = p.SESSION_IDLE_TIMEOUT_SECONDS,
    ) -> None:
        self.satellite_id = satellite_id
        self.listener = listener
        self.idle_timeout = idle_timeout
        self.current: Session | None = None
        self._ended: deque[str] = deque(maxlen=_RECENT_SESSIONS)
        self._unknown_reported: deque[str] = deque(maxlen=_RECENT_SESSIONS)
        self._idle_handle: asyncio.TimerHandle | None = None
        self._last_stray_report = -_STRAY_REPORT_INTERVAL

    # ---- messages from the satellite ----

    def handle_event_payload(self, payload: bytes | str) -> p.Event | None:
        """Parse and apply one ``event`` message; malformed ones are dropped (None)."""
        try:
            event = p.parse_event(payload)
        except p.ProtocolError as err:
            self._fail(None, "bad_event", f"dropped malformed event: {err}")
            return None
        if isinstance(event, p.SessionStart):
            self._start(event)
        elif isinstance(event, p.SessionEnd):
            self._end(event)
        elif isinstance(event, p.ErrorEvent):
            _LOGGER.warning(
                "Satellite %s reports error %s: %s", self.satellite_id, event.code, event.message
            )
            if self.current and event.session_id == self.current.session_id:
                self._abort(self.current, None, "")
        return event

    def handle_audio(self, session_id: str, payload: bytes) -> None:
        """Apply one ``audio/in/<session_id>`` chunk."""
        session = self.current
        if session is None or session.session_id != session_id or session.closed:
            self._stray_chunk(session_id)
            return
        try:
            p.validate_audio_chunk(payload)
        except p.ProtocolError as err:
            self._abort(session, "chunk_too_large", str(err))
            return
        if session.audio_bytes + len(payload) > p.MAX_SESSION_BYTES:
            self._abort(
                session, "session_too_long", f"longer than {p.MAX_UTTERANCE_SECONDS} s of audio"
            )
            return
        session.put(payload)

    def end_of_speech(self, session: Session) -> bool:
        """HA heard a complete command: end the stream now (the satellite's end follows).

        False when the session is no longer open (the satellite ended it first).
        """
        if session is not self.current or session.closed:
            return False
        _LOGGER.debug("Session %s on %s: end of speech", session.session_id, self.satellite_id)
        self._finish(session)
        return True

    def abort_current(self, code: str, message: str) -> None:
        """End the open session, e.g. the broker went away or the satellite went offline."""
        if self.current is not None and not self.current.closed:
            self._abort(self.current, code, message)

    def dismiss(self, session: Session) -> None:
        """Another satellite won the wake word: drop this session quietly (no error)."""
        if not session.closed:
            self._finish(session, aborted=True, report=False)

    def shutdown(self) -> None:
        """Stop timers and close the stream without reporting (unload)."""
        self._cancel_idle()
        if self.current is not None:
            self.current.close(aborted=True)

    # ---- rules ----

    def _start(self, event: p.SessionStart) -> None:
        sid = event.session_id
        if self.current is not None and self.current.session_id == sid:
            _LOGGER.debug("Duplicate session_start %s from %s ignored", sid, self.satellite_id)
            return
        if sid in self._ended:
            self._fail(sid, "session_reused", f"session id {sid} was already used")
            return
        if self.current is not None and not self.current.closed:
            # MAX_SESSIONS_PER_SATELLITE is 1: the newer session wins.
            self._abort(self.current, "superseded", f"superseded by session {sid}")
        session = Session(sid, event.wake_word_id, event.reason, event.signal)
        self.current = session
        _LOGGER.debug("Session %s started on %s (%s)", sid, self.satellite_id, event.reason)
        self._schedule_idle()
        self.listener.session_started(session)

    def _end(self, event: p.SessionEnd) -> None:
        session = self.current
        if session is None or session.session_id != event.session_id or session.closed:
            if event.session_id not in self._ended:
                self._fail(event.session_id, "unknown_session", "session_end for unknown session")
            return
        if event.chunks != session.chunks:
            _LOGGER.warning(
                "Session %s on %s: satellite sent %d chunks, %d arrived (chunks_lost)",
                session.session_id,
                self.satellite_id,
                event.chunks,
                session.chunks,
            )
        _LOGGER.debug("Session %s ended by satellite (%s)", session.session_id, event.reason)
        self._finish(session, aborted=event.reason in {"cancel", "error"})

    def _stray_chunk(self, session_id: str) -> None:
        if session_id in self._ended:
            _LOGGER.debug("Late chunk for ended session %s dropped", session_id)
        elif session_id not in self._unknown_reported:
            self._unknown_reported.append(session_id)
            now = time.monotonic()
            if now - self._last_stray_report < _STRAY_REPORT_INTERVAL:
                _LOGGER.debug("Audio for unknown session %s dropped", session_id)
                return
            self._last_stray_report = now
            self._fail(session_id, "unknown_session", "audio for unknown session dropped")

    def _abort(self, session: Session, code: str | None, message: str) -> None:
        self._finish(session, aborted=True)
        if code is not None:
            self._fail(session.session_id, code, message)

    def _finish(self, session: Session, *, aborted: bool = False, report: bool = True) -> None:
        session.close(aborted=aborted)
        self._ended.append(session.session_id)
        if session is self.current:
            self._cancel_idle()
        if aborted and report:
            self.listener.session_aborted(session)

    def _fail(self, session_id: str | None, code: str, message: str) -> None:
        _LOGGER.warning(
            "Satellite %s, session %s: %s (%s)", self.satellite_id, session_id, message, code
        )
        self.listener.session_failed(session_id, code, message)

    # ---- idle timeout ----

    def _schedule_idle(self) -> None:
        self._cancel_idle()
        self._idle_handle = asyncio.get_running_loop().call_later(
            self.idle_timeout, self._check_idle
        )

    def _cancel_idle(self) -> None:
        if self._idle_handle is not None:
            self._idle_handle.cancel()
            self._idle_handle = None

    def _check_idle(self) -> None:
        self._idle_handle = None
        session = self.current
        if session is None or session.closed:
            return
        silent_for = time.monotonic() - session.last_audio
        if silent_for >= self.idle_timeout:
            self._abort(
                session, "session_timeout", f"no audio for {silent_for:.1f} s, session ended"
            )
            return
        self._idle_handle = asyncio.get_running_loop().call_later(
            self.idle_timeout - silent_for, self._check_idle
        )
