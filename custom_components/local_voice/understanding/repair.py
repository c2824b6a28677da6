"""Repair of misheard commands, after HA's intents failed and before the model.

This module only orchestrates. What was heard is read first (``readings``:
filler before a question, a misheard verb or question word, a wake-word
tail). Then candidates, each with a confidence (0..1), cheapest first:
- sentences: the whole sentence matched against the home's supported
  sentences (``sentences``) when the verb or structure is off ("talk on the
  kitchen light"); sure ones first;
- names: the words outside the home's vocabulary are the unknown span
  ("turn on the mess lamp"), mapped onto exposed names or areas (``spans``);
- both: the name-repaired sentence matched as a whole; then the less sure
  sentence matches.
A candidate counts only if HA's strict matcher parses it onto exposed
entities (``recognizer``) and ``safety.assess`` resolves its targets. Then
the guards (when unsure, ask, don't act):
- a sentence naming an unexposed entity is never repaired;
- a question is only repaired into a question, and answered read-only;
- a repaired action asks "Did you mean ...?" first when it is risky, below
  ``ACT_CONFIDENCE``, heard as a statement ("it's a kitchen light on"), a
  guess at a word never heard (``guessed_words``), the opposite of a word
  heard (``flips_action``), or read from a guessed verb or number.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum
from typing import TYPE_CHECKING, Final

from homeassistant.helpers import intent

from .names import similarity
from .readings import reading
from .safety import Assessment, assess, find_handler, speaker_area_id
from .sentences import all_known
from .spans import name_repair
from .text import hear, normalize
from .words import COMMAND_VERBS, COPULAS, DIRECTIONS, FRAME_STEMS, OPPOSITES

if TYPE_CHECKING:
    from collections.abc import Collection

    from homeassistant.components import conversation
    from homeassistant.core import HomeAssistant

    from .home import HomeUnderstanding, Lexicon
    from .readings import Reading
    from .text import Heard

ACT_CONFIDENCE: Final = 0.85  # at or above: a safe repaired command runs at once
ASK_CONFIDENCE: Final = 0.7  # at or above: "Did you mean ...?"; below: no repair
ASK_FIRST: Final = 0.8  # the confidence cap of a repair that must ask (below ACT_CONFIDENCE)
# Heard and repaired words this alike (names.similarity) are one word misheard.
# Measured: mess/desk 0.45, best/desk 0.42, garish/garage 0.58; main/living 0.40,
# pad/fan 0.17, pad/light 0.20, talk/turn 0.29.
SOUNDS_ALIKE: Final = 0.42
_CATCH_ALLS: Final = frozenset({"everything", "anything", "something", "stuff", "things"})


class RepairAction(Enum):
    """What to do with a repaired sentence."""

    RUN = "run"  # run it now
    ASK = "ask"  # ask "Did you mean ...?" and run it on "yes"
    ANSWER = "answer"  # a question: answer from the current states, change nothing


@dataclass(frozen=True, slots=True)
class Candidate:
    """A repaired sentence and how sure we are of it."""

    text: str
    confidence: float
    kind: str  # "name", "sentence" or "name+sentence"


@dataclass(frozen=True, slots=True)
class Repair:
    """A repaired sentence HA understands, what it would do, and what to do with it."""

    user_input: conversation.ConversationInput  # the input with the repaired text
    candidate: Candidate
    assessment: Assessment
    action: RepairAction


async def async_repair(
    hass: HomeAssistant,
    home: HomeUnderstanding,
    user_input: conversation.ConversationInput,
    heard: Heard,
    confirm: Collection[str],
) -> Repair | None:
    """The repair of a sentence HA's intents did not match, or None."""
    lexicon = home.lexicon()
    if any(heard.contains(name) for name in lexicon.snapshot.unexposed):
        return None  # about something Assist may not touch: leave it to HA / the model
    read = reading(heard)
    found = await _async_find(hass, home, lexicon, user_input, read, confirm)
    if found is None:
        return None
    fixed_input, candidate, verdict = found
    if (
        read.asks_first
        or (candidate.kind == "sentence" and guessed_words(read.heard, candidate.text))
        or flips_action(read.heard, candidate.text)
    ):  # a question word read as a verb, a word never heard, or the opposite of a word
        # heard ("unlock" -> "lock"): never act without a "yes"
        candidate = replace(candidate, confidence=min(candidate.confidence, ASK_FIRST))
    action = RepairAction.RUN
    if verdict.changes_state:
        if read.question:
            action = RepairAction.ANSWER
        elif (
            verdict.risky or candidate.confidence < ACT_CONFIDENCE or reads_as_statement(read.heard)
        ):
            action = RepairAction.ASK
    return Repair(fixed_input, candidate, verdict, action)


