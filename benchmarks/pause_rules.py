"""Word errors of the final transcript when pauses are found by loudness, or also by voice.

An endpointing session's transcript decodes the audio up to the pause after
the last speech (``wyoming_servers/asr/utterance.py``). Where that pause is
depends on the rule: loudness alone, or loudness and the Silero voice
detector (``voice.py``, the server's default for endpointing sessions). In
steady noise loudness finds no pause and the whole stream is decoded; the
voice detector cuts it a little after the last word. This decodes every
command of each set both ways, in-process with the server's transcriber and
settings (tiny.en, beam 5, the home's names), the audio fed in 20 ms chunks
followed by 0.3 s of digital silence as a satellite ends a session, and
prints the word errors per set and per noise level.

    python benchmarks/pause_rules.py --set /tmp/lv-accuracy-set [--set DIR ...]

Writes ``results/pause_rules.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from pathlib import Path
from typing import Any

from common import RESULTS, header

from local_voice_harness import paths
from local_voice_harness.servers import WavAudio
from local_voice_harness.stack import home_vocabulary
from wyoming_servers.asr.scoring import word_error_rate
from wyoming_servers.asr.transcriber import Transcriber, TranscriberConfig
from wyoming_servers.asr.utterance import AHEAD_SECONDS, Utterance
from wyoming_servers.asr.voice import VoiceTracker
from wyoming_servers.asr.warmup import warm_up
from wyoming_servers.core.audio import AudioFormat

FORMAT = AudioFormat(rate=16000, width=2, channels=1)
CHUNK = 640  # 20 ms
SESSION_END = bytes(int(0.3 * 16000) * 2)
RULES = ("loudness", "voice", "ahead")


async def _decode_set(
    transcriber: Transcriber, folder: Path, names: tuple[str, ...], ahead_seconds: float
) -> dict:
    rows: list[dict[str, Any]] = []
    lines = (folder / "commands.jsonl").read_text(encoding="utf-8").splitlines()
    for index, line in enumerate(lines, 1):
        command = json.loads(line)
        pcm = WavAudio.load(folder / command["audio"]).pcm + SESSION_END
        row: dict[str, Any] = {
            "audio": command["audio"],
            "reference": command["text"],
            "snr_db": command.get("snr_db"),
        }
        for rule in RULES:
            voice = VoiceTracker() if rule != "loudness" else None
            utterance = Utterance(
                fmt=FORMAT, max_seconds=30.0, voice=voice, ahead_seconds=ahead_seconds
            )
            for offset in range(0, len(pcm) - CHUNK + 1, CHUNK):
                utterance.add(pcm[offset : offset + CHUNK], FORMAT)
            frames = utterance.decode_frames()
            ahead = rule == "ahead" and utterance.stands_for(utterance.ahead_at) == frames
            audio = utterance.ahead_audio() if ahead else utterance.audio_16k(frames)
            result = await transcriber.transcribe(audio, language="en", vocabulary=names)
            row[rule] = {
                "text": result.text,
                "decoded_s": round(frames / FORMAT.rate, 2),
                **({"ahead_s": round(utterance.ahead_at / FORMAT.rate, 2)} if ahead else {}),
            }
        rows.append(row)
        if index % 20 == 0:
            print(f"  {folder.name}: {index}/{len(lines)}", flush=True)
    summary: dict[str, Any] = {}
    for rule in RULES:
        levels = sorted({r["snr_db"] for r in rows}, key=lambda v: (v is not None, v or 0))
        summary[rule] = {
            "errors": word_error_rate([(r["reference"], r[rule]["text"]) for r in rows])[1],
            "by_snr_db": {
                str(level): word_error_rate(
                    [(r["reference"], r[rule]["text"]) for r in rows if r["snr_db"] == level]
                )[1]
                for level in levels
            },
        }
    words = word_error_rate([(r["reference"], r["reference"]) for r in rows])[2]
    return {"words": words, "summary": summary, "commands": rows}


def main() -> None:
    """Decode every set both ways; print and write the word errors."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--set",
        type=Path,
        action="append",
        help="a commands.jsonl folder (repeat; default: the 12 dev commands)",
    )
    parser.add_argument(
        "--ahead-seconds",
        type=float,
        default=AHEAD_SECONDS,
        help="how far into the quiet the decode ahead of a pause starts (rule 'ahead')",
    )
    parser.add_argument("--out", type=Path, default=RESULTS / "pause_rules.json")
    args = parser.parse_args()
    folders = args.set or [paths.dev_commands_dir()]
    names = tuple(home_vocabulary(paths.demo_home_file()))
    print("loading tiny.en (beam 5, the home's names as prompt)", flush=True)
    transcriber = Transcriber(TranscriberConfig(vocabulary=names))
    warm_up(transcriber)
    doc: dict[str, Any] = {**header("pause_rules"), "sets": {}}
    try:
        for folder in folders:
            print(f"{folder}: decoding each command twice", flush=True)
            result = asyncio.run(_decode_set(transcriber, folder, names, args.ahead_seconds))
            doc["sets"][str(folder)] = result
            summary = result["summary"]
            print(
                f"{folder.name}: {result['words']} words; word errors, "
                + ", ".join(
                    f"{rule} {summary[rule]['errors']} {summary[rule]['by_snr_db']}"
                    for rule in RULES
                ),
                flush=True,
            )
    finally:
        transcriber.close()
    doc["load_average_end"] = [round(v, 2) for v in os.getloadavg()]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
