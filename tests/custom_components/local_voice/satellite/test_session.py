"""The session rules of one satellite, without HA or a broker.

The tracker is the real one; the listener records what the entity would be
told. The MQTT-level versions of these cases run in test_satellite_pipeline.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from custom_components.local_voice import protocol as p
from custom_components.local_voice.satellite.session import Session, SessionTracker

if TYPE_CHECKING:
    import pytest

CHUNK = b"\1\0" * 320  # 20 ms


class Recorder:
    def __init__(self) -> None:
        self.started: list[Session] = []
        self.aborted: list[str] = []
        self.failed: list[tuple[str | None, str]] = []

    def session_started(self, session: Session) -> None:
        self.started.append(session)

    def session_aborted(self, session: Session) -> None:
        self.aborted.append(session.session_id)

    def session_failed(self, session_id: str | None, code: str, message: str) -> None:
        assert message
        self.failed.append((session_id, code))


async def _drain(session: Session) -> list[bytes]:
    return [chunk async for chunk in session.stream()]


def _tracker(idle: float = 3.0) -> tuple[SessionTracker, Recorder]:
    rec = Recorder()
    return SessionTracker("kitchen", rec, idle_timeout=idle), rec


async def test_a_session_streams_its_audio_and_ends_at_once() -> None:
    tracker, rec = _tracker()
    tracker.handle_event_payload(p.encode(p.SessionStart("s1")))
    for _ in range(3):
        tracker.handle_audio("s1", CHUNK)
    tracker.handle_event_payload(p.encode(p.SessionEnd("s1", 3)))
    assert await asyncio.wait_for(_drain(rec.started[0]), 1) == [CHUNK] * 3
    assert rec.failed == []
    assert rec.aborted == []
    tracker.shutdown()


async def test_duplicate_start_is_ignored_and_a_new_session_supersedes() -> None:
    tracker, rec = _tracker()
    tracker.handle_event_payload(p.encode(p.SessionStart("s1")))
    tracker.handle_event_payload(p.encode(p.SessionStart("s1")))
    assert len(rec.started) == 1
    tracker.handle_event_payload(p.encode(p.SessionStart("s2")))
    assert [s.session_id for s in rec.started] == ["s1", "s2"]
    assert rec.failed == [("s1", "superseded")]
    assert rec.aborted == ["s1"]
    assert rec.started[0].aborted
    # An id cannot be reused once ended.
    tracker.handle_event_payload(p.encode(p.SessionStart("s1")))
    assert rec.failed[-1] == ("s1", "session_reused")
    tracker.shutdown()


async def test_bad_and_stray_audio() -> None:
    tracker, rec = _tracker()
    tracker.handle_audio("ghost", CHUNK)
    tracker.handle_audio("ghost", CHUNK)  # reported once per session id
    tracker.handle_audio("ghost2", CHUNK)  # and at most once a second: no flood of errors
    assert rec.failed == [("ghost", "unknown_session")]
    tracker.handle_event_payload(p.encode(p.SessionStart("s1")))
    tracker.handle_audio("s1", CHUNK[:-1])  # not whole samples
    assert rec.failed[-1] == ("s1", "chunk_too_large")
    assert rec.aborted == ["s1"]
    tracker.handle_audio("s1", CHUNK)  # late: dropped quietly
    tracker.handle_event_payload(p.encode(p.SessionEnd("s1", 2)))  # late end: quiet too
    assert len(rec.failed) == 2
    tracker.shutdown()


async def test_length_cap_ends_the_session() -> None:
    tracker, rec = _tracker()
    tracker.handle_event_payload(p.encode(p.SessionStart("s1")))
    big = b"\0" * p.MAX_CHUNK_BYTES
    for _ in range(p.MAX_SESSION_BYTES // len(big)):
        tracker.handle_audio("s1", big)
    assert rec.failed == []
    tracker.handle_audio("s1", big)
    assert rec.failed == [("s1", "session_too_long")]
    chunks = await asyncio.wait_for(_drain(rec.started[0]), 1)
    assert sum(map(len, chunks)) == p.MAX_SESSION_BYTES
    tracker.shutdown()


async def test_chunk_count_mismatch_is_logged_and_the_session_still_ends(
    caplog: pytest.LogCaptureFixture,
) -> None:
    tracker, rec = _tracker()
    tracker.handle_event_payload(p.encode(p.SessionStart("s1")))
    tracker.handle_audio("s1", CHUNK)
    tracker.handle_event_payload(p.encode(p.SessionEnd("s1", 5)))
    assert "chunks_lost" in caplog.text
    assert await asyncio.wait_for(_drain(rec.started[0]), 1) == [CHUNK]
    assert rec.aborted == []


async def test_a_cancelled_session_is_aborted_not_processed() -> None:
    tracker, rec = _tracker()
    tracker.handle_event_payload(p.encode(p.SessionStart("s1")))
    tracker.handle_event_payload(p.encode(p.SessionEnd("s1", 0, "cancel")))
    assert rec.aborted == ["s1"]
    assert rec.failed == []


async def test_idle_session_times_out_and_active_one_does_not() -> None:
    tracker, rec = _tracker(idle=0.2)
    tracker.handle_event_payload(p.encode(p.SessionStart("s1")))
    for _ in range(5):  # 0.5 s of steady audio keeps it alive
        tracker.handle_audio("s1", CHUNK)
        await asyncio.sleep(0.1)
    assert rec.failed == []
    await asyncio.sleep(0.35)
    assert rec.failed == [("s1", "session_timeout")]
    assert rec.aborted == ["s1"]


async def test_malformed_events_and_broker_loss() -> None:
    tracker, rec = _tracker()
    assert tracker.handle_event_payload(b"{oops") is None
    assert tracker.handle_event_payload(b'{"type": "session_start", "session_id": "s1"}') is None
    assert [code for _, code in rec.failed] == ["bad_event", "bad_event"]
    tracker.handle_event_payload(p.encode(p.SessionStart("s1")))
    tracker.abort_current("broker_disconnected", "lost the broker")
    assert rec.failed[-1] == ("s1", "broker_disconnected")
    tracker.abort_current("broker_disconnected", "again")  # nothing open: no report
    assert len(rec.failed) == 3


# ---- answer audio -------------------------------------------------------------
