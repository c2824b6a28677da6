"""End to end: ``local-voice-eval`` through the whole real stack, the bundled model included.

Real mosquitto, our real ASR/TTS servers with the bundled models, the bundled
LLM served by ``local-voice-llm``, a real headless HA process configured
through its APIs, the local_voice agent (HA's local intents first, then the
model), and the real Pi satellite program hearing "okay nabu" + the command
over MQTT. Three dev commands are for HA's intents; one everyday request,
spoken by the piper voice here, only the model can handle. Then every
process the run started must be gone.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from local_voice_harness import paths
from local_voice_harness.command_set import speak_texts
from local_voice_harness.commands import load_texts

if TYPE_CHECKING:
    from pathlib import Path

    from local_voice_harness.commands import SpokenCommand

pytestmark = [pytest.mark.slow, pytest.mark.llm]

PICKED = ("cmd01.wav", "cmd02.wav", "cmd03.wav")  # light on, light off, switch on
# light.living_room_lamp off; HA's sentences miss it (the dev commands leave the lamp on)
MODEL_REQUEST = "I'm heading to bed, kill the lamp in the living room"


def _command_set(tmp_path: Path, dev_commands: list[SpokenCommand]) -> Path:
    folder = tmp_path / "commands"
    folder.mkdir()
    lines = []
    for command in dev_commands:
        if command.audio.name in PICKED:
            (folder / command.audio.name).symlink_to(command.audio)
            lines.append(
                json.dumps(
                    {"audio": command.audio.name, "text": command.text, "expect": command.expect}
                )
            )
    texts = [t for t in load_texts(paths.llm_commands_file("tuning")) if t.text == MODEL_REQUEST]
    for spoken in speak_texts(texts, tmp_path / "spoken"):
        (folder / "model00.wav").symlink_to(spoken.audio)
        entry = {"audio": "model00.wav", "text": spoken.text, "expect": spoken.expect}
        lines.append(json.dumps(entry))
    (folder / "commands.jsonl").write_text("\n".join(lines) + "\n")
    return folder


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.timeout(480)  # the model's cold prompt is read once at start
def test_eval_runs_dev_commands_through_the_full_stack(
    tmp_path: Path, dev_commands: list[SpokenCommand]
) -> None:
    folder = _command_set(tmp_path, dev_commands)
    out = tmp_path / "eval.json"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "local_voice_harness.eval",
            "--commands",
            str(folder),
            "--json",
            str(out),
            "--fast",
        ],
        capture_output=True,
        text=True,
        timeout=420,
        cwd=paths.REPO_ROOT,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr[-4000:]
    assert "commands: 4/4 succeeded" in done.stdout, done.stdout + done.stderr[-4000:]
    assert done.stdout.count("[ok  ]") == 4

    doc = json.loads(out.read_text())
    assert doc["summary"] == {**doc["summary"], "succeeded": 4, "total": 4}
    assert doc["harness_error"] == ""
    assert doc["stack"]["engines"]["stt"].startswith("stt.local_voice")
    assert "Qwen2.5-Coder-1.5B-Instruct" in doc["stack"]["llm"]
    assert "SCRIPTED" not in doc["stack"]["agent"]
    assert doc["stack"]["llm_warm_s"] is not None  # the agent warmed the prompt before turns
    by_audio = {c["audio"]: c for c in doc["commands"]}
    assert by_audio["cmd01.wav"]["changes"] == ["light.kitchen: off -> on"]
    assert by_audio["cmd02.wav"]["states_after"]["light.bedroom"]["state"] == "off"
    assert by_audio["model00.wav"]["changes"] == ["light.living_room_lamp: on -> off"]
    for command in doc["commands"]:
        assert command["transcript"].strip()
        assert command["answer"].strip()
        timings = command["timings_ms"]
        stt = timings["speech_end_to_transcript_ms"]
        intent = timings["speech_end_to_intent_ms"]
        audio = timings["speech_end_to_first_audio_ms"]
        assert 0 < stt <= intent <= audio < 30_000, timings

    # Nothing the run started is still running.
    pids = doc["stack"]["pids"]
    assert set(pids) >= {"mosquitto", "asr", "tts", "llm", "home_assistant", "satellite_0"}
    assert [name for name, pid in pids.items() if _alive(pid)] == []
