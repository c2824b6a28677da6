"""Every bad input gets an ``error`` event and ends only its own connection.

Against the real server process (``asr_server``: idle timeout 3 s, read
timeout 1 s, at most 20 s per utterance); after each case a good client is
still served.
"""

from __future__ import annotations

import asyncio
import json
import urllib.request
from typing import Any

import pytest
from wyoming.audio import AudioChunk, AudioStart
from wyoming.event import Event, async_read_event, async_write_event
from wyoming.info import Describe, Info

from local_voice_harness.metrics import counter_by_label, scrape
from local_voice_harness.servers import WavAudio, transcribe_wav
from wyoming_servers.asr.scoring import normalize

pytestmark = pytest.mark.slow

START = AudioStart(rate=16000, width=2, channels=1).event()


def _frame(event: Event) -> bytes:
    header: dict[str, Any] = {"type": event.type}
    data = json.dumps(event.data).encode() if event.data else b""
    if data:
        header["data_length"] = len(data)
    if event.payload:
        header["payload_length"] = len(event.payload)
    return json.dumps(header).encode() + b"\n" + data + (event.payload or b"")


async def _error_for(server: Any, raw: bytes, *, then_wait: bool = False) -> dict[str, Any]:
    """Send raw bytes, return the error event's data; the server must then close."""
    reader, writer = await asyncio.open_connection(server.host, server.port)
    try:
        writer.write(raw)
        await writer.drain()
        async with asyncio.timeout(10):
            while True:
                event = await async_read_event(reader)
                assert event is not None, "closed without an error event"
                if event.type == "error":
                    break
            assert await reader.read() == b"", "server kept the bad connection open"
        return event.data
    finally:
        writer.close()


async def _still_serves(server: Any) -> None:
    reader, writer = await asyncio.open_connection(server.host, server.port)
    try:
        await async_write_event(Describe().event(), writer)
        event = await asyncio.wait_for(async_read_event(reader), 10)
        assert event is not None
        assert Info.is_type(event.type)
    finally:
        writer.close()


CASES = {
    "malformed-json": (b"{not json\n", "malformed-event"),
    "not-an-object": (b'["describe"]\n', "malformed-event"),
    "oversized-header": (b'{"type": "' + b"a" * 20_000 + b'"}\n', "event-too-large"),
    "oversized-payload": (
        b'{"type": "audio-chunk", "payload_length": 1000000000}\n',
        "event-too-large",
    ),
    "string-length": (b'{"type": "describe", "data_length": "12"}\n', "bad-length"),
    "negative-length": (b'{"type": "describe", "payload_length": -4}\n', "bad-length"),
    "audio-before-start": (
        _frame(AudioChunk(16000, 2, 1, b"\0\0" * 160).event()),
        "unexpected-event",
    ),
    "stop-before-start": (b'{"type": "audio-stop"}\n', "unexpected-event"),
    "absurd-rate": (_frame(AudioStart(rate=1, width=2, channels=1).event()), "bad-audio-format"),
    "absurd-width": (
        _frame(AudioStart(rate=16000, width=9, channels=1).event()),
        "bad-audio-format",
    ),
    "string-rate": (
        b'{"type": "audio-start", "data": {"rate": "16k", "width": 2, "channels": 1}}\n',
        "bad-audio-format",
    ),
    "odd-byte-count": (
        _frame(START) + _frame(AudioChunk(16000, 2, 1, b"\0\0\0").event()),
        "bad-audio-format",
    ),
    "format-change": (
        _frame(START) + _frame(AudioChunk(8000, 2, 1, b"\0\0" * 80).event()),
        "bad-audio-format",
    ),
    "bad-vocabulary": (
        _frame(Event("transcribe", {"context": {"vocabulary": [1, 2]}})),
        "bad-event-data",
    ),
    "endless-utterance": (
        _frame(START)
        + b"".join(_frame(AudioChunk(16000, 2, 1, b"\0\0" * 32000).event()) for _ in range(11)),
        "utterance-too-long",
    ),
    "slow-drip": (b'{"type": "descr', "read-timeout"),
    "idle": (b"", "idle-timeout"),
}


