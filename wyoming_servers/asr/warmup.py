"""One throw-away decode before the server announces itself ready.

The first decode of a process pays one-off costs (CTranslate2 allocations,
the tokenizer, the feature extractor's filters): measured on a loaded 2-core
machine with tiny.en and beam 5, 1.35 s for the first decode of ``cmd01``
against 1.24 s for the next ones. Paying it at start means the user's first
command is as fast as the tenth. The decode bypasses
:meth:`Transcriber.transcribe` so it never counts towards the real-time
factor that decides early decoding.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Final

import numpy as np

if TYPE_CHECKING:
    from .transcriber import Transcriber

_LOGGER = logging.getLogger(__name__)
WARMUP_SECONDS: Final = 1.0
_RATE: Final = 16000


def warm_up(transcriber: Transcriber) -> float:
    """Decode a second of faint noise with the server's settings; return seconds taken."""
    rng = np.random.default_rng(0)
    audio = (rng.standard_normal(int(WARMUP_SECONDS * _RATE)) * 0.003).astype(np.float32)
    began = time.perf_counter()
    segments, _info = transcriber.model.transcribe(
        audio,
        language="en" if transcriber.english_only else transcriber.config.language,
        beam_size=transcriber.config.beam_size,
        temperature=0.0,
        without_timestamps=True,
        condition_on_previous_text=False,
        vad_filter=False,
    )
    for _segment in segments:  # the decode runs while the generator is consumed
        pass
    seconds = time.perf_counter() - began
    _LOGGER.info("warm-up decode took %.2f s", seconds)
    return seconds
