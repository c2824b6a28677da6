"""Options on a second server: --voices-dir, the client queue, metrics, cache off, whole sentences."""

from __future__ import annotations

import array
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import pytest

from local_voice_harness.ports import free_port
from local_voice_harness.servers import WyomingProcess
from local_voice_harness.tts_wire import Client, describe_works, synthesize
from wyoming_servers.models import resolve_piper_voice

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("socket_enabled")]


@pytest.fixture(scope="module")
def voices_dir(tmp_path_factory) -> Path:
    """A second (valid) voice under another name, and two broken ones."""
    folder = tmp_path_factory.mktemp("voices")
    joe = resolve_piper_voice("en_US-joe-medium")
    (folder / "en_GB-copy-medium.onnx").symlink_to(joe.model)
    config = joe.config.read_text().replace('"code": "en_US"', '"code": "en_GB"')
    (folder / "en_GB-copy-medium.onnx.json").write_text(config)
    (folder / "xx-broken-low.onnx").write_bytes(b"not a model")
    (folder / "xx-broken-low.onnx.json").write_text(config)
    (folder / "xx-noconfig-low.onnx").symlink_to(joe.model)
    return folder


@pytest.fixture(scope="module")
def metrics_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def server(voices_dir, metrics_port) -> Iterator[WyomingProcess]:
    import pytest_socket

    pytest_socket.enable_socket()
    process = WyomingProcess.tts(
        "--voices-dir", str(voices_dir), "--max-clients", "1", "--cache-size", "0",
        "--max-queued", "1", "--queue-timeout", "2",
        "--metrics-port", str(metrics_port), "--idle-timeout", "5", "--whole-sentences",
    )  # fmt: skip
    with process:
        yield process


def test_voices_dir_lists_only_voices_that_load(server) -> None:
    with Client(server.host, server.port) as client:
        client.send("describe")
        info = client.collect("info").info
    voices = {v["name"]: v["languages"] for v in info["tts"][0]["voices"]}
    assert voices == {"en_US-joe-medium": ["en_US"], "en_GB-copy-medium": ["en_GB"]}


def test_request_picks_a_voice_by_name_and_cache_off_resynthesizes(server, metrics_port) -> None:
    text = "Turned on the hall light."
    reply = synthesize(server.host, server.port, text, voice={"name": "en_GB-copy-medium"})
    assert reply.error is None
    assert reply.pcm
    again = synthesize(server.host, server.port, text, voice={"name": "en_GB-copy-medium"})
    assert again.pcm
    url = f"http://127.0.0.1:{metrics_port}/metrics"
    with urllib.request.urlopen(url, timeout=10) as response:
        body = response.read().decode()
    # No cache: the repeat was synthesized again (the audio may even be equal:
    # each onnxruntime inference session's noise generator starts from the same seed).
    assert 'stage="first_audio"}' in body
    assert 'stage="first_audio_cached"}' not in body
    # --whole-sentences: piper's own scaling, the loudest sample at full scale.
    assert max(abs(v) for v in array.array("h", reply.pcm)) == 32767
    broken = synthesize(server.host, server.port, text, voice={"name": "xx-broken-low"})
    assert broken.error is not None
    assert broken.error["code"] == "unknown-voice"


def _queue_depth(metrics_port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10) as page:
        body: str = page.read().decode()
    return next(line for line in body.splitlines() if line.startswith("local_voice_queue_depth{"))


def test_past_max_clients_a_client_waits_its_turn_and_is_served(server) -> None:
    with Client(server.host, server.port) as first, ThreadPoolExecutor(1) as pool:
        first.send("describe")
        assert first.collect("info").info is not None
        with Client(server.host, server.port) as second:
            second.send("synthesize", {"text": "Served in turn."})
            reply = pool.submit(second.collect, "audio-stop")
            time.sleep(0.5)
            assert not reply.done()  # the slot is the first client's
            first.close()
            result = reply.result(timeout=60)
    assert result.error is None
    assert result.pcm


def test_a_wait_past_the_queue_timeout_gets_a_clear_error(server) -> None:
    with Client(server.host, server.port) as first:
        first.send("describe")
        assert first.collect("info").info is not None
        with Client(server.host, server.port, timeout=30) as second:
            began = time.monotonic()
            second.send("describe")
            reply = second.collect("info")
            waited = time.monotonic() - began
    assert reply.error is not None
    assert reply.error["code"] == "queue-timeout"
    assert 1.8 <= waited < 10, waited  # --queue-timeout 2
    assert describe_works(server.host, server.port)


def test_a_full_queue_gets_a_clear_error_at_once(server, metrics_port) -> None:
    with Client(server.host, server.port) as first, Client(server.host, server.port) as second:
        first.send("describe")
        assert first.collect("info").info is not None
        second.send("describe")
        for _ in range(100):
            if _queue_depth(metrics_port).endswith(" 1.0"):
                break
            time.sleep(0.05)
        assert _queue_depth(metrics_port).endswith(" 1.0")
        with Client(server.host, server.port, timeout=30) as third:
            began = time.monotonic()
            third.send("describe")
            reply = third.collect("info")
        assert reply.error is not None
        assert reply.error["code"] == "too-many-clients"
        assert time.monotonic() - began < 1.5  # not after the 2 s queue timeout
        first.close()
        assert second.collect("info").info is not None  # the line moved on
    assert describe_works(server.host, server.port)


def test_metrics_count_tts_requests(server, metrics_port) -> None:
    synthesize(server.host, server.port, "Metrics.")
    url = f"http://127.0.0.1:{metrics_port}/metrics"
    with urllib.request.urlopen(url, timeout=10) as response:
        body = response.read().decode()
    assert 'local_voice_requests_total{request="synthesize",server="tts"}' in body
    assert 'local_voice_latency_seconds_count{server="tts",stage="first_audio"}' in body
