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

Each result belongs to the session its command started (``mqtt_turn``): a
command that started none, or whose session HA never finished, is reported
as lost and cannot shift the results after it. With ``--overhear N`` every
command is heard by N satellites at once (``run_overheard``); it succeeds
only if the loudest, and only the loudest, answered. A command that expects
a timer (``"timer": {"finishes_within_s": S}``) succeeds only if the
satellite's timer rang within S seconds.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Final

from . import assist_ws
from .agent_figures import agent_figures, model_part
from .expectations import changes, check
from .sentence_words import means, suggestion_of, with_yes
from .stack import Stack, home_entity_ids
from .turn import TurnResult, read_pcm

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from .commands import SpokenCommand

_SETTLE_S: Final = 0.2

type SpeakFn = Callable[[int, bytes], Awaitable[TurnResult]]
# Satellite index, seconds: None when its timer finished in time, else why not.
type TimerFn = Callable[[int, float], Awaitable[str | None]]
# The utterance and each satellite's gain in dB: every satellite's turn.
type HearFn = Callable[[bytes, list[float]], Awaitable[list[TurnResult]]]


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
    session_id: str = ""
    lost: bool = False  # no session, or one HA never finished: nothing came of the command
    answered_by: list[str] = field(default_factory=list)  # --overhear: who answered
    loudest: str = ""  # --overhear: the satellite that heard it best
    arbitration_ms: float | None = None  # --overhear: first wake-up -> the last dismissal
    model: dict[str, Any] | None = None  # the local_voice agent's model turn, if it asked one

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


async def run_batch(  # noqa: PLR0917
    stack: Stack,
    commands: list[SpokenCommand],
    speak: SpeakFn,
    satellite: str,
    reply: bytes | None = None,
    timer: TimerFn | None = None,
) -> list[tuple[CommandOutcome, TurnResult]]:
    """Reset the house, speak the commands at once (one per satellite), check each."""
    client = stack.client
    if client is None:
        raise RuntimeError("stack is not started")
    await client.call_service("demo_home", "reset")
    before = await client.states()
    # One command at a time against the local_voice agent: its model figures are its own.
    entry_id = stack.info.agent_entry_id if len(commands) == 1 else ""
    figures_before = await agent_figures(client, entry_id) if entry_id else None
    pcms = [read_pcm(c.audio) for c in commands]
    turns = await asyncio.gather(*(speak(i, pcm) for i, pcm in enumerate(pcms)))
    answers = [turn.answer for turn in turns]
    asked_first: set[int] = set()
    if reply is not None:
        asked_first = await _reply_yes(commands, turns, answers, speak, reply)
    timer_failures = await _timers(commands, turns, timer)
    await asyncio.sleep(_SETTLE_S)
    after = await client.states()
    house = home_entity_ids(stack.options.home_file)
    model = None
    if figures_before is not None:
        model = model_part(figures_before, await agent_figures(client, entry_id))
    results = []
    for i, (command, turn) in enumerate(zip(commands, turns, strict=True)):
        expect = command.expect
        if i in asked_first:
            expect = {k: v for k, v in expect.items() if k != "response_contains"}
        failures = check(_house_part(expect), before, after, answers[i])
        failures += timer_failures.get(i, [])
        if turn.error or turn.lost:
            failures.insert(0, _turn_failure(turn))
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
            satellite=turn.satellite or (f"{satellite}#{i}" if len(commands) > 1 else satellite),
            error=turn.error,
            session_id=turn.session_id,
            lost=turn.lost,
            model=model,
        )
        results.append((outcome, turn))
    return results


async def run_overheard(
    stack: Stack, command: SpokenCommand, hear: HearFn, gains: list[float]
) -> tuple[CommandOutcome, TurnResult]:
    """One command heard by several satellites at once; only the loudest may answer."""
    client = stack.client
    if client is None:
        raise RuntimeError("stack is not started")
    await client.call_service("demo_home", "reset")
    before = await client.states()
    turns = await hear(read_pcm(command.audio), gains)
    await asyncio.sleep(_SETTLE_S)
    after = await client.states()
    loudest = turns[gains.index(max(gains))]
    answered = [t for t in turns if not t.dismissed and t.session_id]
    turn = answered[0] if len(answered) == 1 else loudest
    failures = check(_house_part(command.expect), before, after, turn.answer)
    answered_by = [t.satellite for t in answered]
    if answered_by != [loudest.satellite]:
        failures.insert(0, f"answered by {answered_by or 'no satellite'}, not {loudest.satellite}")
    if turn.error or turn.lost:
        failures.insert(0, _turn_failure(turn))
    starts = [t.started_mono for t in turns if t.started_mono is not None]
    dismissals = [t.dismissed_mono for t in turns if t.dismissed_mono is not None]
    outcome = CommandOutcome(
        audio=command.audio.name,
        text=command.text,
        transcript=turn.transcript,
        answer=turn.answer,
        success=not failures,
        failures=failures,
        changes=changes(before, after, home_entity_ids(stack.options.home_file)),
        timings_ms={k: _round(v) for k, v in turn.timings().items()},
        states_after={e: _state(after, e) for e in _watched(command.expect)},
        satellite=turn.satellite,
        error=turn.error,
        session_id=turn.session_id,
        lost=turn.lost or not answered,
        answered_by=answered_by,
        loudest=loudest.satellite,
        arbitration_ms=_round((max(dismissals) - min(starts)) * 1000)
        if dismissals and starts
        else None,
    )
    return outcome, turn


async def _reply_yes(
    commands: list[SpokenCommand],
    turns: list[TurnResult],
    answers: list[str],
    speak: SpeakFn,
    reply: bytes,
) -> set[int]:
    """Say "yes" to each meant "Did you mean"; returns the commands that asked first."""
    yes, asked_first = [], set()
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
        if second.lost or second.error:  # the spoken "yes" got nothing: say so
            turns[i].lost = turns[i].lost or second.lost
            turns[i].error = turns[i].error or f"the reply: {second.error or 'lost'}"
    return asked_first


def _turn_failure(turn: TurnResult) -> str:
    """Why the turn itself failed: lost (nothing came of it), or HA's error."""
    if turn.lost:
        return turn.error or "lost: the command's session never finished"
    return f"pipeline error {turn.error}"


def _house_part(expect: dict[str, Any]) -> dict[str, Any]:
    """What the house and the answer must show (the timer is checked on the satellite)."""
    return {k: v for k, v in expect.items() if k != "timer"}


async def _timers(
    commands: list[SpokenCommand], turns: list[TurnResult], timer: TimerFn | None
) -> dict[int, list[str]]:
    """Wait for the timers the commands expect to finish; failures by command index."""
    failures: dict[int, list[str]] = {}
    waits = [
        (i, float(c.expect["timer"]["finishes_within_s"]))
        for i, c in enumerate(commands)
        if "timer" in c.expect and not turns[i].lost
    ]
    if not waits:
        return failures
    if timer is None:
        return {i: ["timers are checked on MQTT satellites only"] for i, _ in waits}
    results = await asyncio.gather(*(timer(i, within) for i, within in waits))
    for (i, _within), problem in zip(waits, results, strict=True):
        if problem is not None:
            failures[i] = [problem]
    return failures


def _state(states: dict[str, dict[str, Any]], entity_id: str) -> dict[str, Any]:
    item = states.get(entity_id, {})
    return {"state": item.get("state"), "attributes": item.get("attributes", {})}


def _watched(expect: dict[str, Any]) -> list[str]:
    ids = set(expect.get("state") or {}) | set(expect.get("attributes") or {})
    ids |= set(expect.get("unchanged") or [])
    return sorted(ids)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
