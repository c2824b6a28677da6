"""The one module that talks to HA's intent recogniser (and the HA internals it needs).

Local Voice matches sentences with HA's own intents in two ways:
- ``async_handle``: HA's public ``conversation.async_handle_intents`` (strict
  matching on exposed entities), with a filter that sees every match before
  it runs, so risky actions and questions parsed as actions can be held;
- ``async_parse``: a strict parse *without* running anything, for the repair
  of misheard commands (each candidate must be a sentence HA understands) and
  for the warm-up. HA has no public API for this: it calls the default
  agent's ``async_recognize_intent(user_input, strict_intents_only=True)``
  and reads hassil's ``RecognizeResult`` (``intent.name``, ``entities_list``).
  ``tests/custom_components/local_voice/understanding/test_recognizer.py``
  checks those names and signatures, so it fails on the day HA changes them;
  ``docs/ha-internals.md`` lists them.

HA 2026.2's recogniser narrows the shared ``slot_lists["name"]`` to the names
of the sentence being matched and then matches in an executor thread that
reads the same dict: two recognitions at once can take each other's names,
the live sentence fails and HA caches the miss (a correctly heard "unlock the
front door" then goes to the repair, whose nearest sentence is "lock the front
door"). HA 2026.3+
no longer shares that dict. So every recognition Local Voice starts holds
one lock; a call nested in the same call chain does not wait for itself.

Strict parses are cached per vocabulary version and speaker area (the only
context HA's matcher uses); only successful parses are kept, since HA's name
lists may briefly lag ours after a registry change.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from hassil.recognize import RecognizeResult
from homeassistant.components import conversation
from homeassistant.components.conversation.agent_manager import async_get_agent
from homeassistant.components.conversation.default_agent import DefaultAgent
from homeassistant.core import Context

from ..const import LOGGER

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Iterable

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers import intent

MAX_PARSES: Final = 4096  # strict parses kept per vocabulary version (oldest dropped first)
WARM_LIMIT: Final = 2000  # sentences parsed ahead per version; larger homes fill on use
WARMUP_SENTENCE: Final = "what time is it"
_HELD: ContextVar[bool] = ContextVar("local_voice_recognition_held", default=False)


@dataclass(frozen=True, slots=True)
class Parse:
    """What HA's strict matcher made of a sentence: the intent and its slot values."""

    intent: str
    slots: dict[str, Any]


def parse_of(result: RecognizeResult) -> Parse:
    """The intent name and slot values of a hassil match."""
    return Parse(result.intent.name, {e.name: e.value for e in result.entities_list})


