"""Semantic endpointing: a satellite's turn ends at the first pause after a complete command.

The satellite's voice detector ends a session after ``silence_ms`` of quiet
(300 ms by default, enough for people who pause mid-sentence). Most of what
a household says is a short command the home knows, and for those the wait
is the largest part of the time to the answer (docs/latency.md). So, when
the speech-to-text server is ours, the speech-to-text entity asks it for the
words heard up to each pause (``pause_transcripts``, docs/asr.md): the server
sends them once its decode at a pause of 150 ms is done, while that pause
still goes on. When those words are a command HA's intents match strictly in
the satellite's area, every slot filled, the turn is over: the audio stream
of the pipeline ends at once (the final transcript is the same decode), and
the satellite hears ``end_of_speech``. Two more kinds of sentence are
complete: one the repair of misheard commands would run (not ask about)
as a sentence HA matches *using only words that were heard, or words in
place of heard words* ("is the mac door open", "talk on the kitchen light":
a word that sounds like a dropped one, or stands where it stood, one for
one; articles aside) ("what is the humidity in the bedroom" is HA's "what
is the bedroom humidity"; a repair that adds a word, such as "turn the
kitchen light" -> "turn *on* the kitchen light", could be a sentence still
being spoken), and one that names only an entity not exposed to Assist
(answered at once). Everything else waits for the satellite's silence as
before: a question for the model, an open request, a sentence that trails
off ("turn on the ...", "turn on the office and..."), a name that was
misheard.

The speech-to-text entity learns which satellite it is listening to through
``LISTENING``, set by the satellite's session task: HA runs the pipeline,
and the speech-to-text call inside it, in a task created from that one,
which copies its context (``tests/custom_components/local_voice/satellite/
test_endpointing.py`` fails if HA stops doing so; docs/ha-internals.md).
"""

from __future__ import annotations

import time
from contextvars import ContextVar
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import TYPE_CHECKING, Final

from ..const import (
    CONF_END_ON_COMMAND,
    CONF_SILENCE_MS,
    DEFAULT_CONFIRM,
    DEFAULT_END_ON_COMMAND,
    DEFAULT_LONG_SILENCE_MS,
    DEFAULT_SILENCE_MS,
    LOGGER,
)
from ..runtime import async_get_home
from ..understanding.local import unexposed_named
from ..understanding.names import similarity
from ..understanding.repair import SOUNDS_ALIKE, RepairAction, async_repair
from ..understanding.text import hear, normalize
from ..understanding.words import ARTICLES

if TYPE_CHECKING:
    import asyncio
    from collections.abc import Callable, Mapping
    from typing import Any

    from homeassistant.core import HomeAssistant

    from ..understanding.home import HomeUnderstanding
    from ..understanding.text import Heard
    from .session import Session

_MAX_HEARD_CHARS: Final = 300  # longer is not a command to end early on
_JOINING: Final = frozenset({"and", "or", "then", "but", "also", "plus"})


def silence_ms(options: Mapping[str, Any]) -> int:
    """The silence the satellite's VAD waits for.

    The user's choice when made; else, while complete commands end at once,
    the long silence (everything the satellite's VAD still ends is not a
    complete command yet: a pause mid-sentence, a question for the model);
    else the 300 ms that suits a satellite that ends every command itself.
    Always sent, so that turning the option off takes the long silence back.
    """
    if (chosen := options.get(CONF_SILENCE_MS)) is not None:
        return int(chosen)
    if options.get(CONF_END_ON_COMMAND, DEFAULT_END_ON_COMMAND):
        return DEFAULT_LONG_SILENCE_MS
    return DEFAULT_SILENCE_MS


@dataclass
class Listening:
    """One session the speech-to-text entity is hearing, and what to do when it is complete."""

    hass: HomeAssistant
    session: Session
    device_id: str | None
    satellite_id: str | None
    area_id: str | None
    on_complete: Callable[[Session, str], None]
    language: str = "en"  # the pipeline's, set by the speech-to-text entity
    ended_at: float | None = None  # monotonic time the command was judged complete
    _judging: asyncio.Task[None] | None = field(default=None, repr=False)

    def heard(self, text: str) -> None:
        """The words heard up to a pause that still goes on (from the speech-to-text entity)."""
        if self.ended_at is not None or self.session.closed:
            return
        if self._judging is not None:
            self._judging.cancel()  # newer words supersede
        self._judging = self.hass.async_create_task(
            self._judge(text.strip()), "local_voice_end_of_speech"
        )

    async def _judge(self, text: str) -> None:
        home = async_get_home(self.hass)
        if home is None or not text or len(text) > _MAX_HEARD_CHARS:
            return
        why = await self._complete(home, text)
        if why is None or self.session.closed or self.ended_at is not None:
            LOGGER.debug("Pause after %r: not a complete command, still listening", text)
            return
        self.ended_at = time.monotonic()
        LOGGER.debug("Pause after %r: a complete command (%s), session ends", text, why)
        self.on_complete(self.session, text)

    async def _complete(self, home: HomeUnderstanding, text: str) -> str | None:
        return await async_complete(
            self.hass,
            home,
            text,
            Where(self.language, self.device_id, self.satellite_id, self.area_id),
        )


