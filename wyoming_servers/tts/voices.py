"""The voices this server can actually speak with, loaded once and shared.

wyoming-piper advertises voices it cannot load, and HA's default pipeline
may pick one of them and fail. Here a voice is listed only after its model
loaded and its config parsed: the default voice (bundled name or an
``.onnx`` path) plus every valid ``NAME.onnx`` + ``NAME.onnx.json`` pair in
``--voices-dir``. Requests name a voice; the name is looked up in this
catalogue only, so no path ever comes from the wire.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

import onnxruntime  # type: ignore[import-untyped]
from piper import SynthesisConfig

from wyoming_servers.core.errors import BadEventDataError
from wyoming_servers.models import PiperVoiceFiles, resolve_piper_voice

from .engine import SentencePieces
from .engine_choice import VoiceEngines

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

_LOGGER = logging.getLogger(__name__)

MIN_RATE = 8000
MAX_RATE = 48000
# Prosody ranges piper voices stay intelligible in; outside them is a bad request.
LENGTH_SCALE_RANGE = (0.25, 4.0)
NOISE_SCALE_RANGE = (0.0, 2.0)


class UnknownVoiceError(BadEventDataError):
    """The request names a voice or speaker that is not installed."""

    code = "unknown-voice"


@dataclass(frozen=True, slots=True)
class Prosody:
    """Resolved synthesis parameters (never None: they are part of cache keys)."""

    length_scale: float
    noise_scale: float
    noise_w_scale: float

    def __post_init__(self) -> None:
        """Refuse values outside the ranges a voice stays intelligible in."""
        checks = (
            ("length_scale", self.length_scale, LENGTH_SCALE_RANGE),
            ("noise_scale", self.noise_scale, NOISE_SCALE_RANGE),
            ("noise_w_scale", self.noise_w_scale, NOISE_SCALE_RANGE),
        )
        for name, value, (low, high) in checks:
            if not math.isfinite(value) or not low <= value <= high:
                raise BadEventDataError(f"{name} must be in [{low}, {high}], got {value}")


@dataclass(frozen=True, slots=True)
class Voice:
    """A loaded voice and what ``describe`` says about it."""

    name: str
    files: PiperVoiceFiles
    engines: VoiceEngines = field(repr=False, compare=False)
    sample_rate: int
    languages: tuple[str, ...]
    speakers: dict[str, int]
    num_speakers: int
    defaults: Prosody

    def speaker_id(self, speaker: str | None) -> int | None:
        """Map a speaker name (or decimal id) to an id; None for one-speaker voices."""
        if speaker is None or self.num_speakers <= 1:
            return None
        if speaker in self.speakers:
            return self.speakers[speaker]
        if speaker.isdecimal() and int(speaker) < self.num_speakers:
            return int(speaker)
        raise UnknownVoiceError(f"voice {self.name!r} has no speaker {speaker[:64]!r}")


def _read_config(files: PiperVoiceFiles) -> dict[str, Any]:
    config = json.loads(files.config.read_text(encoding="utf-8"))
    if not isinstance(config, dict):
        raise TypeError("voice config is not a JSON object")
    rate = config.get("audio", {}).get("sample_rate")
    if not isinstance(rate, int) or not MIN_RATE <= rate <= MAX_RATE:
        raise ValueError(f"voice config has an invalid sample_rate {rate!r}")
    return config


def _languages(name: str, config: dict[str, Any]) -> tuple[str, ...]:
    language = config.get("language")
    code = language.get("code") if isinstance(language, dict) else None
    if isinstance(code, str) and code:
        return (code,)
    return (name.split("-", 1)[0],)


class CudaUnavailableError(RuntimeError):
    """``--use-cuda`` was asked for but onnxruntime has no CUDA provider."""


def check_cuda() -> None:
    """Fail at start-up rather than silently running on the CPU."""
    providers = onnxruntime.get_available_providers()
    if "CUDAExecutionProvider" not in providers:
        raise CudaUnavailableError(
            "--use-cuda needs onnxruntime-gpu and a CUDA device; onnxruntime offers only "
            + ", ".join(providers)
        )


def load_voice(
    files: PiperVoiceFiles, *, use_cuda: bool = False, concurrent: bool = False, stream: bool = True
) -> Voice:
    """Load one voice and warm it up (an engine's first run is ~2x slower)."""
    if use_cuda:
        check_cuda()
    config = _read_config(files)
    engines = VoiceEngines.load(
        files.model, config, use_cuda=use_cuda, concurrent=concurrent, stream=stream
    )
    piper = engines.polite.piper
    speakers = {str(k): int(v) for k, v in piper.config.speaker_id_map.items()}
    voice = Voice(
        name=files.name,
        files=files,
        engines=engines,
        sample_rate=piper.config.sample_rate,
        languages=_languages(files.name, config),
        speakers=speakers,
        num_speakers=piper.config.num_speakers,
        defaults=Prosody(
            piper.config.length_scale, piper.config.noise_scale, piper.config.noise_w_scale
        ),
    )
    for engine in engines.all():
        pieces = SentencePieces("Ready.", SynthesisConfig(), engines.gain)
        while not pieces.done:
            pieces.step(engine)
    return voice


class VoiceCatalogue:
    """Installed voices by name; the first one is the default."""

    def __init__(self, voices: list[Voice]) -> None:
        if not voices:
            raise ValueError("no voice could be loaded")
        self._voices = {voice.name: voice for voice in voices}
        self.default = voices[0]

    @classmethod
    def discover(
        cls,
        default: str,
        voices_dir: Path | None = None,
        *,
        use_cuda: bool = False,
        concurrent: bool = False,
        stream: bool = True,
    ) -> VoiceCatalogue:
        """Load the default voice (must work) and every valid pair in ``voices_dir``."""
        load = partial(load_voice, use_cuda=use_cuda, concurrent=concurrent, stream=stream)
        voices = [load(resolve_piper_voice(default, voices_dir))]
        if voices_dir is not None:
            for model in sorted(voices_dir.glob("*.onnx")):
                name = model.stem
                if name == voices[0].name:
                    continue
                try:
                    voices.append(load(resolve_piper_voice(str(model))))
                except Exception as err:  # noqa: BLE001 - a broken voice is skipped, not fatal
                    _LOGGER.warning("skipping voice %s: %s", model, err)
        _LOGGER.info("voices installed: %s", ", ".join(v.name for v in voices))
        return cls(voices)

    def __iter__(self) -> Iterator[Voice]:
        return iter(self._voices.values())

    def __len__(self) -> int:
        return len(self._voices)

    def get(self, name: str | None, language: str | None = None) -> Voice:
        """The voice called ``name``; else the first for ``language``; else the default.

        Names are looked up, never opened: a path is just an unknown name.
        """
        if name is None:
            if language:
                wanted = language.replace("-", "_").lower()
                for candidate in self._voices.values():
                    codes = [code.lower() for code in candidate.languages]
                    if wanted in codes or wanted in {c.split("_", 1)[0] for c in codes}:
                        return candidate
            return self.default
        voice = self._voices.get(name)
        if voice is None:
            raise UnknownVoiceError(f"voice {name[:64]!r} is not installed")
        return voice