@dataclass
class Recognizer:
    """HA's intent recogniser for one ``hass``: one recognition at a time, parses cached."""

    hass: HomeAssistant
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    version: int = -1  # vocabulary version of the cached parses
    hits: int = 0
    misses: int = 0
    warmed_languages: set[str] = field(default_factory=set)
    _parses: OrderedDict[tuple[str, str | None], Parse] = field(default_factory=OrderedDict)

    @asynccontextmanager
    async def one_at_a_time(self) -> AsyncIterator[None]:
        """Hold the lock around one recognition (and the intent it may run)."""
        if _HELD.get():
            yield
            return
        async with self.lock:
            token = _HELD.set(True)
            try:
                yield
            finally:
                _HELD.reset(token)

    def default_agent(self) -> DefaultAgent | None:
        """HA's default conversation agent, when conversation is set up."""
        agent = async_get_agent(self.hass)
        return agent if isinstance(agent, DefaultAgent) else None

    async def async_handle(
        self,
        user_input: conversation.ConversationInput,
        chat_log: conversation.ChatLog,
        intent_filter: Callable[[Parse], bool] | None = None,
    ) -> intent.IntentResponse | None:
        """Match and run ``user_input`` with HA's intents; None when nothing matched.

        ``intent_filter`` sees each match and returns True to stop HA running it.
        """

        def hassil_filter(result: RecognizeResult) -> bool:
            return intent_filter is not None and intent_filter(parse_of(result))

        async with self.one_at_a_time():
            return await conversation.async_handle_intents(
                self.hass, user_input, chat_log, intent_filter=hassil_filter
            )

    async def async_parse(
        self, user_input: conversation.ConversationInput, area_id: str | None
    ) -> Parse | None:
        """HA's strict parse of ``user_input`` (from the cache when known)."""
        key = (" ".join(user_input.text.casefold().split()), area_id)
        if (known := self._parses.get(key)) is not None:
            self.hits += 1
            self._parses.move_to_end(key)
            return known
        self.misses += 1
        agent = self.default_agent()
        if agent is None:
            return None
        async with self.one_at_a_time():
            result = await agent.async_recognize_intent(user_input, strict_intents_only=True)
        if not isinstance(result, RecognizeResult):
            return None  # a miss is not kept: HA's lists may lag our vocabulary
        parse = parse_of(result)
        self._parses[key] = parse
        if len(self._parses) > MAX_PARSES:
            self._parses.popitem(last=False)
        return parse

    async def async_parse_heard(
        self,
        text: str,
        language: str,
        *,
        device_id: str | None,
        satellite_id: str | None,
        area_id: str | None,
    ) -> Parse | None:
        """HA's strict parse of ``text`` as heard by a satellite (its device and area)."""
        user_input = self.heard_input(
            text, language, device_id=device_id, satellite_id=satellite_id
        )
        return None if user_input is None else await self.async_parse(user_input, area_id)

    def heard_input(
        self, text: str, language: str, *, device_id: str | None, satellite_id: str | None
    ) -> conversation.ConversationInput | None:
        """``text`` as HA's default agent would get it from a satellite (None: no agent)."""
        agent = self.default_agent()
        if agent is None:
            return None
        return _input(text, language, agent, device_id=device_id, satellite_id=satellite_id)

    def forget_parses(self, version: int) -> bool:
        """Start the cache of vocabulary ``version``; False when it is already current."""
        if version == self.version:
            return False
        self.version = version
        self._parses.clear()
        return True

    async def async_warm_parses(self, version: int, sentences: Iterable[str]) -> None:
        """Parse ``sentences`` ahead (no speaker area), yielding between parses."""
        agent = self.default_agent()
        if agent is None:
            return
        language = self.hass.config.language or "en"
        for count, sentence in enumerate(sentences):
            if self.version != version or count >= WARM_LIMIT:
                return  # a newer vocabulary took over
            if (sentence, None) not in self._parses:
                await self.async_parse(_input(sentence, language, agent), None)
                self.misses -= 1  # warming is not a miss of a real repair
            await asyncio.sleep(0)

    async def async_warm(self, language: str | None = None) -> float:
        """Load HA's intents and run one recognition now; seconds taken (0.0 if done).

        HA loads its sentence templates and builds the name lists on the first
        sentence it sees (0.9 s on a loaded 2-core machine instead of ~10 ms):
        doing it at start-up keeps the user's first command fast. Recognition
        only: nothing runs, nothing changes in the home.
        """
        language = language or self.hass.config.language
        agent = self.default_agent()
        if agent is None or language in self.warmed_languages:
            return 0.0
        self.warmed_languages.add(language)
        began = time.perf_counter()
        try:
            await conversation.async_prepare_agent(self.hass, None, language)
            async with self.one_at_a_time():
                await agent.async_recognize_intent(_input(WARMUP_SENTENCE, language, agent))
        except Exception:
            self.warmed_languages.discard(language)
            raise
        seconds = time.perf_counter() - began
        LOGGER.info("Intent matcher for %s warmed up in %.2f s", language, seconds)
        return seconds


def _input(
    text: str,
    language: str,
    agent: DefaultAgent,
    *,
    device_id: str | None = None,
    satellite_id: str | None = None,
) -> conversation.ConversationInput:
    return conversation.ConversationInput(
        text=text,
        context=Context(),
        conversation_id=None,
        device_id=device_id,
        satellite_id=satellite_id,
        language=language,
        agent_id=agent.entity_id or conversation.HOME_ASSISTANT_AGENT,
    )