async def _async_find(  # noqa: PLR0917 - one call site, named at it
    hass: HomeAssistant,
    home: HomeUnderstanding,
    lexicon: Lexicon,
    user_input: conversation.ConversationInput,
    read: Reading,
    confirm: Collection[str],
) -> tuple[conversation.ConversationInput, Candidate, Assessment] | None:
    """The first candidate, cheapest first, that HA parses onto exposed targets."""
    index, table = lexicon.sentences, lexicon.names

    def sentences(of: Heard, cap: float = 1.0, kind: str = "sentence") -> list[Candidate]:
        # A question is only repaired into a question, a command only into a command.
        return [
            Candidate(c.text, min(c.confidence, cap), kind)
            for c in index.closest(of)
            if c.question == read.question
        ]

    async def first(
        candidates: list[Candidate],
    ) -> tuple[conversation.ConversationInput, Candidate, Assessment] | None:
        return await _async_first_parsed(hass, home, user_input, candidates, confirm)

    whole = sentences(read.heard)
    sure = [c for c in whole if c.confidence >= ACT_CONFIDENCE]
    if (found := await first(sure)) is not None:
        return found
    # The name stage looks for an unknown span: pointless when every word is known.
    fixed = None
    if not all_known(read.heard, index.words):
        fixed = name_repair(read.heard, index.words, table)
    if fixed is not None:
        if (found := await first([Candidate(fixed[0], fixed[1], "name")])) is not None:
            return found
        # Name and structure both off ("the humidity in the man room"): match the
        # name-repaired sentence as a whole; as sure as the less sure of the two.
        chained = sentences(hear(fixed[0]), cap=fixed[1], kind="name+sentence")
        if (found := await first(chained)) is not None:
            return found
    return await first([c for c in whole if c not in sure])


async def _async_first_parsed(
    hass: HomeAssistant,
    home: HomeUnderstanding,
    user_input: conversation.ConversationInput,
    candidates: list[Candidate],
    confirm: Collection[str],
) -> tuple[conversation.ConversationInput, Candidate, Assessment] | None:
    area_id = speaker_area_id(hass, user_input.device_id, user_input.satellite_id)
    for candidate in candidates:
        if candidate.confidence < ASK_CONFIDENCE:
            continue
        fixed_input = replace(user_input, text=candidate.text)
        parse = await home.recognizer.async_parse(fixed_input, area_id)
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


def _resolved(hass: HomeAssistant, verdict: Assessment) -> bool:
    """Targets known and exposed (handlers that ``assess`` cannot resolve match exposed only)."""
    if verdict.invalid or verdict.unexposed:
        return False
    if verdict.effects or not verdict.changes_state:
        return True
    handler = find_handler(hass, verdict.intent_type)
    return handler is not None and not isinstance(handler, intent.DynamicServiceIntentHandler)


def reads_as_statement(heard: Heard) -> bool:
    """No command verb (after ``readings``' verb fixes) but a form of "to be"."""
    words = set(heard.words)
    return not words & COMMAND_VERBS and bool(words & COPULAS)


def guessed_words(heard: Heard, repaired: str) -> frozenset[str]:
    """Words of a whole-sentence repair that were not heard, beyond verbs and small words.

    "turn on the pad in the office" is closest to "turn on the lights in the
    office": the sentence match swapped an unknown noun for a device class,
    a guess about *what* to switch, not a blurred verb ("talk on the kitchen
    light") or a blurred name ("mess lamp"). A word put in place of a heard
    word that sounds like it is not a guess. Plurals count as heard.
    """
    heard_stems = {word.removesuffix("s") for word in heard.words}
    repaired_stems = {word.removesuffix("s") for word in normalize(repaired)[0].split()}
    dropped = heard_stems - repaired_stems
    return frozenset(
        word
        for word in repaired_stems - heard_stems - FRAME_STEMS
        if not any(similarity(old, word) >= SOUNDS_ALIKE for old in dropped)
    )


def supplies_the_action(heard: Heard, repaired: str) -> bool:
    """The repair adds the action to a sentence that names none ("halve the lamp" -> "turn off").

    Heard without a command verb or an on/off/up/down, the sentence asks for
    something HA's sentences have no words for; the nearest of them is then a
    guess at what to do, not at a misheard word. A model, when there is one,
    reads such a sentence better than "Did you mean ...?" does.
    """
    heard_words = set(heard.words)
    if heard_words & (COMMAND_VERBS | DIRECTIONS):
        return False
    return bool(set(normalize(repaired)[0].split()) & (COMMAND_VERBS | DIRECTIONS))


def narrows_a_catch_all(heard: Heard, repaired: str) -> bool:
    """The repair swaps "everything" (or "anything", "stuff") for one kind of device.

    HA's sentences have no "everything in the office"; the nearest one is
    "turn on the lights in the office", a guess at *which* devices that
    leaves the fan off. The model, with the office's devices in its prompt,
    reads the request as it was said.
    """
    gone = set(heard.words) - set(normalize(repaired)[0].split())
    return bool(gone & _CATCH_ALLS)


def flips_action(heard: Heard, repaired: str) -> bool:
    """The repair says the opposite of a word that was heard ("unlock" -> "lock").

    The nearest sentence to "unlock the front door" is "lock the front door":
    one syllable apart, and the opposite action. A misheard name is repaired
    at once; a reversed action is a guess and is asked first.
    """
    heard_words = set(heard.words)
    repaired_words = set(normalize(repaired)[0].split())
    lost, gained = heard_words - repaired_words, repaired_words - heard_words
    return any(
        (one in lost and other in gained) or (other in lost and one in gained)
        for one, other in OPPOSITES
    )
