"""The evaluation's second turn after "Did you mean", with the house and satellite stood in.

``run_batch`` is orchestration: what it sends and how it scores. The real
stack runs it in ``benchmarks/accuracy.py``; here a stand-in HA client holds
the states and a stand-in satellite answers, so each rule is checked alone.
"""

from __future__ import annotations

import asyncio
import wave
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from local_voice_harness.commands import SpokenCommand
from local_voice_harness.evaluation import run_batch
from local_voice_harness.paths import demo_home_file
from local_voice_harness.stack import StackInfo
from local_voice_harness.turn import TurnResult

if TYPE_CHECKING:
    from pathlib import Path

YES = b"\x01\x00" * 160


@dataclass
class House:
    """States as HA's REST API returns them; ``apply`` is what a turn did."""

    states: dict[str, dict[str, Any]] = field(default_factory=dict)

    async def call_service(self, domain: str, service: str, *_: Any, **__: Any) -> None:
        assert (domain, service) == ("demo_home", "reset")
        self.states = {
            "light.desk_lamp": {"state": "off"},
            "cover.garage_door": {"state": "closed"},
        }

    async def states_(self) -> dict[str, dict[str, Any]]:
        return {k: dict(v) for k, v in self.states.items()}


@dataclass
class Stack:
    client: Any
    options: Any
    info: StackInfo = field(default_factory=StackInfo)  # no agent entry: no model figures


def _wav(path: Path) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(b"\x00\x00" * 1600)
    return path


def _run(tmp_path: Path, answers: dict[bytes, str], command: SpokenCommand, reply: bytes | None):
    house = House()
    client = type("Client", (), {"call_service": house.call_service, "states": house.states_})()
    stack = Stack(client, type("Options", (), {"home_file": demo_home_file()})())
    sent: list[bytes] = []

    async def speak(_index: int, pcm: bytes) -> TurnResult:
        sent.append(pcm)
        answer = answers[YES if pcm == YES else b"command"]
        if pcm == YES and answer.startswith("Turned on"):
            house.states["light.desk_lamp"] = {"state": "on"}
        if pcm == YES and answer.startswith("Opened"):
            house.states["cover.garage_door"] = {"state": "open"}
        return TurnResult(transcript="heard", answer=answer)

    results = asyncio.run(run_batch(stack, [command], speak, "mqtt", reply))  # type: ignore[arg-type]
    return results[0][0], sent


def test_a_meant_suggestion_gets_a_spoken_yes(tmp_path: Path) -> None:
    command = SpokenCommand(
        _wav(tmp_path / "c.wav"), "turn on the desk lamp", {"state": {"light.desk_lamp": "on"}}
    )
    answers = {b"command": "Did you mean: turn on the desk lamp?", YES: "Turned on the light"}
    outcome, sent = _run(tmp_path, answers, command, YES)
    assert sent[-1] == YES
    assert outcome.success
    assert outcome.answer == "Did you mean: turn on the desk lamp? | yes | Turned on the light"
    without, sent = _run(tmp_path, answers, command, None)  # no reply: one turn, not done
    assert YES not in sent
    assert not without.success


def test_a_wrong_suggestion_is_not_answered(tmp_path: Path) -> None:
    command = SpokenCommand(
        _wav(tmp_path / "c.wav"),
        "turn on the fan in the office",
        {"state": {"fan.office_fan": "on"}},
    )
    answers = {b"command": "Did you mean: turn on the lights in the office?", YES: "Turned on"}
    outcome, sent = _run(tmp_path, answers, command, YES)
    assert YES not in sent
    assert not outcome.success


def test_asking_first_is_what_a_risky_command_expects(tmp_path: Path) -> None:
    command = SpokenCommand(
        _wav(tmp_path / "c.wav"),
        "open the garage door",
        {"unchanged": ["cover.garage_door"], "response_contains": ["sure", "confirm"]},
    )
    answers = {b"command": "Did you mean: open the garage door?", YES: "Opened the garage"}
    outcome, sent = _run(tmp_path, answers, command, YES)
    assert YES not in sent  # never confirmed by the simulated user
    assert outcome.success


def _run_timer(tmp_path: Path, rang: str | None, lost: bool = False) -> Any:
    house = House()
    client = type("Client", (), {"call_service": house.call_service, "states": house.states_})()
    stack = Stack(client, type("Options", (), {"home_file": demo_home_file()})())
    command = SpokenCommand(
        _wav(tmp_path / "t.wav"),
        "set a timer for five seconds",
        {"timer": {"finishes_within_s": 15}, "response_contains": ["timer"]},
    )
    waited: list[tuple[int, float]] = []

    async def speak(_index: int, _pcm: bytes) -> TurnResult:
        return TurnResult(transcript="heard", answer="Timer set for 5 seconds", lost=lost)

    async def timer(index: int, within_s: float) -> str | None:
        waited.append((index, within_s))
        return rang

    results = asyncio.run(run_batch(stack, [command], speak, "mqtt", None, timer))  # type: ignore[arg-type]
    return results[0][0], waited


def test_a_timer_expectation_waits_for_the_ring(tmp_path: Path) -> None:
    outcome, waited = _run_timer(tmp_path, None)
    assert waited == [(0, 15.0)]
    assert outcome.success, outcome.failures
    missed, _ = _run_timer(tmp_path, "timer 01j did not ring within 15 s")
    assert not missed.success
    assert missed.failures == ["timer 01j did not ring within 15 s"]
    lost, waited = _run_timer(tmp_path, None, lost=True)  # nothing to wait for: lost already
    assert waited == []
    assert not lost.success


def test_a_lost_yes_is_reported_with_its_command(tmp_path: Path) -> None:
    """The spoken "yes" got nothing: the command is lost, not just unchanged."""
    house = House()
    client = type("Client", (), {"call_service": house.call_service, "states": house.states_})()
    stack = Stack(client, type("Options", (), {"home_file": demo_home_file()})())
    command = SpokenCommand(
        _wav(tmp_path / "c.wav"), "turn on the desk lamp", {"state": {"light.desk_lamp": "on"}}
    )

    async def speak(_index: int, pcm: bytes) -> TurnResult:
        if pcm == YES:
            return TurnResult(lost=True, error="lost: session s2 never finished")
        return TurnResult(transcript="heard", answer="Did you mean: turn on the desk lamp?")

    results = asyncio.run(run_batch(stack, [command], speak, "mqtt", YES))  # type: ignore[arg-type]
    outcome = results[0][0]
    assert outcome.lost
    assert outcome.failures[0] == "the reply: lost: session s2 never finished"