@dataclass(frozen=True, slots=True)
class Where:
    """Who heard a sentence: the pipeline's language, the satellite and its area."""

    language: str = "en"
    device_id: str | None = None
    satellite_id: str | None = None
    area_id: str | None = None


async def async_complete(
    hass: HomeAssistant, home: HomeUnderstanding, text: str, where: Where
) -> str | None:
    """Why ``text`` is a complete command (the intent, or how it is known), else None."""
    if trails_off(text):
        return None
    recognizer = home.recognizer
    parse = await recognizer.async_parse_heard(
        text,
        where.language,
        device_id=where.device_id,
        satellite_id=where.satellite_id,
        area_id=where.area_id,
    )
    if parse is not None:
        return parse.intent
    heard = hear(text)
    if unexposed_named(home, heard) is not None:
        return "names an unexposed entity"
    return await _async_repaired(hass, home, heard, where)


async def _async_repaired(
    hass: HomeAssistant, home: HomeUnderstanding, heard: Heard, where: Where
) -> str | None:
    """The repair of ``heard`` when it runs at once and adds no word, else None."""
    user_input = home.recognizer.heard_input(
        heard.raw, where.language, device_id=where.device_id, satellite_id=where.satellite_id
    )
    if user_input is None:
        return None
    repair = await async_repair(hass, home, user_input, heard, DEFAULT_CONFIRM)
    if repair is None or repair.action is not RepairAction.RUN:
        return None  # no repair, or one that must ask "Did you mean ...?" first
    if added_words(heard, repair.candidate.text):
        return None  # the repair adds a word: the speaker may be about to say it
    return f"repaired to {repair.candidate.text!r}"


def trails_off(text: str) -> bool:
    """Whether ``text`` ends as a sentence that goes on: "Turn on the office and...".

    An ellipsis, or a last word that joins a next part, whatever the words
    before it say: "turn off the living room lamp and" is not the request.
    """
    text = text.strip()
    if text.endswith(("...", "\u2026")):
        return True
    words = text.casefold().rstrip(" .,;:!?-").split()
    return bool(words) and words[-1] in _JOINING


def added_words(heard: Heard, repaired: str) -> frozenset[str]:
    """Words of ``repaired`` that were not heard, nor put in place of a heard word.

    Plurals count as heard, and an article is never added. A word in place of
    a heard word is a misheard word, not an added one: the speaker said
    something there. It is in place of one when it sounds like a heard word
    that the repair dropped ("back" for "mac"), or when it stands where a
    dropped word stood, one for one ("turn" for "talk" in "talk on the
    kitchen light"). A word with no such heard word ("on" in "turn on the
    kitchen light" for "turn the kitchen light") may still be coming.
    """
    heard_stems = [word.removesuffix("s") for word in heard.words]
    repaired_stems = [w.removesuffix("s") for w in normalize(repaired)[0].split()]
    dropped = [word for word in heard_stems if word not in repaired_stems]
    unmatched: list[int] = []  # positions in repaired_stems of words not heard
    for index, word in enumerate(repaired_stems):
        if word in heard_stems:
            continue
        alike = next((old for old in dropped if similarity(old, word) >= SOUNDS_ALIKE), None)
        if alike is None:
            unmatched.append(index)
        else:
            dropped.remove(alike)  # each heard word stands for one repaired word
    unmatched = [i for i in unmatched if repaired_stems[i] not in ARTICLES]
    in_place = _in_place(heard_stems, repaired_stems, dropped, unmatched)
    return frozenset(repaired_stems[i] for i in unmatched if i not in in_place)


def _in_place(
    heard: list[str], repaired: list[str], dropped: list[str], unmatched: list[int]
) -> set[int]:
    """Which ``unmatched`` positions of ``repaired`` stand where a dropped heard word stood.

    One for one, in order, within each stretch the two word lists differ in.
    Heard articles stand for nothing.
    """
    left = [word for word in dropped if word not in ARTICLES]
    matcher = SequenceMatcher(a=heard, b=repaired, autojunk=False)
    in_place: set[int] = set()
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "replace":
            continue
        free = iter(j for j in range(j1, j2) if j in unmatched)
        for word in heard[i1:i2]:
            if word not in left:
                continue
            if (j := next(free, None)) is None:
                break
            in_place.add(j)
            left.remove(word)  # each heard word stands for one repaired word
    return in_place


LISTENING: ContextVar[Listening | None] = ContextVar("local_voice_listening", default=None)
