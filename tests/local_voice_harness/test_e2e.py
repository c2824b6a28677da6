"""End to end: ``local-voice-eval`` through the whole real stack, the bundled model included.

Real mosquitto, our real ASR/TTS servers with the bundled models, the bundled
LLM served by ``local-voice-llm``, a real headless HA process configured
through its APIs, the local_voice agent (HA's local intents first, then the
model), and the real Pi satellite program hearing "okay nabu" + the command
over MQTT. Three dev commands are for HA's intents; one everyday request,
spoken by the piper voice here, only the model can handle. Then every
process the run started must be gone. ``tests/test_no_egress.py`` checks the
same run (``tests/full_loop.py``), which is offline where the kernel allows.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from full_loop import FullLoop

pytestmark = [pytest.mark.slow, pytest.mark.llm]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.timeout(480)  # the model's cold prompt is read once at start
def test_eval_runs_dev_commands_through_the_full_stack(full_loop: FullLoop) -> None:
    done, doc = full_loop.done, full_loop.doc
    assert done.returncode == 0, full_loop.output()
    assert "commands: 4/4 succeeded" in done.stdout, full_loop.output()
    assert done.stdout.count("[ok  ]") == 4
    assert doc is not None
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
    # The model answered the everyday request, from the cached prompt; HA's intents the rest.
    model = by_audio["model00.wav"]["model"]
    assert model is not None
    assert model["rounds"] >= 1
    assert model["prompt_tokens"] > model["cached_tokens"] > 0.5 * model["prompt_tokens"]
    assert [c["model"] for c in doc["commands"] if c["audio"] != "model00.wav"] == [None] * 3
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
