"""Run spoken commands through the running stack and score them.

Commands go in batches, one per simulated satellite speaking at once
(``--satellites N``): ``demo_home.reset`` (initial states), a snapshot of
all states, the utterances, a second snapshot, and each command's ``expect``
check. The outcome carries everything the demo prints and the evaluation
writes as JSON.

With ``reply`` (a spoken "yes"), a command answered "Did you mean: X?" gets
a second turn on the same satellite, as a user who knows what they meant
would give it: "yes" when X says nothing they did not say (``means``),
otherwise no reply (a "no" changes nothing). For a command that must ask
before acting (an expected confirmation), a "Did you mean" naming it *is*
asking first, and it is not confirmed.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Final

from . import assist_ws
from .expectations import changes, check
from .sentence_words import means, suggestion_of, with_yes
from .stack import Stack, home_entity_ids
from .turn import TurnResult, read_pcm

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from .commands import SpokenCommand

_SETTLE_S: Final = 0.2

type SpeakFn = Callable[[int, bytes], Awaitable[TurnResult]]


@dataclass(slots=True)
class CommandOutcome:
    """One command's result, as printed and written to JSON."""

    audio: str
    text: str
    transcript: str
    answer: str
    success: bool
    failures: list[str]
    changes: list[str]
    timings_ms: dict[str, float | None]
    states_after: dict[str, Any] = field(default_factory=dict)
    satellite: str = ""
    error: str = ""

    def to_json(self) -> dict[str, Any]:
        """Plain dict for ``json.dump``."""
        return asdict(self)


def websocket_speaker(stack: Stack, *, realtime: bool = True) -> SpeakFn:
    """Speak through HA's websocket Assist path (satellite index unused)."""

    async def speak(_index: int, pcm: bytes) -> TurnResult:
        assert stack.client is not None
        return await assist_ws.run_turn(
            stack.client, pcm, pipeline_id=stack.info.pipeline_id, realtime=realtime
        )

    return speak


async def run_batch(
    stack: Stack,
    commands: list[SpokenCommand],
    speak: SpeakFn,
    satellite: str,
    reply: bytes | None = None,
) -> list[tuple[CommandOutcome, TurnResult]]:
    """Reset the house, speak the commands at once (one per satellite), check each."""
    client = stack.client
    if client is None:
        raise RuntimeError("stack is not started")
    await client.call_service("demo_home", "reset")
    before = await client.states()
    pcms = [read_pcm(c.audio) for c in commands]
    turns = await asyncio.gather(*(speak(i, pcm) for i, pcm in enumerate(pcms)))
    answers = [turn.answer for turn in turns]
    asked_first: set[int] = set()
    if reply is not None:
        yes = []
        for i, (command, turn) in enumerate(zip(commands, turns, strict=True)):
            suggestion = suggestion_of(turn.answer)
            if suggestion is None or not means(suggestion, command.text):
                continue
            if command.expect.get("response_contains"):
                asked_first.add(i)  # it asked before acting: that is what was expected
            else:
                yes.append(i)
        seconds = await asyncio.gather(*(speak(i, reply) for i in yes))
        for i, second in zip(yes, seconds, strict=True):
            answers[i] = with_yes(turns[i].answer, second.answer)
    await asyncio.sleep(_SETTLE_S)
    after = await client.states()
    house = home_entity_ids(stack.options.home_file)
    results = []
    for i, (command, turn) in enumerate(zip(commands, turns, strict=True)):
        expect = command.expect
        if i in asked_first:
            expect = {k: v for k, v in expect.items() if k != "response_contains"}
        failures = check(expect, before, after, answers[i])
        if turn.error:
            failures.insert(0, f"pipeline error {turn.error}")
        outcome = CommandOutcome(
            audio=command.audio.name,
            text=command.text,
            transcript=turn.transcript,
            answer=answers[i],
            success=not failures,
            failures=failures,
            changes=changes(before, after, house),
            timings_ms={k: _round(v) for k, v in turn.timings().items()},
            states_after={e: _state(after, e) for e in _watched(command.expect)},
            satellite=f"{satellite}#{i}" if len(commands) > 1 else satellite,
            error=turn.error,
        )
        results.append((outcome, turn))
    return results


def _state(states: dict[str, dict[str, Any]], entity_id: str) -> dict[str, Any]:
    item = states.get(entity_id, {})
    return {"state": item.get("state"), "attributes": item.get("attributes", {})}


def _watched(expect: dict[str, Any]) -> list[str]:
    ids = set(expect.get("state") or {}) | set(expect.get("attributes") or {})
    ids |= set(expect.get("unchanged") or [])
    return sorted(ids)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
