"""Repair of misheard commands, after HA's intents failed and before the model.

The heard text is first read by ``repair_text`` (filler before a question,
misheard verb or question word, wake-word tail). Then repairs, each with a
confidence score (0..1):
- names: the words outside the home's vocabulary are the unknown span
  ("turn on the mess lamp"); ``repair_spans`` maps it onto the exposed
  names or areas (``name_match``);
- sentences: when the verb or structure is wrong ("talk on the kitchen
  light"), the whole sentence is matched against ``sentence_index``;
- both: the name-repaired sentence matched as a whole.
A candidate runs only if HA's strict matcher parses it on exposed entities
(parses cached per vocabulary version by ``repair_parse``),
and only behind the guards (when unsure, ask, don't act):
- a question is never repaired into an action (it is answered read-only);
- a sentence naming an unexposed entity is never repaired at all;
- a repaired action on anything in the confirmation list, or one below
  ``ACT_CONFIDENCE``, is held: "Did you mean ...?" and the agent's
  ``confirmations`` runs it only on "yes";
- so is a repaired action when what was heard is a statement: no command
  verb, but "is"/"it's"/"are" ("it's a kitchen light on" is a misheard
  question, not "turn on the kitchen light"). A blurred verb ("talk on the
  kitchen light") is still repaired at once;
- so is a whole-sentence repair that puts in a word that was not heard
  ("turn on the pad in the office" -> "... the lights in the office"): it
  guessed what to switch (``guessed_words``);
- targets are resolved by ``action_guard.assess``: exposed entities only.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Final

from homeassistant.components.conversation.agent_manager import async_get_agent
from homeassistant.components.conversation.default_agent import DefaultAgent
from homeassistant.helpers import intent

from .action_guard import Assessment, assess, find_handler
from .confirmations import PendingAction
from .const import DOMAIN, LOGGER
from .local_intents import (
    LocalKind,
    LocalOutcome,
    async_run_confirmed,
    async_try_local,
    device_area_id,
)
from .name_match import NameTable, similarity
from .repair_parse import ParseCache
from .repair_spans import name_repair
from .repair_text import reading
from .sentence_index import NUMBER, SentenceIndex, all_known, normalize
from .state_report import report, snapshot
from .vocabulary import async_get_vocabulary

if TYPE_CHECKING:
    from collections.abc import Collection

    from homeassistant.components import conversation
    from homeassistant.core import HomeAssistant

    from .repair_text import Heard
    from .vocabulary import Snapshot

DATA_REPAIRER: Final = f"{DOMAIN}_repairer"
ACT_CONFIDENCE: Final = 0.85  # at or above: a safe repaired command runs at once
ASK_CONFIDENCE: Final = 0.7  # at or above: "Did you mean ...?"; below: no repair
# Heard and repaired words this alike (name_match.similarity) are one word misheard.
# Measured: mess/desk 0.45, best/desk 0.42, garish/garage 0.58; main/living 0.40,
# pad/fan 0.17, pad/light 0.20, talk/turn 0.29.
SOUNDS_ALIKE: Final = 0.42
# Words that reverse an action: a repair that trades one for the other asks first.
OPPOSITES: Final = (
    ("lock", "unlock"), ("open", "close"), ("open", "shut"), ("on", "off"),
    ("start", "stop"), ("activate", "deactivate"), ("raise", "lower"),
    ("increase", "decrease"), ("brighten", "dim"), ("arm", "disarm"), ("up", "down"),
)  # fmt: skip
ASK_FIRST: Final = 0.8  # the confidence cap of a repair that must ask (below ACT_CONFIDENCE)
_COPULAS: Final = frozenset({"is", "are", "was", "were", "it's", "that's", "there's", "isn't"})
# Verbs of the requests HA's intents carry out.
COMMAND_VERBS: Final = frozenset(
    {
        "turn", "switch", "set", "open", "close", "shut", "lock", "unlock", "start", "stop",
        "activate", "deactivate", "dim", "brighten", "raise", "lower", "increase",
        "decrease", "put", "make", "pause", "resume", "unpause", "play", "toggle", "run",
        "arm", "disarm", "press", "change", "adjust", "enable", "disable", "cancel",
    }
)  # fmt: skip


# Words a sentence repair may put in without guessing what is meant.
_FRAME_STEMS: Final = frozenset(
    word.removesuffix("s")
    for word in COMMAND_VERBS
    | {"the", "a", "an", "on", "off", "in", "to", "of", "at", "my", "all", "please", "up",
       "down", "and", "is", "are", "what", "what's", "how", "it", "me", "degrees", "percent",
       NUMBER}
)  # fmt: skip


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
    parses: ParseCache = field(default_factory=ParseCache)
    _index: SentenceIndex | None = None
    _names: NameTable | None = None

    def names_of(self, vocab: Snapshot) -> NameTable:
        """The name table of the current vocabulary (rebuilt when it changed)."""
        if self._names is None or self._names.version != vocab.version:
            self._names = NameTable(vocab)
        return self._names

    def index(self, vocab: Snapshot) -> SentenceIndex:
        """The sentence index of the current vocabulary (rebuilt when it changed)."""
        if self._index is None or self._index.version != vocab.version:
            self._index = SentenceIndex(vocab)
        return self._index

    def warm(self, hass: HomeAssistant, agent: DefaultAgent, vocab: Snapshot) -> None:
        """On a new vocabulary: drop old parses, parse the index's sentences in the background."""
        if self.parses.version == vocab.version:
            return
        self.parses.reset(vocab.version)
        plain = [s for s in self.index(vocab).sentences if NUMBER not in s]
        hass.async_create_background_task(
            self.parses.async_warm(hass, agent, vocab.version, plain),
            f"{DOMAIN} repair parses",
        )


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
    fixed_input, candidate, verdict, read = found
    LOGGER.debug("Repaired %r to %r (%s, %.2f)", user_input.text, candidate.text,
                 candidate.kind, candidate.confidence)  # fmt: skip
    if (
        read.asks_first
        or (candidate.kind == "sentence" and guessed_words(read.text, candidate.text))
        or flips_action(read.text, candidate.text)
    ):  # a question word read as a verb, a word never heard, or the opposite of a word
        # heard ("unlock" -> "lock"): never act without a "yes"
        candidate = replace(candidate, confidence=min(candidate.confidence, ASK_FIRST))
    return await _async_act(
        hass,
        repairer,
        fixed_input,
        candidate=candidate,
        verdict=verdict,
        confirm=confirm,
        question=read.question,
        heard_text=read.text,
    )


