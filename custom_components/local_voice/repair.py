"""Repair of misheard commands, after HA's intents failed and before the model.

Two repairs, each with a confidence score (0..1):
- names: HA's matcher names the unknown span ("not aware of any device
  called mess lamp"); ``name_match`` maps it onto the exposed names or areas;
- sentences: when the verb or structure is wrong ("talk on the kitchen
  light"), the whole sentence is matched against ``sentence_index``.
A candidate runs only if HA's strict matcher parses it on exposed entities,
and only behind the guards (when unsure, ask, don't act):
- a question is never repaired into an action (it is answered read-only);
- a sentence naming an unexposed entity is never repaired at all;
- a repaired action on anything in the confirmation list, or one below
  ``ACT_CONFIDENCE``, is held: "Did you mean ...?" and the agent's
  ``confirmations`` runs it only on "yes";
- targets are resolved by ``action_guard.assess``: exposed entities only.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Final

from hassil.models import UnmatchedTextEntity
from hassil.recognize import MISSING_ENTITY, RecognizeResult
from homeassistant.components.conversation.agent_manager import async_get_agent
from homeassistant.components.conversation.default_agent import DefaultAgent
from homeassistant.helpers import intent

from .action_guard import Assessment, assess, find_handler, looks_like_question
from .confirmations import PendingAction
from .const import DOMAIN, LOGGER
from .local_intents import (
    LocalKind,
    LocalOutcome,
    async_run_confirmed,
    async_try_local,
    device_area_id,
)
from .name_match import best_name
from .sentence_index import SentenceIndex, all_known, normalize
from .state_report import report, snapshot
from .vocabulary import async_get_vocabulary

if TYPE_CHECKING:
    from collections.abc import Collection

    from homeassistant.components import conversation
    from homeassistant.core import HomeAssistant

    from .vocabulary import Snapshot

DATA_REPAIRER: Final = f"{DOMAIN}_repairer"
ACT_CONFIDENCE: Final = 0.85  # at or above: a safe repaired command runs at once
ASK_CONFIDENCE: Final = 0.7  # at or above: "Did you mean ...?"; below: no repair


@dataclass(frozen=True, slots=True)
class Candidate:
    """A repaired sentence and how sure we are of it."""

    text: str
    confidence: float
    kind: str  # "name" or "sentence"


@dataclass(slots=True)
class Repairer:
    """Repair settings and measurements for one ``hass`` (stages can be turned off)."""

    names: bool = True
    sentences: bool = True
    guards: bool = True
    timings_ms: list[float] = field(default_factory=list)  # time spent finding repairs
    _index: SentenceIndex | None = None

    def index(self, vocab: Snapshot) -> SentenceIndex:
        """The sentence index of the current vocabulary (rebuilt when it changed)."""
        if self._index is None or self._index.version != vocab.version:
            self._index = SentenceIndex(vocab)
        return self._index


def get_repairer(hass: HomeAssistant) -> Repairer:
    """The repairer of ``hass``."""
    repairer: Repairer | None = hass.data.get(DATA_REPAIRER)
    if repairer is None:
        repairer = hass.data[DATA_REPAIRER] = Repairer()
    return repairer


async def async_repair(
    hass: HomeAssistant, user_input: conversation.ConversationInput, confirm: Collection[str]
) -> LocalOutcome | PendingAction | None:
    """Handle a sentence HA's intents did not match: done, asked, or None (not repaired)."""
    repairer = get_repairer(hass)
    agent = async_get_agent(hass)
    if not isinstance(agent, DefaultAgent) or not (repairer.names or repairer.sentences):
        return None
    start = time.perf_counter()
    found = await _async_find(hass, agent, repairer, user_input, confirm)
    # The time the repair adds: finding and checking it, not running the command.
    repairer.timings_ms.append((time.perf_counter() - start) * 1000)
    if found is None:
        return None
    fixed_input, candidate, verdict = found
    LOGGER.debug("Repaired %r to %r (%s, %.2f)", user_input.text, candidate.text,
                 candidate.kind, candidate.confidence)  # fmt: skip
    return await _async_act(
        hass,
        repairer,
        fixed_input,
        candidate=candidate,
        verdict=verdict,
        confirm=confirm,
        question=looks_like_question(user_input.text),
    )


