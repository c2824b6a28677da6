"""The answers a house hears all day, put in the cache before the server serves.

Home Assistant's intents answer with a few dozen fixed sentences ("Turned on
the light", "Locked", "Temperature set to 21 degrees"). Each costs one model
run the first time (60-130 ms on 2 cores, more under load) and nothing once
cached, so at start-up, before it accepts clients, the server synthesizes
them with the default voice and prosody (a few seconds on 2 cores,
logged). Warming in the background instead was measured to cost the
first requests up to one sentence's wait each, and is not done.
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Final

from wyoming_servers.core.line_lists import read_line_list

from .sentences import split_sentences

if TYPE_CHECKING:
    from .synthesizer import Synthesizer, VoiceRequest

_LOGGER = logging.getLogger(__name__)
DEFAULT_FILE: Final = Path(__file__).with_name("common_answers.txt")
MAX_ANSWERS: Final = 500
MAX_ANSWER_CHARS: Final = 200


def load_answers(path: Path) -> list[str]:
    """One answer per line; ``#`` starts a comment. Refuses absurd files with a clear error."""
    answers = []
    for number, line in read_line_list(path):
        if len(line) > MAX_ANSWER_CHARS:
            raise ValueError(f"{path}:{number}: an answer longer than {MAX_ANSWER_CHARS} chars")
        answers.append(line)
    if len(answers) > MAX_ANSWERS:
        raise ValueError(f"{path}: more than {MAX_ANSWERS} answers")
    return answers


async def warm_answers(synthesizer: Synthesizer, request: VoiceRequest, answers: list[str]) -> int:
    """Synthesize every sentence of ``answers`` into the cache; returns how many were new."""
    began = time.perf_counter()
    sentences = [s for answer in answers for s in split_sentences(answer)]
    playback = synthesizer.playback(background=True)
    results = [synthesizer.sentence(request, sentence, playback=playback) for sentence in sentences]
    await asyncio.gather(*(audio.pcm() for audio in results))
    new = sum(not audio.cached for audio in results)
    _LOGGER.info(
        "cached %d common answers (%d new) in %.1f s",
        len(answers),
        new,
        time.perf_counter() - began,
    )
    return new