async def _async_find(
    hass: HomeAssistant,
    agent: DefaultAgent,
    repairer: Repairer,
    user_input: conversation.ConversationInput,
    confirm: Collection[str],
) -> tuple[conversation.ConversationInput, Candidate, Assessment, Heard] | None:
    """The best repair HA parses onto exposed targets (and how it was read), or None."""
    vocab = async_get_vocabulary(hass).snapshot
    heard, _numbers = normalize(user_input.text)
    if repairer.guards and any(_contains(heard, name) for name in vocab.unexposed):
        return None  # about something Assist may not touch: leave it to HA / the model
    read = reading(user_input.text)
    question = read.question
    index, table = repairer.index(vocab), repairer.names_of(vocab)
    repairer.warm(hass, agent, vocab)
    # A question is only repaired into a question (the guard), a command only
    # into a command. Cheapest first: a whole-sentence match is a table lookup
    # (well under a millisecond); each candidate costs one strict parse by HA.
    sentences = _sentences(index, read.text, question=question, repairer=repairer)
    sure = [c for c in sentences if c.confidence >= ACT_CONFIDENCE]
    found = await _async_first(hass, agent, repairer, user_input, sure, confirm=confirm)
    # The name stage looks for an unknown span: pointless when every word is known.
    fixed = None
    if found is None and repairer.names and not all_known(read.text, index.words):
        fixed = name_repair(read.text, index.words, table)
        if fixed is not None:
            name_fix = Candidate(fixed[0], fixed[1], "name")
            found = await _async_first(
                hass, agent, repairer, user_input, [name_fix], confirm=confirm
            )
    if found is None and fixed is not None:
        # Name and structure both off ("the humidity in the bathroom"): match the
        # name-repaired sentence as a whole; as sure as the less sure of the two.
        chained = [
            Candidate(c.text, min(c.confidence, fixed[1]), "name+sentence")
            for c in _sentences(index, fixed[0], question=question, repairer=repairer)
        ]
        found = await _async_first(hass, agent, repairer, user_input, chained, confirm=confirm)
    if found is None:
        rest = [c for c in sentences if c not in sure]
        found = await _async_first(hass, agent, repairer, user_input, rest, confirm=confirm)
    return None if found is None else (*found, read)