async def _async_find(
    hass: HomeAssistant,
    agent: DefaultAgent,
    repairer: Repairer,
    user_input: conversation.ConversationInput,
    confirm: Collection[str],
) -> tuple[conversation.ConversationInput, Candidate, Assessment] | None:
    """The best repair HA parses onto exposed targets, or None."""
    vocab = async_get_vocabulary(hass).snapshot
    heard, _numbers = normalize(user_input.text)
    if repairer.guards and any(_contains(heard, name) for name in vocab.unexposed):
        return None  # about something Assist may not touch: leave it to HA / the model
    question = looks_like_question(user_input.text)
    index = repairer.index(vocab)
    # A question is only repaired into a question (the guard), a command only
    # into a command. Cheapest first: a whole-sentence match is a table lookup
    # (well under a millisecond); the name stage needs HA's non-strict matcher.
    sentences = [
        Candidate(c.text, c.confidence, "sentence")
        for c in (index.closest(user_input.text) if repairer.sentences else [])
        if c.question == question or (question and not repairer.guards)
    ]
    sure = [c for c in sentences if c.confidence >= ACT_CONFIDENCE]
    found = await _async_first(hass, agent, user_input, sure, confirm)
    # The name stage looks for an unknown span: pointless when every word is known.
    if found is None and repairer.names and not all_known(user_input.text, index.words):
        # HA caches the failed strict match by text and then skips the unmatched-
        # entity pass for that text: a trailing space is a new key, same words.
        retry = replace(user_input, text=f"{user_input.text} ")
        heard_as = await agent.async_recognize_intent(retry)
        if isinstance(heard_as, RecognizeResult) and (
            fixed := _repair_names(heard_as, user_input.text, vocab)
        ):
            found = await _async_first(hass, agent, user_input, [fixed], confirm)
    if found is None:
        rest = [c for c in sentences if c not in sure]
        found = await _async_first(hass, agent, user_input, rest, confirm)
    return found


async def _async_first(
    hass: HomeAssistant,
    agent: DefaultAgent,
    user_input: conversation.ConversationInput,
    candidates: list[Candidate],
    confirm: Collection[str],
) -> tuple[conversation.ConversationInput, Candidate, Assessment] | None:
    """The first candidate HA's strict matcher parses onto exposed targets."""
    for candidate in candidates:
        if candidate.confidence < ASK_CONFIDENCE:
            continue
        fixed_input = replace(user_input, text=candidate.text)
        result = await agent.async_recognize_intent(fixed_input, strict_intents_only=True)
        if not isinstance(result, RecognizeResult):
            continue
        verdict = assess(
            hass,
            result.intent.name,
            {e.name: e.value for e in result.entities_list},
            language=user_input.language,
            device_id=user_input.device_id,
            confirm=confirm,
            preferred_area_id=device_area_id(hass, user_input.device_id),
        )
        if _resolved(hass, verdict):
            return fixed_input, candidate, verdict
    return None


async def _async_act(
    hass: HomeAssistant,
    repairer: Repairer,
    fixed_input: conversation.ConversationInput,
    *,
    candidate: Candidate,
    verdict: Assessment,
    confirm: Collection[str],
    question: bool,
) -> LocalOutcome | PendingAction | None:
    """Run, hold as a question, or ask "Did you mean ...?" (the guards)."""
    if repairer.guards and verdict.changes_state:
        if question:
            return LocalOutcome(LocalKind.HELD_QUESTION, verdict.intent_type, verdict)
        if verdict.risky or candidate.confidence < ACT_CONFIDENCE:
            return _did_you_mean(hass, fixed_input, candidate, verdict)
    if not repairer.guards:
        confirm = ()
    return await async_try_local(hass, fixed_input, confirm)


def _did_you_mean(
    hass: HomeAssistant,
    fixed_input: conversation.ConversationInput,
    candidate: Candidate,
    verdict: Assessment,
) -> PendingAction:
    """Hold the repaired command for a "yes" in the next turn."""
    targets = verdict.target_ids

    async def execute() -> str:
        before = snapshot(hass, targets)
        await async_run_confirmed(hass, fixed_input, verdict.intent_type)
        return report(hass, before)

    return PendingAction(
        question=f"Did you mean: {candidate.text}?",
        name=verdict.intent_type,
        targets=targets,
        execute=execute,
        used_model=False,
    )


def _repair_names(result: RecognizeResult, text: str, vocab: Snapshot) -> Candidate | None:
    """Replace each unknown name or area span with the closest exposed one."""
    spans = {
        slot: entity.text.strip()
        for slot, entity in result.unmatched_entities.items()
        if isinstance(entity, UnmatchedTextEntity) and entity.text not in ("", MISSING_ENTITY)
    }
    if not spans or not set(spans) <= {"name", "area"}:
        return None
    repaired, confidence = text, 1.0
    for slot, span in spans.items():
        match = best_name(span, vocab.names if slot == "name" else vocab.areas, vocab.unexposed)
        start = repaired.casefold().find(span.casefold())
        if match is None or start < 0:
            return None
        repaired = repaired[:start] + match.term.text + repaired[start + len(span) :]
        confidence = min(confidence, match.confidence)
    return Candidate(repaired, confidence, "name")


def _resolved(hass: HomeAssistant, verdict: Assessment) -> bool:
    """Targets known and exposed (handlers that ``assess`` cannot resolve match exposed only)."""
    if verdict.invalid or verdict.unexposed:
        return False
    if verdict.effects or not verdict.changes_state:
        return True
    handler = find_handler(hass, verdict.intent_type)
    return handler is not None and not isinstance(handler, intent.DynamicServiceIntentHandler)


def _contains(heard: str, name: str) -> bool:
    """``name`` appears as whole words in ``heard`` (both normalized)."""
    return f" {normalize(name)[0]} " in f" {heard} "
