"""The answers a house hears all day, put in the cache while the server is idle.

Home Assistant's intents answer with a few dozen fixed sentences ("Turned on
the light", "Locked", "Temperature set to 21 degrees"). Each costs one model
run the first time (60-130 ms on 2 cores, more under load) and nothing once
cached, so after a restart the server synthesizes them in the background
with the default voice and prosody, at the lowest priority: a real request's
sentences always go first, and at most one warm-up sentence is ever queued.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Final

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
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if len(line) > MAX_ANSWER_CHARS:
            raise ValueError(f"{path}:{number}: an answer longer than {MAX_ANSWER_CHARS} chars")
        answers.append(line)
    if len(answers) > MAX_ANSWERS:
        raise ValueError(f"{path}: more than {MAX_ANSWERS} answers")
    return answers


async def warm_answers(synthesizer: Synthesizer, request: VoiceRequest, answers: list[str]) -> int:
    """Synthesize every sentence of ``answers`` into the cache; returns how many were new."""
    began = time.perf_counter()
    new = 0
    for answer in answers:
        for sentence in split_sentences(answer):
            audio = await synthesizer.sentence(
                request, sentence, ticket=synthesizer.ticket(), first=False, background=True
            )
            new += not audio.cached
    _LOGGER.info(
        "cached %d common answers (%d new) in %.1f s",
        len(answers),
        new,
        time.perf_counter() - began,
    )
    return new
