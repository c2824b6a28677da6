"""HA's strict parse of repair candidates, cached per vocabulary version and area.

Every repair candidate must be parsed by HA's strict matcher before it may
run, and on this machine one parse costs 5 to 12 ms (36 ms for an area
command): with two or three candidates that alone broke the 20 ms target.
The candidates mostly come from the sentence index, a fixed list per
vocabulary version, so their parses are made once: in the background right
after the index is (re)built, and on first use for anything else (numbers,
name repairs). The key is the text and the area of the asking device, the
only context HA's matcher uses (``DefaultAgent._make_intent_context``); a
new vocabulary version (exposure, names, areas changed) empties the cache.
Only successful parses are kept: HA rebuilds its name lists on the same
registry events as our vocabulary, so right after a change a parse may
still fail on a name HA has not listed yet; that must not stick.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Final

from hassil.recognize import RecognizeResult
from homeassistant.components import conversation
from homeassistant.core import Context

from .recognition_lock import one_recognition

if TYPE_CHECKING:
    from collections.abc import Iterable

    from homeassistant.components.conversation.default_agent import DefaultAgent
    from homeassistant.core import HomeAssistant

MAX_ENTRIES: Final = 4096  # parses kept per vocabulary version (oldest dropped first)
WARM_LIMIT: Final = 2000  # sentences parsed ahead per version; larger homes fill on use


@dataclass(frozen=True, slots=True)
class Parse:
    """What HA's strict matcher made of a sentence: the intent and its slot values."""

    intent: str
    slots: dict[str, Any]


class ParseCache:
    """Strict parses of one vocabulary version, keyed by text and the device's area."""

    def __init__(self) -> None:
        self.version = -1
        self._parses: OrderedDict[tuple[str, str | None], Parse] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def reset(self, version: int) -> None:
        """Forget every parse: the names, areas or exposure changed."""
        self.version = version
        self._parses.clear()

    async def async_parse(
        self,
        agent: DefaultAgent,
        user_input: conversation.ConversationInput,
        area_id: str | None,
    ) -> Parse | None:
        """HA's strict parse of ``user_input`` (from the cache when known)."""
        key = (" ".join(user_input.text.casefold().split()), area_id)
        if (known := self._parses.get(key)) is not None:
            self.hits += 1
            self._parses.move_to_end(key)
            return known
        self.misses += 1
        async with one_recognition(agent.hass):  # see recognition_lock
            result = await agent.async_recognize_intent(user_input, strict_intents_only=True)
        parse = (
            Parse(result.intent.name, {e.name: e.value for e in result.entities_list})
            if isinstance(result, RecognizeResult)
            else None
        )
        if parse is not None:  # a miss is not kept: HA's lists may lag our vocabulary
            self._store(key, parse)
        return parse

    def _store(self, key: tuple[str, str | None], parse: Parse) -> None:
        self._parses[key] = parse
        if len(self._parses) > MAX_ENTRIES:
            self._parses.popitem(last=False)

    async def async_warm(
        self, hass: HomeAssistant, agent: DefaultAgent, version: int, sentences: Iterable[str]
    ) -> None:
        """Parse ``sentences`` ahead (no device area), yielding between parses."""
        template = conversation.ConversationInput(
            "", Context(), None, None, hass.config.language or "en", agent.entity_id or ""
        )
        for count, sentence in enumerate(sentences):
            if self.version != version or count >= WARM_LIMIT:
                return  # a newer vocabulary took over
            if (sentence, None) not in self._parses:
                await self.async_parse(agent, replace(template, text=sentence), None)
                self.misses -= 1  # warming is not a miss of a real repair
            await asyncio.sleep(0)
