"""Which satellite answers when several hear one wake word.

Every wake-word session of every Local Voice satellite of one ``hass``
claims the turn here. The first claim for a wake word opens a round; claims
for the same wake word from other satellites within the window (the first
claimant's ``window_s``) join it. When the window closes, the claimant that
heard the wake word best (``protocol.WakeSignal.rank``: speech level, then
SNR, then the model's score; arrival order breaks ties) wins and its
buffered audio goes to the pipeline; the others lose and are dismissed
quietly. A claim from another satellite up to ``LATE_S`` after the first
wake-up of a round is the same words heard late and loses at once.

Home Assistant drops a second wake-up with the same phrase within 2 s
("duplicate wake-up"), which would also drop a new command on the same
satellite, or a genuinely separate one the arbiter has already judged. So
``ha_phrase`` hands HA the phrase (and its rule, which still covers other
integrations' satellites) only when no Local Voice wake-up with that
phrase went to a pipeline within ``HA_COOLDOWN_S``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Callable

    from .. import protocol as p

_LOGGER: Final = logging.getLogger(__name__)
DEFAULT_WINDOW_S: Final = 0.1
MAX_WINDOW_S: Final = 0.5
LATE_S: Final = 1.0
# HA's WAKE_WORD_COOLDOWN (2 s) plus a margin: HA stamps a wake-up when the
# pipeline reaches speech to text, which can be later than the decision here.
HA_COOLDOWN_S: Final = 3.0


@dataclass(eq=False, slots=True)
class Claim:
    """One satellite's wake-up, waiting for the decision."""

    satellite_id: str
    session_id: str
    wake_word_id: str
    signal: p.WakeSignal | None
    on_won: Callable[[], None]
    on_lost: Callable[[str], None]  # why
    window_s: float = DEFAULT_WINDOW_S
    at: float = field(default_factory=time.monotonic)


@dataclass(slots=True)
class _Round:
    first_at: float
    claims: list[Claim]
    handle: asyncio.TimerHandle | None = None
    winner: Claim | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of a round, for diagnostics and measurements."""

    wake_word_id: str
    winner: str
    losers: tuple[str, ...]
    decided_ms: float  # after the first wake-up arrived


class Arbiter:
    """Rounds of wake-ups per wake word, for all satellites of one ``hass``."""

    def __init__(self) -> None:
        self._rounds: dict[str, _Round] = {}
        self._last_pipeline: dict[str, float] = {}
        self.decisions: list[Decision] = []  # the last few, newest last

    def claim(self, claim: Claim) -> None:
        """Join or open the round of ``claim.wake_word_id``; the callbacks say how it went."""
        now = claim.at
        key = claim.wake_word_id
        current = self._rounds.get(key)
        if current is not None and current.winner is not None:
            late = now - current.first_at < LATE_S
            if late and claim.satellite_id != current.winner.satellite_id:
                _LOGGER.debug(
                    "%s heard %s %.0f ms after %s won: same words, dismissed",
                    claim.satellite_id,
                    key,
                    (now - current.first_at) * 1000,
                    current.winner.satellite_id,
                )
                claim.on_lost("late")
                return
            current = None  # a new command (the winner's own satellite, or later)
        if current is None:
            current = self._rounds[key] = _Round(now, [claim])
            if claim.window_s <= 0:
                self._decide(key)
            else:
                loop = asyncio.get_running_loop()
                current.handle = loop.call_later(claim.window_s, self._decide, key)
            return
        current.claims = [c for c in current.claims if c.satellite_id != claim.satellite_id]
        current.claims.append(claim)

    def withdraw(self, session_id: str) -> None:
        """A claimant's session ended before the decision: it takes no part."""
        for key, current in list(self._rounds.items()):
            if current.winner is None:
                current.claims = [c for c in current.claims if c.session_id != session_id]
                if not current.claims:
                    if current.handle is not None:
                        current.handle.cancel()
                    del self._rounds[key]

    def ha_phrase(self, wake_word_id: str, phrase: str | None) -> str | None:
        """The wake word phrase to hand HA's pipeline for this winner (see module doc)."""
        last = self._last_pipeline.get(wake_word_id)
        recent = last is not None and time.monotonic() - last < HA_COOLDOWN_S
        self._last_pipeline[wake_word_id] = time.monotonic()
        return None if recent else phrase

    def shutdown(self) -> None:
        """Cancel the open windows (the last entry unloads)."""
        for current in self._rounds.values():
            if current.handle is not None:
                current.handle.cancel()
        self._rounds.clear()

    def _decide(self, key: str) -> None:
        current = self._rounds.get(key)
        if current is None or current.winner is not None or not current.claims:
            return
        current.handle = None
        order = {id(c): i for i, c in enumerate(current.claims)}
        winner = max(current.claims, key=lambda c: (_rank(c), -order[id(c)]))
        current.winner = winner
        losers = [c for c in current.claims if c is not winner]
        decision = Decision(
            key,
            winner.satellite_id,
            tuple(c.satellite_id for c in losers),
            (time.monotonic() - current.first_at) * 1000,
        )
        self.decisions = [*self.decisions[-15:], decision]
        _LOGGER.debug("Arbitration for %s: %s", key, decision)
        winner.on_won()
        for loser in losers:
            loser.on_lost("arbitration")


def _rank(claim: Claim) -> tuple[float, float, float]:
    if claim.signal is None:
        return (float("-inf"),) * 3
    return claim.signal.rank()
