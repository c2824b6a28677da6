"""Common answers are real HA answers and are in the cache before anyone asks."""

from __future__ import annotations

import re
import time
import urllib.request
from typing import TYPE_CHECKING

import pytest

from local_voice_harness.ports import free_port
from local_voice_harness.servers import WyomingProcess
from local_voice_harness.tts_wire import synthesize
from wyoming_servers.tts.common_answers import DEFAULT_FILE, MAX_ANSWER_CHARS, load_answers

if TYPE_CHECKING:
    from pathlib import Path


def _answers_ha_can_give() -> set[str]:
    """Every fixed answer of HA 2026.2's English intents, and the turn on/off ones per domain."""
    import home_assistant_intents

    responses = home_assistant_intents.get_intents("en")["responses"]["intents"]
    answers = {
        text.strip()
        for per_intent in responses.values()
        for text in per_intent.values()
        if "{" not in text and "%" not in text
    }
    for intent, verb in (("HassTurnOn", "on"), ("HassTurnOff", "off")):
        for noun in re.findall(r'"[a-z_]+": "([^"]+)"', responses[intent]["default"]):
            answers.add(f"Turned {verb} {noun}")
    setpoint = responses["HassClimateSetTemperature"]["default"]
    assert "Temperature set to {{ slots.temperature }}" in setpoint
    answers |= {f"Temperature set to {t} degrees" for t in range(5, 36)}
    return answers


def test_every_bundled_answer_is_one_home_assistant_gives() -> None:
    bundled = load_answers(DEFAULT_FILE)
    assert len(bundled) >= 40
    assert "Turned on the light" in bundled
    assert set(bundled) <= _answers_ha_can_give(), set(bundled) - _answers_ha_can_give()


def test_answer_files_are_validated(tmp_path: Path) -> None:
    good = tmp_path / "good.txt"
    good.write_text("# comment\n\nTurned on the light  # trailing comment\nLocked\n")
    assert load_answers(good) == ["Turned on the light", "Locked"]
    long = tmp_path / "long.txt"
    long.write_text("x" * (MAX_ANSWER_CHARS + 1) + "\n")
    with pytest.raises(ValueError, match=r"long\.txt:1: an answer longer"):
        load_answers(long)
    many = tmp_path / "many.txt"
    many.write_text("Done\n" * 501)
    with pytest.raises(ValueError, match="more than 500 answers"):
        load_answers(many)


@pytest.mark.slow
@pytest.mark.usefixtures("socket_enabled")
def test_warmed_answers_come_from_the_cache_on_first_request(tmp_path: Path) -> None:
    answers = tmp_path / "answers.txt"
    answers.write_text("Turned on the light\nLocked\n")
    log = tmp_path / "tts.log"
    metrics_port = free_port()
    server = WyomingProcess.tts(
        "--warm-answers", str(answers), "--metrics-port", str(metrics_port), log_path=log
    )
    with server:
        deadline = time.monotonic() + 60
        while "cached 2 common answers (2 new)" not in log.read_text(errors="replace"):
            assert time.monotonic() < deadline, log.read_text(errors="replace")
            time.sleep(0.1)
        synthesize(server.host, server.port, "Turned on the light")
        synthesize(server.host, server.port, "Turned on the porch light")  # not warmed
        url = f"http://127.0.0.1:{metrics_port}/metrics"
        with urllib.request.urlopen(url, timeout=10) as response:
            body = response.read().decode()
    counts = dict(
        re.findall(r'local_voice_latency_seconds_count\{server="tts",stage="(\w+)"\} (\S+)', body)
    )
    assert counts == {"first_audio_cached": "1.0", "first_audio": "1.0", "total": "2.0"}, counts
