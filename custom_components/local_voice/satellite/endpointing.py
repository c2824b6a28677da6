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
the satellite hears ``end_of_speech``. Everything else waits for the
satellite's silence as before: a question for the model, an open request, a
sentence that trails off ("turn on the ..."), a name that was misheard.

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
from typing import TYPE_CHECKING, Final

from ..const import LOGGER
from ..runtime import async_get_home

if TYPE_CHECKING:
    import asyncio
    from collections.abc import Callable

    from homeassistant.core import HomeAssistant

    from .session import Session

_MAX_HEARD_CHARS: Final = 300  # longer is not a command to end early on


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
        parse = await home.recognizer.async_parse_heard(
            text,
            self.language,
            device_id=self.device_id,
            satellite_id=self.satellite_id,
            area_id=self.area_id,
        )
        if parse is None or self.session.closed or self.ended_at is not None:
            LOGGER.debug("Pause after %r: not a complete command, still listening", text)
            return
        self.ended_at = time.monotonic()
        LOGGER.debug("Pause after %r: a complete command (%s), session ends", text, parse.intent)
        self.on_complete(self.session, text)


LISTENING: ContextVar[Listening | None] = ContextVar("local_voice_listening", default=None)