@pytest.mark.parametrize("case", list(CASES))
async def test_bad_input_gets_an_error_and_others_are_still_served(
    asr_server: Any, case: str, socket_enabled: None
) -> None:
    raw, code = CASES[case]
    data = await _error_for(asr_server, raw)
    assert data["code"] == code, data
    assert data["text"]
    await _still_serves(asr_server)


async def test_a_bad_client_does_not_disturb_a_transcription_in_flight(
    asr_server: Any, dev_commands: list, socket_enabled: None
) -> None:
    audio = WavAudio.load(dev_commands[0].audio)
    good, bad = await asyncio.gather(
        transcribe_wav(asr_server.host, asr_server.port, audio, realtime=True),
        _error_for(asr_server, b'{"type": "x", "data_length": 3}\n[1]'),
    )
    assert bad["code"] == "malformed-event"
    assert normalize(good.transcript.text) == dev_commands[0].text.split()


async def test_unknown_events_are_ignored(asr_server: Any, socket_enabled: None) -> None:
    reader, writer = await asyncio.open_connection(asr_server.host, asr_server.port)
    try:
        writer.write(_frame(Event("frobnicate", {"x": 1}, b"abc")) + _frame(Describe().event()))
        event = await asyncio.wait_for(async_read_event(reader), 10)
        assert event is not None
        assert event.type == "info"
    finally:
        writer.close()


async def test_metrics_are_served_with_stable_names(
    small_asr_server: Any, dev_commands: list, socket_enabled: None
) -> None:
    url = f"http://127.0.0.1:{small_asr_server.metrics_port}/metrics"

    async def scrape() -> str:
        return await asyncio.to_thread(
            lambda: urllib.request.urlopen(url, timeout=5).read().decode()
        )

    async def until_idle() -> None:  # one client at most: wait for the last to be gone
        for _ in range(50):
            if 'local_voice_active_sessions{server="asr"} 0.0' in await scrape():
                return
            await asyncio.sleep(0.1)

    audio = WavAudio.load(dev_commands[0].audio)
    await until_idle()
    await transcribe_wav(small_asr_server.host, small_asr_server.port, audio)
    await until_idle()
    await _error_for(small_asr_server, b"nonsense\n")
    text = await scrape()
    for needle in (
        'local_voice_requests_total{request="transcribe",server="asr"} 1.0',
        'local_voice_errors_total{kind="malformed-event",server="asr"} 1.0',
        'local_voice_audio_seconds_total{direction="in",server="asr"}',
        'local_voice_latency_seconds_bucket{le="+Inf",server="asr",stage="audio_stop_to_transcript"} 1.0',
        'local_voice_active_sessions{server="asr"}',
        'local_voice_model_load_seconds{server="asr"}',
    ):
        assert needle in text, (
            needle,
            [line for line in text.splitlines() if not line.startswith("#")],
        )


async def test_a_pause_at_the_end_lets_the_early_decode_answer(
    small_asr_server: Any, dev_commands: list, socket_enabled: None
) -> None:
    """Streamed at real-time pace with a satellite's 300 ms of trailing silence,
    the decode started at the pause is the transcript; sent all at once (a file),
    no early decode runs and the final decode answers."""

    async def outcomes() -> dict[str, float]:
        text = await asyncio.to_thread(scrape, small_asr_server.metrics_port)
        return counter_by_label(text, "local_voice_early_decodes_total", "outcome", "used", "final")

    wav = WavAudio.load(dev_commands[7].audio)
    silence = bytes(int(0.3 * wav.rate) * wav.width * wav.channels)
    audio = WavAudio(wav.pcm + silence, wav.rate, wav.width, wav.channels)
    before = await outcomes()
    result = await transcribe_wav(
        small_asr_server.host, small_asr_server.port, audio, realtime=True
    )
    assert result.transcript.text
    middle = await outcomes()
    assert (middle["used"] - before["used"], middle["final"] - before["final"]) == (1, 0)
    await transcribe_wav(small_asr_server.host, small_asr_server.port, audio)
    after = await outcomes()
    assert (after["used"] - middle["used"], after["final"] - middle["final"]) == (0, 1)
