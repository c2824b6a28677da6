"""Soak: simulated satellites speak commands without pause for minutes; does anything degrade?

One full stack (mosquitto, our ASR/TTS servers with tiny.en, the stand-in
Ollama, a headless real HA with the demo home) and N simulated satellites
(paho clients speaking the MQTT protocol, ``local_voice_harness.satellite_sim``;
confirmed in HA like real ones, spread over the areas). Each satellite loops:
a dev command streamed at speaking pace (ended by HA's ``end_of_speech`` or
after 300 ms of silence), wait for the answer audio, a pause drawn from
``--pause MIN MAX`` seconds, the next command. Latency is from the recording's last speech sound (found
offline) to the first answer audio at the satellite. Each satellite has a wake word
of its own, so that the arbiter does not take two people in two rooms for
one person heard twice. Recorded: every turn (success = answer audio received and
no error state, within 30 s), latency (from the last speech sound, and from
the satellite's session end) to the first answer audio, errors, and every 5 s the resident memory (RSS) of each
process. Memory must not grow without bound: a least-squares slope per
process over the second half of the run (after warm-up) is reported.

Usage: .venv/bin/python benchmarks/soak.py [--minutes 10] [--satellites 4]
       [--pause 0.3 1.0] [--out DIR]
A household of 20 rooms: --satellites 20 --minutes 30 --pause 4 12
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import random
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import matplotlib as mpl

mpl.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from custom_components.local_voice import protocol as p  # noqa: E402
from local_voice_harness import ha_setup  # noqa: E402
from local_voice_harness.commands import load_commands  # noqa: E402
from local_voice_harness.mqtt_satellite import WAKE_WORDS  # noqa: E402
from local_voice_harness.paths import dev_commands_dir  # noqa: E402
from local_voice_harness.processes import install_stop_handlers  # noqa: E402
from local_voice_harness.satellite_sim import SatelliteSim  # noqa: E402
from local_voice_harness.stack import Stack, StackOptions  # noqa: E402
from local_voice_harness.turn import read_pcm, trailing_silence_s  # noqa: E402

AREAS = ("kitchen", "living_room", "bedroom", "office", "garage", "hallway")
COMMANDS = ("cmd01.wav", "cmd02.wav", "cmd03.wav", "cmd10.wav", "cmd05.wav", "cmd09.wav")
TURN_LIMIT_S = 30.0
SAMPLE_EVERY_S = 5.0


def rss_mb(pid: int) -> float | None:
    """Resident memory of ``pid`` in MB (None when it is gone)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:  # noqa: PTH123
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile, or None for no values."""
    return float(np.percentile(values, q)) if values else None


MAX_SATELLITES = 32


def wake_word(index: int) -> tuple[str, str]:
    """The bundled wake words first, then made-up ones (the simulation sends only the id)."""
    if index < len(WAKE_WORDS):
        return WAKE_WORDS[index]
    return f"soak_word_{index:02d}", f"soak word {index}"


async def add_satellite(
    stack: Stack, area: str, wake: tuple[str, str], index: int = 0
) -> SatelliteSim:
    """Announce a simulated satellite, confirm it in HA with its area, wait for its entity.

    Each satellite has its own wake word: HA drops a wake-up with the same
    phrase from any satellite within 2 s ("duplicate_wake_up_detected"), which
    is right for one person heard by two satellites but not for this test.
    """
    assert stack.client is not None
    sat_id = f"soak_{area}" if index < len(AREAS) else f"soak_{area}_{index}"
    announce = p.Announce(
        satellite_id=sat_id,
        name=f"{area} satellite",
        area=area,
        wake_words=(p.WakeWord(wake[0], wake[1].title()),),
        active_wake_words=(wake[0],),
        software="soak-sim 1",
    )
    sim = SatelliteSim("127.0.0.1", stack.info.mqtt_port, sat_id, announce=announce)
    await asyncio.to_thread(sim.connect)
    entry = await ha_setup.confirm_discovered(stack.client, "local_voice", {"area_id": area})
    await ha_setup.entities_of_entry(stack.client, entry, "assist_satellite")
    return sim


def speak(sim: SatelliteSim, pcm: bytes, chunk_ms: int = 30) -> str:
    """One session at speaking pace, started by the satellite's own wake word."""
    sid = uuid.uuid4().hex[:12]
    sim.event(p.SessionStart(sid, wake_word_id=sim.announce.active_wake_words[0]))
    size = p.RATE * 2 * chunk_ms // 1000
    data = pcm + b"\0" * (p.RATE * 2 * 300 // 1000)
    count, began = 0, time.monotonic()
    for offset in range(0, len(data) - size + 1, size):
        if sim.told_end_of_speech(sid):  # HA heard a complete command
            sim.event(p.SessionEnd(sid, count, "end_of_speech"))
            return sid
        sim.chunk(sid, data[offset : offset + size])
        count += 1
        time.sleep(max(0.0, began + count * chunk_ms / 1000 - time.monotonic()))
    sim.event(p.SessionEnd(sid, count))
    return sid


def one_turn(sim: SatelliteSim, pcm: bytes) -> dict[str, Any]:
    """Speak one command at speaking pace; wait for the answer stream or an error state."""
    since = len(sim.states)
    began = time.monotonic()
    sid = speak(sim, pcm)
    ended = time.monotonic()
    # The user's view: from the last speech sound of the recording (found offline).
    last_speech = began + len(pcm) / (p.RATE * 2) - trailing_silence_s(pcm)

    def done() -> tuple[str, Any] | None:
        stream = sim.streams.get(sid)
        if stream is not None and stream.end is not None:
            return ("answer", stream)
        for state in sim.states[since:]:
            if state.session_id == sid and state.error_code:
                return ("error", state)
        return None

    turn: dict[str, Any] = {"t": began, "satellite": sim.sid, "ok": False, "error": ""}
    try:
        kind, what = sim.wait_for(done, TURN_LIMIT_S)
    except TimeoutError:
        turn["error"] = "timeout"
        return turn
    if kind == "error":
        turn["error"] = f"{what.error_code}: {what.error_message}"
        return turn
    if not what.pcm or what.first_audio_at is None:
        turn["error"] = "empty answer audio"
        return turn
    turn["ok"] = True
    turn["latency_ms"] = (what.first_audio_at - last_speech) * 1000
    turn["after_session_end_ms"] = (what.first_audio_at - ended) * 1000
    turn["end_of_speech"] = sim.told_end_of_speech(sid)
    sim.streams.pop(sid, None)
    return turn


async def satellite_loop(
    sim: SatelliteSim,
    pcms: list[bytes],
    until: float,
    turns: list[dict[str, Any]],
    *,
    pause: tuple[float, float],
    progress: dict[str, int],
) -> None:
    """Speak commands one after another until the deadline."""
    rng = random.Random(sim.sid)
    index = rng.randrange(len(pcms))
    await asyncio.sleep(rng.uniform(0.0, pause[1]))  # the rooms do not start in step
    while time.monotonic() < until:
        turn = await asyncio.to_thread(one_turn, sim, pcms[index % len(pcms)])
        turns.append(turn)
        progress["turns"] += 1
        progress["failed"] += not turn["ok"]
        index += 1
        await asyncio.sleep(rng.uniform(*pause))


async def report_progress(progress: dict[str, int], start: float, until: float) -> None:
    """A line a minute: turns so far, failed, minutes left."""
    while time.monotonic() < until:
        await asyncio.sleep(min(60.0, max(0.0, until - time.monotonic())))
        print(
            f"[soak] {(time.monotonic() - start) / 60:.0f} min: {progress['turns']} turns,"
            f" {progress['failed']} failed, {max(0.0, until - time.monotonic()) / 60:.0f} min left",
            flush=True,
        )


async def sample_memory(pids: dict[str, int], until: float, samples: list[dict[str, Any]]) -> None:
    """RSS of every process of the stack every few seconds."""
    while time.monotonic() < until:
        samples.append({"t": time.monotonic(), **{n: rss_mb(p) for n, p in pids.items()}})
        await asyncio.sleep(SAMPLE_EVERY_S)


def slope_mb_per_min(samples: list[dict[str, Any]], name: str, start: float) -> float | None:
    """Least-squares RSS slope over the second half of the run (after warm-up)."""
    points = [(s["t"] - start, s[name]) for s in samples if s.get(name) is not None]
    half = points[len(points) // 2 :]
    if len(half) < 3:
        return None
    xs, ys = zip(*half, strict=True)
    return float(np.polyfit(np.array(xs) / 60, np.array(ys), 1)[0])


def summarise(
    turns: list[dict[str, Any]], samples: list[dict[str, Any]], start: float, args: Any
) -> dict[str, Any]:
    """Success rate, latency percentiles overall and per minute, errors, memory and slopes."""
    ok = [t for t in turns if t["ok"]]
    lat = [t["latency_ms"] for t in ok]
    per_minute = []
    for minute in range(int(max((t["t"] - start for t in turns), default=0) // 60) + 1):
        window = [t["latency_ms"] for t in ok if int((t["t"] - start) // 60) == minute]
        total = [t for t in turns if int((t["t"] - start) // 60) == minute]
        per_minute.append(
            {
                "minute": minute,
                "turns": len(total),
                "succeeded": sum(t["ok"] for t in total),
                "p50_ms": percentile(window, 50),
                "p95_ms": percentile(window, 95),
            }
        )
    names = [k for k in samples[0] if k != "t"] if samples else []
    memory = {
        n: {
            "first_mb": next((s[n] for s in samples if s[n] is not None), None),
            "last_mb": next((s[n] for s in reversed(samples) if s[n] is not None), None),
            "max_mb": max((s[n] for s in samples if s[n] is not None), default=None),
            "slope_mb_per_min_second_half": slope_mb_per_min(samples, n, start),
        }
        for n in names
    }
    errors: dict[str, int] = {}
    for t in turns:
        if not t["ok"]:
            errors[t["error"]] = errors.get(t["error"], 0) + 1
    return {
        "config": {
            "minutes": args.minutes,
            "satellites": args.satellites,
            "pause_s": list(args.pause),
            "model": "tiny.en",
            "machine": f"{platform.machine()}, {platform.processor() or 'cpu'}, "
            f"{__import__('os').cpu_count()} cores (shared with other work)",
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        },
        "turns": len(turns),
        "succeeded": len(ok),
        "success_rate": len(ok) / len(turns) if turns else 0.0,
        "ended_by_end_of_speech": sum(bool(t.get("end_of_speech")) for t in ok),
        "latency_ms": {
            "p50": percentile(lat, 50),
            "p95": percentile(lat, 95),
            "max": max(lat, default=None),
        },
        "per_minute": per_minute,
        "errors": errors,
        "memory": memory,
        "raw_turns": [{**t, "t": round(t["t"] - start, 2)} for t in turns],
        "raw_memory": [{**s, "t": round(s["t"] - start, 1)} for s in samples],
    }


def chart(result: dict[str, Any], path: Path) -> None:
    """Latency per turn and RSS per process over time."""
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 7), sharex=True)
    turns = result["raw_turns"]
    good = [(t["t"], t["latency_ms"]) for t in turns if t["ok"]]
    bad = [t["t"] for t in turns if not t["ok"]]
    if good:
        top.scatter(*zip(*good, strict=True), s=8, label="last speech sound -> first answer audio")
    for x in bad:
        top.axvline(x, color="red", alpha=0.3)
    top.set_ylabel("latency (ms)")
    top.set_title(
        f"Soak: {result['config']['satellites']} satellites, {result['turns']} turns, "
        f"{result['success_rate'] * 100:.1f}% ok (red: failed turns)"
    )
    top.legend(loc="upper right")
    for name in result["memory"]:
        pts = [(s["t"], s[name]) for s in result["raw_memory"] if s.get(name) is not None]
        if pts:
            bottom.plot(*zip(*pts, strict=True), label=name)
    bottom.set_ylabel("RSS (MB)")
    bottom.set_xlabel("seconds since the satellites started")
    bottom.legend(loc="upper left", fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


async def soak(args: argparse.Namespace) -> dict[str, Any]:
    """Start the stack, run the satellites and the sampler, stop everything."""
    commands = {c.audio.name: c for c in load_commands(dev_commands_dir())}
    pcms = [read_pcm(commands[name].audio) for name in COMMANDS]
    stack = Stack(StackOptions(agent="local_voice", llm="scripted"))
    sims: list[SatelliteSim] = []
    turns: list[dict[str, Any]] = []
    samples: list[dict[str, Any]] = []
    try:
        await stack.start()
        for i in range(args.satellites):
            area = AREAS[i % len(AREAS)]
            sims.append(await add_satellite(stack, area, wake_word(i), i))
            print(f"[soak] satellite {i + 1}/{args.satellites} confirmed ({area})", flush=True)
        for sim in sims:  # warm-up, unmeasured: cold models, HA's MQTT subscriptions
            await asyncio.to_thread(one_turn, sim, pcms[0])
        pids = {n: p for n, p in stack.info.pids.items() if p}
        start = time.monotonic()
        until = start + args.minutes * 60
        print(f"soaking {args.minutes} min with {len(sims)} satellites; pids {pids}", flush=True)
        progress = {"turns": 0, "failed": 0}
        pause = (float(args.pause[0]), float(args.pause[1]))
        await asyncio.gather(
            sample_memory(pids, until, samples),
            report_progress(progress, start, until),
            *(
                satellite_loop(sim, pcms, until, turns, pause=pause, progress=progress)
                for sim in sims
            ),
        )
        samples.append({"t": time.monotonic(), **{n: rss_mb(p) for n, p in pids.items()}})
    finally:
        for sim in sims:
            sim.close()
        await stack.stop()
    return summarise(sorted(turns, key=lambda t: t["t"]), samples, start, args)


def main() -> None:
    """CLI."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument(
        "--satellites", type=int, choices=range(1, MAX_SATELLITES + 1), default=4, metavar="N"
    )
    parser.add_argument(
        "--pause",
        type=float,
        nargs=2,
        default=(0.3, 1.0),
        metavar=("MIN", "MAX"),
        help="seconds each satellite waits between its commands (uniform)",
    )
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results")
    args = parser.parse_args()
    result = asyncio.run(soak(args))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "soak.json").write_text(json.dumps(result, indent=2) + "\n")
    chart(result, args.out / "soak.png")
    lat = result["latency_ms"]
    print(
        f"turns {result['turns']}, succeeded {result['succeeded']} "
        f"({result['success_rate'] * 100:.1f}%), latency p50 {lat['p50']} ms p95 {lat['p95']} ms, "
        f"errors {result['errors']}"
    )
    for name, mem in result["memory"].items():
        print(
            f"  {name}: RSS {mem['first_mb']:.0f} -> {mem['last_mb']:.0f} MB "
            f"(max {mem['max_mb']:.0f}), slope {mem['slope_mb_per_min_second_half']} MB/min"
        )
    print(f"wrote {args.out / 'soak.json'} and soak.png")


if __name__ == "__main__":
    install_stop_handlers()
    main()
