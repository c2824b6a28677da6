"""Validation, caps, allow list and upstream failures: status codes and OpenAI's error shape."""

from __future__ import annotations

import io
import json
import struct
import wave
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import ApiProcess

pytestmark = pytest.mark.slow


def _wav(rate: int, seconds: float, width: int = 2, channels: int = 1) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(width)
        wav.setframerate(rate)
        wav.writeframes(b"\x00" * int(rate * seconds) * width * channels)
    return buffer.getvalue()


def _silent_flac(seconds: float, rate: int = 16000) -> bytes:
    """A FLAC of silence: a few kB however long, so only a decoded-length cap stops it."""
    import av
    import numpy as np

    buffer = io.BytesIO()
    with av.open(buffer, "w", format="flac") as container:
        stream = container.add_stream("flac", rate=rate, layout="mono")
        samples = np.zeros((1, int(rate * seconds)), dtype=np.int16)
        frame = av.AudioFrame.from_ndarray(samples, format="s16", layout="mono")
        frame.sample_rate = rate
        for packet in (*stream.encode(frame), *stream.encode(None)):
            container.mux(packet)
    return buffer.getvalue()


async def _post_form(url: str, fields: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    form = aiohttp.FormData(default_to_multipart=True)
    for name, value in fields.items():
        if isinstance(value, bytes):
            form.add_field(name, value, filename=f"{name}.wav", content_type="audio/wav")
        else:
            form.add_field(name, value)
    async with aiohttp.ClientSession() as session, session.post(url, data=form) as response:
        return response.status, await response.json()


async def _post_json(url: str, body: Any) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as session, session.post(url, json=body) as response:
        return response.status, await response.json()


def _assert_error(body: dict[str, Any], code: str, param: str | None = None) -> None:
    error = body["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["code"] == code
    assert error["message"]
    if param is not None:
        assert error["param"] == param


@pytest.mark.parametrize(
    ("fields", "status", "code", "param"),
    [
        ({"model": "whisper-1"}, 400, "missing-required-parameter", "file"),
        ({"file": _wav(16000, 0.5)}, 400, "missing-required-parameter", "model"),
        ({"file": _wav(16000, 0.5), "model": "large-v9"}, 400, "model-not-found", "model"),
        (
            {"file": _wav(16000, 0.5), "model": "whisper-1", "language": "english!"},
            400,
            "invalid-value",
            "language",
        ),
        (
            {"file": _wav(16000, 0.5), "model": "whisper-1", "response_format": "srt"},
            400,
            "invalid-value",
            "response_format",
        ),
        (
            {"file": _wav(16000, 0.5), "model": "whisper-1", "temperature": "hot"},
            400,
            "invalid-value",
            "temperature",
        ),
        (
            {"file": b"RIFF\x00\x00\x00\x00WAVEjunk", "model": "whisper-1"},
            422,
            "invalid-value",
            "file",
        ),
        ({"file": _wav(1000, 0.5), "model": "whisper-1"}, 422, "bad-audio-format", "file"),
        ({"file": _wav(16000, 0.0), "model": "whisper-1"}, 422, "invalid-value", "file"),
        # declared body length over the cap: refused before reading
        ({"file": b"\x00" * 3 * 1024 * 1024, "model": "whisper-1"}, 413, "too-large", None),
        # body within the form allowance, the file part over the 2 MiB cap: refused while read
        (
            {"file": b"\x00" * (2 * 1024 * 1024 + 1000), "model": "whisper-1"},
            413,
            "too-large",
            "file",
        ),
        ({"file": _wav(16000, 31.0), "model": "whisper-1"}, 413, "utterance-too-long", None),
        # compressed audio is decoded by the gateway, then the server's cap applies
        ({"file": _silent_flac(40.0), "model": "whisper-1"}, 413, "utterance-too-long", None),
        # decoded audio may not outgrow the upload cap in 16 kHz samples (2 MiB: 65.5 s)
        ({"file": _silent_flac(70.0), "model": "whisper-1"}, 413, "too-large", "file"),
        (
            {"file": b"plain text, not audio", "model": "whisper-1"},
            415,
            "unsupported-media-type",
            "file",
        ),
        (
            {"file": b"OggS" + b"\x00" * 200, "model": "whisper-1"},
            422,
            "invalid-value",
            "file",
        ),
    ],
)
async def test_transcription_rejects(
    api_url: str, fields: dict[str, Any], status: int, code: str, param: str | None
) -> None:
    got, body = await _post_form(f"{api_url}/v1/audio/transcriptions", fields)
    assert got == status, body
    _assert_error(body, code, param)


async def test_transcription_needs_multipart(api_url: str) -> None:
    status, body = await _post_json(f"{api_url}/v1/audio/transcriptions", {"model": "whisper-1"})
    assert status == 415
    _assert_error(body, "unsupported-media-type")


_OK = {"model": "tts-1", "voice": "alloy", "input": "Hello."}


@pytest.mark.parametrize(
    ("change", "status", "code", "param"),
    [
        ({"input": None}, 400, "invalid-value", "input"),
        ({"input": "   "}, 400, "invalid-value", "input"),
        ({"input": 5}, 400, "invalid-value", "input"),
        ({"input": "a" * 301}, 413, "too-large", "input"),
        ({"voice": "../../etc/passwd"}, 400, "voice-not-found", "voice"),
        ({"model": "gpt-5"}, 400, "model-not-found", "model"),
        ({"speed": 10}, 400, "invalid-value", "speed"),
        ({"speed": True}, 400, "invalid-value", "speed"),
        ({"response_format": "ogg"}, 400, "unsupported-response-format", "response_format"),
        ({"response_format": 3}, 400, "unsupported-response-format", "response_format"),
        ({"stream_format": "sse"}, 400, "invalid-value", "stream_format"),
    ],
)
async def test_speech_rejects(
    api_url: str, change: dict[str, Any], status: int, code: str, param: str
) -> None:
    body = {**_OK, **change}
    body = {key: value for key, value in body.items() if value is not None}
    got, reply = await _post_json(f"{api_url}/v1/audio/speech", body)
    assert got == status, reply
    _assert_error(reply, code, param)


@pytest.mark.parametrize("raw", [b"[1, 2]", b"{not json", b"\xff\xfe"])
async def test_speech_rejects_bad_json(api_url: str, raw: bytes) -> None:
    headers = {"Content-Type": "application/json"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{api_url}/v1/audio/speech", data=raw, headers=headers) as response,
    ):
        assert response.status == 400
        _assert_error(await response.json(), "invalid-value")


async def test_speech_body_cap(api_url: str) -> None:
    status, body = await _post_json(f"{api_url}/v1/audio/speech", {**_OK, "pad": "x" * 100_000})
    assert status == 413
    _assert_error(body, "too-large")


async def test_unknown_path_and_method(api_url: str) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{api_url}/v1/nothing") as response:
            assert response.status == 404
            _assert_error(await response.json(), "not-found")
        async with session.get(f"{api_url}/v1/audio/speech") as response:
            assert response.status == 405
            _assert_error(await response.json(), "method-not-allowed")


async def test_allow_list_refuses_loopback(
    gateway_for_others: ApiProcess, socket_enabled: None
) -> None:
    async with aiohttp.ClientSession() as session:
        for path in ("/health", "/v1/models", "/metrics"):
            async with session.get(f"{gateway_for_others.base_url}{path}") as response:
                assert response.status == 403
                _assert_error(await response.json(), "not-allowed")


async def test_servers_down(gateway_without_servers: ApiProcess, socket_enabled: None) -> None:
    base = gateway_without_servers.base_url
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{base}/health") as response:
            assert response.status == 503
            body = await response.json()
            assert body["status"] == "unavailable"
            assert body["asr"]["ready"] is False
            assert body["tts"]["ready"] is False
        async with session.post(f"{base}/v1/audio/speech", json=_OK) as response:
            assert response.status == 503
            assert response.headers["Retry-After"] == "1"
            _assert_error(await response.json(), "upstream-unavailable")


async def test_health_ready(api_url: str) -> None:
    async with aiohttp.ClientSession() as session, session.get(f"{api_url}/health") as response:
        assert response.status == 200
        body = await response.json()
    assert body == {
        "status": "ok",
        "asr": {"ready": True, "models": ["tiny.en"]},
        "tts": {"ready": True, "models": ["en_US-joe-medium"]},
    }


def test_streaming_wav_header_is_valid() -> None:
    from wyoming_servers.http_api.encoding import streaming_wav_header

    header = streaming_wav_header(22050, 2, 1)
    assert len(header) == 44
    riff, size, wave_fmt = struct.unpack("<4sI8s", header[:16])
    assert (riff, size, wave_fmt) == (b"RIFF", 0xFFFFFFFF, b"WAVEfmt ")
    channels, rate, byte_rate, block, bits = struct.unpack("<HIIHH", header[22:36])
    assert (channels, rate, byte_rate, block, bits) == (1, 22050, 44100, 2, 16)


def test_openapi_copy_in_docs_is_identical(tmp_path: Path) -> None:
    from local_voice_harness.paths import REPO_ROOT

    packaged = REPO_ROOT / "wyoming_servers" / "http_api" / "openapi.yaml"
    assert (REPO_ROOT / "docs" / "openapi.yaml").read_bytes() == packaged.read_bytes()


async def test_openapi_json_served(api_url: str) -> None:
    import yaml

    from local_voice_harness.paths import REPO_ROOT

    document = yaml.safe_load((REPO_ROOT / "docs" / "openapi.yaml").read_text())
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{api_url}/openapi.json") as response,
    ):
        assert response.status == 200
        assert json.loads(await response.text()) == document
    assert document["openapi"].startswith("3.1")


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("text-too-long", 413),
        ("utterance-too-long", 413),
        ("event-too-large", 413),
        ("bad-audio-format", 422),
        ("bad-event-data", 400),
        ("bad-something-new", 400),
        ("too-many-clients", 503),
        ("inference-failed", 502),
        ("not-allowed", 502),
        ("internal-error", 502),
    ],
)
def test_server_error_codes_map_to_statuses(code: str, status: int) -> None:
    from wyoming_servers.http_api.errors import from_server_error

    error = from_server_error("tts", code, "details")
    assert error.status == status
    assert error.body()["error"]["code"] == code
    assert error.body()["error"]["message"] == "tts: details"
    assert (error.response().headers.get("Retry-After") == "1") is (status == 503)
