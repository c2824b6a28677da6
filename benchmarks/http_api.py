"""Benchmark: what the HTTP gateway costs on top of talking Wyoming directly.

The real local-voice-asr, local-voice-tts and local-voice-api run as
processes on loopback. Each repetition does the same request twice, once
over Wyoming straight to the server and once over HTTP through the gateway,
alternating which goes first, with text no server has seen (the TTS cache
works per sentence).

Measured (medians and p95): speech time to first audio byte and total for a
1- and a 3-sentence answer (through the gateway as ``wav``, which passes the
server's PCM through, so only the gateway's own work differs);
transcription of a dev command (cmd01.wav, sent all at once) from the first
byte sent to the transcript. Then, through the gateway only, each
``response_format`` for a fresh 3-sentence answer, the formats in rotating
order: time to the first byte, to the first audio byte (``wav`` sends its
44-byte header before any audio; the other containers write theirs with the
first encoded audio) and to the last byte. Writes
benchmarks/results/http_api.json and http_api.png.

Usage: python benchmarks/http_api.py [--reps 10]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import urllib.request
from typing import Any

import aiohttp
from matplotlib.figure import Figure
from wyoming.event import async_read_event, async_write_event
from wyoming.tts import Synthesize

from local_voice_harness.paths import REPO_ROOT, dev_commands_dir
from local_voice_harness.ports import free_port
from local_voice_harness.processes import install_stop_handlers, spawn
from local_voice_harness.servers import WavAudio, WyomingProcess, transcribe_wav

RESULTS = REPO_ROOT / "benchmarks" / "results"
_serial = itertools.count(1)
ROOMS = ["kitchen", "bedroom", "office", "porch", "garage", "hallway", "attic", "basement"]


def text(sentences: int) -> str:
    n = next(_serial)
    parts = [
        f"The {ROOMS[(n + i) % len(ROOMS)]} light number {n * 10 + i} is on."
        for i in range(sentences)
    ]
    return " ".join(parts)


async def wyoming_speech(host: str, port: int, sentence: str) -> tuple[float, float]:
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection(host, port)
    first = 0.0
    try:
        await async_write_event(Synthesize(text=sentence).event(), writer)
        while True:
            event = await async_read_event(reader)
            assert event is not None
            if event.type == "audio-chunk" and not first:
                first = time.perf_counter() - started
            if event.type == "audio-stop":
                return first, time.perf_counter() - started
    finally:
        writer.close()


FORMATS = ("mp3", "opus", "aac", "flac", "wav", "pcm")
HEADER_BYTES = {"wav": 44}  # sent at audio-start, before any audio


async def http_speech(
    session: aiohttp.ClientSession, url: str, sentence: str, response_format: str = "wav"
) -> tuple[float, float, float]:
    """Seconds to the first byte, the first audio byte and the last byte."""
    body = {"model": "tts-1", "voice": "alloy", "input": sentence,
            "response_format": response_format}  # fmt: skip
    header = HEADER_BYTES.get(response_format, 0)
    started = time.perf_counter()
    first = first_audio = 0.0
    received = 0
    async with session.post(f"{url}/v1/audio/speech", json=body) as response:
        assert response.status == 200
        async for chunk in response.content.iter_any():
            now = time.perf_counter() - started
            received += len(chunk)
            first = first or now
            if not first_audio and received > header:
                first_audio = now
    return first, first_audio, time.perf_counter() - started


async def wyoming_transcribe(host: str, port: int, audio: WavAudio) -> float:
    started = time.perf_counter()
    await transcribe_wav(host, port, audio, chunk_ms=500)
    return time.perf_counter() - started


async def http_transcribe(session: aiohttp.ClientSession, url: str, wav: bytes) -> float:
    form = aiohttp.FormData()
    form.add_field("file", wav, filename="cmd01.wav", content_type="audio/wav")
    form.add_field("model", "whisper-1")
    started = time.perf_counter()
    async with session.post(f"{url}/v1/audio/transcriptions", data=form) as response:
        assert response.status == 200
        await response.json()
    return time.perf_counter() - started


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"median_ms": round(statistics.median(values) * 1000, 1), "p95_ms": round(p95 * 1000, 1)}


async def measure(reps: int, asr: WyomingProcess, tts: WyomingProcess, url: str) -> dict[str, Any]:
    cmd = dev_commands_dir() / "cmd01.wav"
    audio, wav = WavAudio.load(cmd), cmd.read_bytes()
    samples: dict[str, list[float]] = {}

    def add(key: str, value: float) -> None:
        samples.setdefault(key, []).append(value)

    async with aiohttp.ClientSession() as session:
        for response_format in FORMATS:  # warm both paths and every encoder once
            await http_speech(session, url, text(1), response_format)
        await wyoming_transcribe(asr.host, asr.port, audio)
        for rep in range(reps):
            order = ("wyoming", "http") if rep % 2 == 0 else ("http", "wyoming")
            for sentences in (1, 3):
                for path in order:
                    if path == "wyoming":
                        first, total = await wyoming_speech(tts.host, tts.port, text(sentences))
                    else:
                        _, first, total = await http_speech(session, url, text(sentences))
                    add(f"speech_{sentences}s_first_{path}", first)
                    add(f"speech_{sentences}s_total_{path}", total)
            for path in order:
                if path == "wyoming":
                    add("transcribe_wyoming", await wyoming_transcribe(asr.host, asr.port, audio))
                else:
                    add("transcribe_http", await http_transcribe(session, url, wav))
    return {key: summary(values) for key, values in samples.items()}


async def measure_formats(reps: int, url: str) -> dict[str, Any]:
    """Each response_format for fresh 3-sentence answers, in rotating order."""
    samples: dict[str, list[float]] = {}
    async with aiohttp.ClientSession() as session:
        for rep in range(reps):
            shift = rep % len(FORMATS)
            for response_format in FORMATS[shift:] + FORMATS[:shift]:
                times = await http_speech(session, url, text(3), response_format)
                for part, value in zip(("first_byte", "first_audio", "total"), times, strict=True):
                    samples.setdefault(f"{response_format}_{part}", []).append(value)
    return {key: summary(values) for key, values in samples.items()}


def gateway_own_time(metrics: str) -> float:
    """Mean of transcription_total minus asr_upstream: the gateway's own work.

    Form parsing, validation, WAV reading and the catalogue check, measured
    inside the gateway, so the servers' (noisy) inference time drops out.
    """
    values: dict[str, float] = {}
    for line in metrics.splitlines():
        for stage in ("transcription_total", "asr_upstream"):
            for kind in ("sum", "count"):
                prefix = f"local_voice_latency_seconds_{kind}{{"
                if (
                    line.startswith(prefix)
                    and 'server="api"' in line
                    and f'stage="{stage}"' in line
                ):
                    values[f"{stage}_{kind}"] = float(line.rsplit(" ", 1)[1])
    total = values["transcription_total_sum"] / values["transcription_total_count"]
    upstream = values["asr_upstream_sum"] / values["asr_upstream_count"]
    return round((total - upstream) * 1000, 2)


def chart(results: dict[str, Any]) -> None:
    labels = [
        "speech 1s first",
        "speech 1s total",
        "speech 3s first",
        "speech 3s total",
        "transcribe",
    ]
    keys = [
        "speech_1s_first",
        "speech_1s_total",
        "speech_3s_first",
        "speech_3s_total",
        "transcribe",
    ]
    figure = Figure(figsize=(9, 4.5))
    axes = figure.subplots()
    width = 0.38
    for offset, path in ((-width / 2, "wyoming"), (width / 2, "http")):
        values = [results[f"{key}_{path}"]["median_ms"] for key in keys]
        axes.bar([i + offset for i in range(len(keys))], values, width, label=path)
    axes.set_xticks(range(len(keys)), labels)
    axes.set_ylabel("median ms")
    axes.set_title("Wyoming direct vs through local-voice-api (same run)")
    axes.legend()
    figure.tight_layout()
    figure.savefig(RESULTS / "http_api.png", dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=10)
    args = parser.parse_args()
    port = free_port()
    with WyomingProcess.asr() as asr, WyomingProcess.tts() as tts:
        api = spawn(
            [sys.executable, "-m", "wyoming_servers.http_api", "--host", "127.0.0.1",
             "--port", str(port), "--asr-uri", asr.uri, "--tts-uri", tts.uri],
            cwd=REPO_ROOT, env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            url = f"http://127.0.0.1:{port}"
            for _ in range(100):
                try:
                    urllib.request.urlopen(f"{url}/health", timeout=2).close()
                    break
                except OSError:
                    time.sleep(0.1)
            results = asyncio.run(measure(args.reps, asr, tts, url))
            formats = asyncio.run(measure_formats(args.reps, url))
            with urllib.request.urlopen(f"{url}/metrics", timeout=5) as reply:
                own = gateway_own_time(reply.read().decode())
        finally:
            api.terminate()
            api.wait(timeout=10)
    overhead = {
        key: round(results[f"{key}_http"]["median_ms"] - results[f"{key}_wyoming"]["median_ms"], 1)
        for key in (
            "speech_1s_first",
            "speech_1s_total",
            "speech_3s_first",
            "speech_3s_total",
            "transcribe",
        )
    }
    report = {
        "reps": args.reps,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "load_avg_1m": round(os.getloadavg()[0], 2)},
        "results": results,
        "median_overhead_ms": overhead,
        "speech_formats_3_sentences": formats,
        "gateway_own_ms_per_transcription": own,
    }  # fmt: skip
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "http_api.json").write_text(json.dumps(report, indent=2) + "\n")
    chart(results)
    for key, value in results.items():
        print(f"{key:32s} median {value['median_ms']:8.1f} ms  p95 {value['p95_ms']:8.1f} ms")
    print("median overhead of the gateway (ms):", overhead)
    print("3-sentence answer through the gateway, per response_format (median / p95 ms):")
    for response_format in FORMATS:
        cells = [
            f"{formats[f'{response_format}_{part}']['median_ms']:7.1f}"
            f" / {formats[f'{response_format}_{part}']['p95_ms']:7.1f}"
            for part in ("first_byte", "first_audio", "total")
        ]
        print(
            f"  {response_format:5s} first byte {cells[0]}  first audio {cells[1]}  last {cells[2]}"
        )
    print("gateway's own time per transcription (mean ms, from its metrics):", own)


if __name__ == "__main__":
    install_stop_handlers()
    main()
