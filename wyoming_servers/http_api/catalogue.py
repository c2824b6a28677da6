"""Models and voices the Wyoming servers actually have, asked by ``describe``.

The gateway keeps no list of its own: names come from the servers' ``info``
(cached for a few seconds), so ``/v1/models`` never lists what cannot be
used, and a request naming something unknown is refused before any
connection to a server is spent on it. OpenAI's own names (``whisper-1``,
``tts-1``, ``alloy``...) are accepted as aliases of the servers' defaults,
so existing clients work unchanged.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from .errors import bad_request

if TYPE_CHECKING:
    from wyoming.info import Info

    from .upstream import Upstream

TRANSCRIPTION_ALIASES: Final = frozenset(
    {"whisper-1", "gpt-4o-transcribe", "gpt-4o-mini-transcribe"}
)
SPEECH_ALIASES: Final = frozenset({"tts-1", "tts-1-hd", "gpt-4o-mini-tts"})
OPENAI_VOICES: Final = frozenset(
    {
        "alloy", "ash", "ballad", "coral", "echo", "fable",
        "nova", "onyx", "sage", "shimmer", "verse",
    }
)  # fmt: skip
_TTL_SECONDS: Final = 5.0


@dataclass(frozen=True, slots=True)
class Names:
    """What one server offers right now."""

    asr_models: tuple[str, ...] = ()
    tts_voices: tuple[str, ...] = ()


def asr_model_names(info: Info) -> tuple[str, ...]:
    """Installed speech-to-text models in an ``info``."""
    return tuple(model.name for program in info.asr for model in program.models if model.installed)


def tts_voice_names(info: Info) -> tuple[str, ...]:
    """Installed voices in an ``info``."""
    return tuple(voice.name for program in info.tts for voice in program.voices if voice.installed)


class Catalogue:
    """Cached ``describe`` of both servers; raises 503 when one does not answer."""

    def __init__(self, asr: Upstream, tts: Upstream) -> None:
        self.asr = asr
        self.tts = tts
        self._cached: dict[str, tuple[float, tuple[str, ...]]] = {}
        self._lock = asyncio.Lock()

    async def _names(self, upstream: Upstream, *, fresh: bool = False) -> tuple[str, ...]:
        async with self._lock:
            hit = self._cached.get(upstream.name)
            if hit is not None and not fresh and time.monotonic() - hit[0] < _TTL_SECONDS:
                return hit[1]
        info = await upstream.describe()
        names = asr_model_names(info) if upstream is self.asr else tts_voice_names(info)
        async with self._lock:
            self._cached[upstream.name] = (time.monotonic(), names)
        return names

    async def asr_models(self, *, fresh: bool = False) -> tuple[str, ...]:
        """Installed speech-to-text models."""
        return await self._names(self.asr, fresh=fresh)

    async def tts_voices(self, *, fresh: bool = False) -> tuple[str, ...]:
        """Installed voices."""
        return await self._names(self.tts, fresh=fresh)

    async def transcription_model(self, model: str) -> str | None:
        """The model name to send (None: the server's default); 400 if unknown."""
        if model in TRANSCRIPTION_ALIASES:
            return None
        if model in await self.asr_models():
            return model
        raise bad_request(f"model {model[:64]!r} is not installed", "model", "model-not-found")

    async def speech_voice(self, model: str, voice: str) -> str | None:
        """The voice name to send (None: the default); 400 if model or voice is unknown."""
        voices = await self.tts_voices()
        if model not in SPEECH_ALIASES and model not in voices:
            raise bad_request(f"model {model[:64]!r} is not available", "model", "model-not-found")
        if voice in OPENAI_VOICES:
            return None
        if voice in voices:
            return voice
        raise bad_request(f"voice {voice[:64]!r} is not installed", "voice", "voice-not-found")