def _sentences(
    index: SentenceIndex, text: str, *, question: bool, repairer: Repairer
) -> list[Candidate]:
    """Supported sentences like ``text`` of the same kind (ask / act), unless guards are off."""
    if not repairer.sentences:
        return []
    return [
        Candidate(c.text, c.confidence, "sentence")
        for c in index.closest(text)
        if c.question == question or (question and not repairer.guards)
    ]


async def _async_first(
    hass: HomeAssistant,
    agent: DefaultAgent,
    repairer: Repairer,
    user_input: conversation.ConversationInput,
    candidates: list[Candidate],
    *,
    confirm: Collection[str],
) -> tuple[conversation.ConversationInput, Candidate, Assessment] | None:
    """The first candidate HA's strict matcher parses onto exposed targets."""
    area_id = device_area_id(hass, user_input.device_id)
    for candidate in candidates:
        if candidate.confidence < ASK_CONFIDENCE:
            continue
        fixed_input = replace(user_input, text=candidate.text)
        parse = await repairer.parses.async_parse(agent, fixed_input, area_id)
        if parse is None:
            continue
        verdict = assess(
            hass,
            parse.intent,
            dict(parse.slots),
            language=user_input.language,
            device_id=user_input.device_id,
            confirm=confirm,
            preferred_area_id=area_id,
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
    heard_text: str,
) -> LocalOutcome | PendingAction | None:
    """Run, hold as a question, or ask "Did you mean ...?" (the guards)."""
    if repairer.guards and verdict.changes_state:
        if question:
            return LocalOutcome(LocalKind.HELD_QUESTION, verdict.intent_type, verdict)
        if verdict.risky or candidate.confidence < ACT_CONFIDENCE or reads_as_statement(heard_text):
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


def _resolved(hass: HomeAssistant, verdict: Assessment) -> bool:
    """Targets known and exposed (handlers that ``assess`` cannot resolve match exposed only)."""
    if verdict.invalid or verdict.unexposed:
        return False
    if verdict.effects or not verdict.changes_state:
        return True
    handler = find_handler(hass, verdict.intent_type)
    return handler is not None and not isinstance(handler, intent.DynamicServiceIntentHandler)


def reads_as_statement(text: str) -> bool:
    """No command verb (after ``repair_text``'s verb fixes) but a form of "to be"."""
    words = set(normalize(text.replace("\u2019", "'"))[0].split())
    return not words & COMMAND_VERBS and bool(words & _COPULAS)


def guessed_words(heard: str, repaired: str) -> frozenset[str]:
    """Words of a whole-sentence repair that were not heard, beyond verbs and small words.

    "turn on the pad in the office" is closest to "turn on the lights in the
    office": the sentence match swapped an unknown noun for a device class,
    a guess about *what* to switch, not a blurred verb ("talk on the kitchen
    light") or a blurred name ("mess lamp"). A word put in place of a heard
    word that sounds like it is not a guess. Plurals count as heard.
    """

    def stems(text: str) -> set[str]:
        return {word.removesuffix("s") for word in normalize(text)[0].split()}

    heard_stems, repaired_stems = stems(heard), stems(repaired)
    dropped = heard_stems - repaired_stems
    return frozenset(
        word
        for word in repaired_stems - heard_stems - _FRAME_STEMS
        if not any(similarity(old, word) >= SOUNDS_ALIKE for old in dropped)
    )


def flips_action(heard: str, repaired: str) -> bool:
    """The repair says the opposite of a word that was heard ("unlock" -> "lock").

    The nearest sentence to "unlock the front door" is "lock the front door":
    one syllable apart, and the opposite action. A misheard name is repaired
    at once; a reversed action is a guess and is asked first.
    """
    heard_words = set(normalize(heard)[0].split())
    repaired_words = set(normalize(repaired)[0].split())
    lost, gained = heard_words - repaired_words, repaired_words - heard_words
    return any(
        (one in lost and other in gained) or (other in lost and one in gained)
        for one, other in OPPOSITES
    )


def _contains(heard: str, name: str) -> bool:
    """``name`` appears as whole words in ``heard`` (both normalized)."""
    return f" {normalize(name)[0]} " in f" {heard} "
