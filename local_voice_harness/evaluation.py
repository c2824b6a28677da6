"""Run spoken commands through the running stack and score them.

For each command: ``demo_home.reset`` (initial states), a snapshot of all
states, the utterance through a satellite path, a second snapshot, and the
``expect`` check. The result carries everything the demo prints and the
evaluation writes as JSON.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Final

from . import assist_ws
from .expectations import changes, check
from .stack import Stack, home_entity_ids
from .turn import TurnResult, read_pcm

if TYPE_CHECKING:
    from .commands import SpokenCommand

_SETTLE_S: Final = 0.2


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


async def run_command(
    stack: Stack, command: SpokenCommand, *, realtime: bool = True
) -> tuple[CommandOutcome, TurnResult]:
    """Reset the house, speak the command, check ``expect``."""
    client = stack.client
    if client is None:
        raise RuntimeError("stack is not started")
    await client.call_service("demo_home", "reset")
    before = await client.states()
    pcm = read_pcm(command.audio)
    turn = await assist_ws.run_turn(
        client, pcm, pipeline_id=stack.info.pipeline_id, realtime=realtime
    )
    await asyncio.sleep(_SETTLE_S)
    after = await client.states()
    failures = check(command.expect, before, after, turn.answer)
    if turn.error:
        failures.insert(0, f"pipeline error {turn.error}")
    watched = _watched(command.expect)
    outcome = CommandOutcome(
        audio=command.audio.name,
        text=command.text,
        transcript=turn.transcript,
        answer=turn.answer,
        success=not failures,
        failures=failures,
        changes=changes(before, after, home_entity_ids(stack.options.home_file)),
        timings_ms={k: _round(v) for k, v in turn.timings().items()},
        states_after={
            e: {
                "state": after.get(e, {}).get("state"),
                "attributes": after.get(e, {}).get("attributes", {}),
            }
            for e in watched
        },
        satellite="websocket",
        error=turn.error,
    )
    return outcome, turn


def _watched(expect: dict[str, Any]) -> list[str]:
    ids = set(expect.get("state") or {}) | set(expect.get("attributes") or {})
    ids |= set(expect.get("unchanged") or [])
    return sorted(ids)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
