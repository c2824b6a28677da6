"""Satellite protocol cost: validation per message, the MQTT hop, bytes on the wire.

What the protocol itself adds to a voice command, measured on a real mosquitto
with two paho clients (no HA; HA's share is in benchmarks/e2e.py):

- CPU per message on the HA side: ``parse_event`` for a session start,
  ``validate_audio_chunk`` and ``SessionTracker.handle_audio`` per 20 ms chunk;
- the broker hop for 20 ms raw PCM chunks sent at real-time pace (a send
  timestamp rides in the first 8 bytes of each chunk, benchmark only);
- bytes per second of audio against a WAV-per-chunk design (Hermes), computed
  from the two layouts.

    python benchmarks/satellite_protocol.py [--chunks 500]

Writes benchmarks/results/satellite_protocol.json and satellite_protocol.png.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import struct
import sys
import threading
import time
import timeit
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import matplotlib as mpl  # noqa: E402

mpl.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import paho.mqtt.client as mqtt  # noqa: E402
from paho.mqtt.enums import CallbackAPIVersion  # noqa: E402

from custom_components.local_voice import protocol as p  # noqa: E402
from custom_components.local_voice.satellite.session import Session, SessionTracker  # noqa: E402
from local_voice_harness.mosquitto import Mosquitto  # noqa: E402

RESULTS = REPO / "benchmarks" / "results"
CHUNK_MS = 20
CHUNK = b"\1\0" * (p.RATE * CHUNK_MS // 1000)  # 640 bytes


class _Quiet:
    def session_started(self, session: Session) -> None: ...
    def session_aborted(self, session: Session) -> None: ...
    def session_failed(self, session_id: str | None, code: str, message: str) -> None: ...


def _us(stmt: Any, number: int) -> float:
    return min(timeit.repeat(stmt, number=number, repeat=5)) / number * 1e6


async def _tracker_us(number: int) -> float:
    tracker = SessionTracker("bench", _Quiet())
    tracker.handle_event_payload(p.encode(p.SessionStart("s1")))
    started = time.perf_counter()
    for _ in range(number):
        tracker.handle_audio("s1", CHUNK)
    elapsed = time.perf_counter() - started
    tracker.shutdown()
    return elapsed / number * 1e6


def cpu_costs() -> dict[str, float]:
    start = p.encode(p.SessionStart("s1", wake_word_id="okay_nabu"))
    return {
        "parse_session_start_us": _us(lambda: p.parse_event(start), 2000),
        "validate_chunk_us": _us(lambda: p.validate_audio_chunk(CHUNK), 20000),
        # bounded by the 30 s session cap: 1500 chunks of 20 ms
        "tracker_handle_audio_us": asyncio.run(_tracker_us(1500)),
    }


def mqtt_hop(chunks: int) -> list[float]:
    """Milliseconds from publish to receipt for ``chunks`` chunks at real-time pace."""
    latencies: list[float] = []
    done = threading.Event()
    topic = p.audio_in_topic("bench", "s1")

    def on_message(_c: mqtt.Client, _u: Any, msg: mqtt.MQTTMessage) -> None:
        sent = struct.unpack_from("<q", msg.payload)[0]
        latencies.append((time.perf_counter_ns() - sent) / 1e6)
        if len(latencies) >= chunks:
            done.set()

    with Mosquitto() as broker:
        sub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-ha")
        pub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-sat")
        sub.on_message = on_message
        for client in (sub, pub):
            client.connect(broker.host, broker.port)
            client.loop_start()
        sub.subscribe(topic, qos=0)
        time.sleep(0.5)  # let the SUBACK arrive
        began = time.perf_counter()
        for i in range(chunks):
            payload = struct.pack("<q", time.perf_counter_ns()) + CHUNK[8:]
            pub.publish(topic, payload, qos=0)
            delay = began + (i + 1) * CHUNK_MS / 1000 - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
        done.wait(10)
        for client in (sub, pub):
            client.disconnect()
            client.loop_stop()
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=500)
    args = parser.parse_args()

    costs = cpu_costs()
    hop = sorted(mqtt_hop(args.chunks))
    per_second = 1000 // CHUNK_MS
    ours = len(CHUNK) * per_second
    wav_per_chunk = (len(CHUNK) + 44) * per_second  # RIFF/WAVE header on every chunk
    result = {
        "machine": {
            "python": platform.python_version(),
            "arch": platform.machine(),
            "cpus": os.cpu_count(),
            "load_average_1min": round(os.getloadavg()[0], 1),  # the CPU was shared
        },
        "chunk_ms": CHUNK_MS,
        "cpu_us": {k: round(v, 2) for k, v in costs.items()},
        "mqtt_hop_ms": {
            "chunks_sent": args.chunks,
            "chunks_received": len(hop),
            "median": round(statistics.median(hop), 3),
            "p95": round(hop[int(len(hop) * 0.95) - 1], 3),
            "max": round(hop[-1], 3),
        },
        "bytes_per_audio_second": {
            "local_voice_raw_pcm": ours,
            "wav_per_chunk": wav_per_chunk,
            "wav_overhead_percent": round((wav_per_chunk - ours) / ours * 100, 1),
            "note": "computed from the layouts (payload bytes only, MQTT headers alike)",
        },
    }
    print(json.dumps(result, indent=2))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "satellite_protocol.json").write_text(json.dumps(result, indent=2) + "\n")

    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.hist(hop, bins=40)
    ax.set_xlabel("publish -> receipt (ms), 20 ms PCM chunks via mosquitto")
    ax.set_ylabel("chunks")
    ax.set_title(
        f"MQTT hop: median {result['mqtt_hop_ms']['median']} ms, "
        f"p95 {result['mqtt_hop_ms']['p95']} ms"
    )
    fig.tight_layout()
    fig.savefig(RESULTS / "satellite_protocol.png", dpi=100)


if __name__ == "__main__":
    main()
