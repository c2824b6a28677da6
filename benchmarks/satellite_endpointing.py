"""Satellite endpointing: how soon after the last word a session ends, and whether anyone is cut off.

For each recording (dev real speech, dev commands, and the generated
84-command set when ``--command-set DIR`` is given), the "last speech sound"
is found offline from the energy (last 10 ms frame within 30 dB of the peak
and 15 dB above the noise floor). The endpointer hears the recording followed
by low noise, 10 ms at a time, exactly as the satellite does, for several
``silence_ms`` values and both VADs. Reported: end lag (session end minus last
speech sound) median/p95/max, cut-offs (session ended before the last speech
sound), the longest pause inside an utterance, and CPU per 10 ms frame.

Usage: python benchmarks/satellite_endpointing.py [--command-set DIR]
Writes benchmarks/results/satellite_endpointing.json and .png.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "satellites" / "pi"))
sys.path.insert(0, str(REPO))

from local_voice_satellite.audio_in import read_wav  # noqa: E402
from local_voice_satellite.endpoint import (  # noqa: E402
    Decision,
    Endpointer,
    EndpointParams,
    make_vad,
)
from local_voice_satellite.wakeword import WakeWordDetector  # noqa: E402

from local_voice_harness import paths  # noqa: E402
from local_voice_harness.commands import load_commands, load_transcripts  # noqa: E402

FRAME = 320
SILENCES = (200, 250, 300, 400, 500)


def last_speech_ms(pcm: bytes) -> int:
    x = np.frombuffer(pcm, "<i2").astype(np.float64)
    n = len(x) // 160
    db = 20 * np.log10(np.sqrt((x[: n * 160].reshape(n, 160) ** 2).mean(axis=1)) + 1)
    threshold = max(db.max() - 30, np.percentile(db, 10) + 15)
    return int(np.nonzero(db > threshold)[0][-1] + 1) * 10


def noise(seconds: float, seed: int) -> bytes:
    return np.random.default_rng(seed).normal(0, 30, int(16000 * seconds)).astype("<i2").tobytes()


def run(ep: Endpointer, pcm: bytes) -> tuple[int | None, str | None, int]:
    ep.reset()
    longest_pause = 0
    prev = 0
    for offset in range(0, len(pcm) - FRAME + 1, FRAME):
        decision = ep.process(pcm[offset : offset + FRAME])
        if ep.silence_run_ms < prev:
            longest_pause = max(longest_pause, prev)
        prev = ep.silence_run_ms
        if decision not in {None, Decision.SPEECH_STARTED}:
            assert decision is not None
            return ep.elapsed_ms, decision.value, longest_pause
    return None, None, longest_pause


def frame_cost_us(pcm: bytes) -> dict[str, float]:
    frames = [pcm[o : o + FRAME] for o in range(0, len(pcm) - FRAME + 1, FRAME)]
    costs = {}
    for name in ("silero", "micro"):
        vad = make_vad(name)
        start = time.perf_counter()
        for f in frames:
            vad(f)
        costs[f"vad_{name}"] = (time.perf_counter() - start) / len(frames) * 1e6
    ww = WakeWordDetector(["okay_nabu"])
    start = time.perf_counter()
    for f in frames:
        ww.process(f)
    costs["wake_word_okay_nabu"] = (time.perf_counter() - start) / len(frames) * 1e6
    return costs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--command-set", type=Path, help="a generated commands.jsonl folder")
    args = parser.parse_args()
    sets = {
        "dev_real": [t.audio for t in load_transcripts(paths.dev_real_speech_dir())],
        "dev_commands": [c.audio for c in load_commands(paths.dev_commands_dir())],
    }
    if args.command_set:
        sets["command_set"] = [c.audio for c in load_commands(args.command_set)]
    audio = {name: [(p.name, read_wav(p)) for p in files] for name, files in sets.items()}
    results: dict[str, object] = {
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
        "params": {"threshold": 0.5, "min_speech_ms": 60, "noise_rms": 30, "frame_ms": 10},
        "sets": {name: len(files) for name, files in sets.items()},
        "runs": [],
    }
    runs: list[dict[str, object]] = []
    for vad_name in ("silero", "micro"):
        vad = make_vad(vad_name)
        for silence_ms in SILENCES:
            ep = Endpointer(vad, EndpointParams(silence_ms=silence_ms))
            for set_name, items in audio.items():
                lags, cut, pauses, not_ended = [], [], [], 0
                for index, (name, pcm) in enumerate(items):
                    end, reason, pause = run(ep, pcm + noise(3.0, index))
                    pauses.append(pause)
                    if end is None or reason != "vad":
                        not_ended += 1
                        continue
                    lag = end - last_speech_ms(pcm)
                    lags.append(lag)
                    if lag < 0:
                        cut.append(name)
                row = {
                    "vad": vad_name,
                    "silence_ms": silence_ms,
                    "set": set_name,
                    "files": len(items),
                    "lag_ms_median": float(np.median(lags)) if lags else None,
                    "lag_ms_p95": float(np.percentile(lags, 95)) if lags else None,
                    "lag_ms_max": float(max(lags)) if lags else None,
                    "cut_off": len(cut),
                    "cut_off_files": cut,
                    "not_ended_by_vad": not_ended,
                    "longest_inner_pause_ms": max(pauses) if pauses else 0,
                }
                runs.append(row)
                print(
                    f"{vad_name:6} silence {silence_ms:3} ms {set_name:13} n={len(items):3} "
                    f"lag median {row['lag_ms_median']} p95 {row['lag_ms_p95']} max {row['lag_ms_max']} "
                    f"cut-off {len(cut)} not-ended {not_ended}"
                )
    results["runs"] = runs
    sample = audio["dev_commands"][0][1] * 3
    results["cpu_us_per_10ms_frame"] = frame_cost_us(sample)
    print("CPU per 10 ms frame (us):", results["cpu_us_per_10ms_frame"])
    out = REPO / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "satellite_endpointing.json").write_text(json.dumps(results, indent=2) + "\n")
    _chart(runs, out / "satellite_endpointing.png")
    print(f"wrote {out / 'satellite_endpointing.json'}")


def _chart(runs: list[dict[str, object]], path: Path) -> None:
    import matplotlib as mpl  # noqa: PLC0415 - only needed for the chart

    mpl.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415 - after mpl.use("Agg")

    fig, ax = plt.subplots(figsize=(7, 4))
    for vad_name, style in (("silero", "-o"), ("micro", "--s")):
        for set_name in sorted({str(r["set"]) for r in runs}):
            rows = [r for r in runs if r["vad"] == vad_name and r["set"] == set_name]
            ax.plot(
                [r["silence_ms"] for r in rows],
                [r["lag_ms_median"] for r in rows],
                style,
                label=f"{vad_name} / {set_name}",
            )
    ax.set_xlabel("silence_ms (satellite setting)")
    ax.set_ylabel("median ms from last speech sound to session end")
    ax.set_title("Satellite endpointing lag")
    ax.grid(visible=True, alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


if __name__ == "__main__":
    main()
