"""The session rules and the WAV-to-PCM answer stream, without HA or a broker.

The tracker is the real one; the listener records what the entity would be
told. The MQTT-level versions of these cases run in test_satellite_pipeline.
"""

from __future__ import annotations

import asyncio
import io
import struct
import wave
from typing import TYPE_CHECKING

import pytest

from custom_components.local_voice import protocol as p
from custom_components.local_voice.satellite.answer import publish_pcm
from custom_components.local_voice.satellite.tts import SpeechError, pcm_from_wav
from custom_components.local_voice.satellite.session import Session, SessionTracker

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

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


def _wav(pcm: bytes, rate: int = 22050, extra_chunk: bool = False) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm)
    data = buf.getvalue()
    if extra_chunk:  # a LIST chunk between fmt and data, as some encoders write
        data = data[:36] + b"LIST" + struct.pack("<I", 5) + b"abcde\0" + data[36:]
    return data


async def _pieces(data: bytes, size: int) -> AsyncIterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


@pytest.mark.parametrize("piece", [1, 7, 44, 4096])
@pytest.mark.parametrize("extra", [False, True])
async def test_wav_header_is_stripped_however_the_bytes_arrive(piece: int, extra: bool) -> None:
    pcm = bytes(range(256)) * 40
    fmt, stream = await pcm_from_wav(_pieces(_wav(pcm, extra_chunk=extra), piece))
    assert fmt == p.AudioFormat(22050, 2, 1)
    assert b"".join([c async for c in stream]) == pcm


@pytest.mark.parametrize(
    "data",
    [b"", b"RIFX....WAVEfmt ", b"RIFF\0\0\0\0WAVEdata\0\0\0\0", b"RIFF\0\0\0\0WAVE" + b"\0" * 5000],
)
async def test_bad_wav_is_refused(data: bytes) -> None:
    with pytest.raises(WavError):
        await pcm_from_wav(_pieces(data, 100))


async def test_publish_answer_frames_pcm_in_capped_chunks() -> None:
    sent: list[tuple[str, bytes, int]] = []

    async def publish(topic: str, payload: bytes, qos: int) -> None:
        sent.append((topic, payload, qos))

    pcm = b"\1\0" * 22050  # one second
    seconds = await publish_answer(
        publish, "kitchen", "s1", _pieces(_wav(pcm + b"\1"), 1000), text="Turned on"
    )
    assert seconds == pytest.approx(1.0, abs=0.01)
    start, *audio, end = sent
    assert start[0] == "local_voice/kitchen/audio/out/s1/start"
    assert p.parse_audio_out_start(start[1]) == p.AudioOutStart(
        p.AudioFormat(22050), "answer", "Turned on"
    )
    assert all(t == "local_voice/kitchen/audio/out/s1" and q == 0 for t, _, q in audio)
    fmt = p.AudioFormat(22050)
    for _, chunk, _ in audio:
        p.validate_audio_chunk(chunk, fmt)
    assert b"".join(c for _, c, _ in audio).startswith(pcm)
    assert p.parse_audio_out_end(end[1]) == p.AudioOutEnd(len(audio))
