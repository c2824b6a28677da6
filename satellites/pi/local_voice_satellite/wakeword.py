"""On-device wake words with microWakeWord models from ``pymicro-wakeword``.

The satellite runs alone on a Pi, so the models are found inside the
``pymicro_wakeword`` package itself (okay_nabu, hey_jarvis, hey_mycroft,
alexa ship with it) or in an extra folder of ``<id>.json`` + ``<id>.tflite``
manifests. Which ones listen is set from HA at run time; the audio features
are computed once per frame and shared by every active model.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

import pymicro_wakeword
from pymicro_wakeword import MicroWakeWord, MicroWakeWordFeatures

if TYPE_CHECKING:
    from collections.abc import Iterable

_LOGGER = logging.getLogger(__name__)
BUILTIN_MODELS_DIR: Final = Path(pymicro_wakeword.__file__).resolve().parent / "models"
REFRACTORY_SECONDS: Final = 1.0  # one utterance of a wake word triggers once


class WakeWordError(ValueError):
    """An unknown wake word or an unreadable model manifest."""


@dataclass(frozen=True, slots=True)
class WakeWordModel:
    """A wake word that can be activated."""

    id: str
    name: str
    manifest: Path


def available_wake_words(extra_dir: Path | None = None) -> dict[str, WakeWordModel]:
    """Every microWakeWord manifest bundled with pymicro-wakeword (plus ``extra_dir``)."""
    found: dict[str, WakeWordModel] = {}
    for folder in (BUILTIN_MODELS_DIR, extra_dir):
        if folder is None:
            continue
        for manifest in sorted(folder.glob("*.json")):
            try:
                meta = json.loads(manifest.read_text(encoding="utf-8"))
            except (OSError, ValueError) as err:
                _LOGGER.warning("skipping wake word manifest %s: %s", manifest, err)
                continue
            if not isinstance(meta, dict) or meta.get("type") != "micro":
                continue
            model_file = manifest.parent / str(meta.get("model", ""))
            if not model_file.is_file():
                _LOGGER.warning("skipping %s: model file %s is missing", manifest, model_file)
                continue
            name = str(meta.get("wake_word") or manifest.stem)[:100]
            found[manifest.stem] = WakeWordModel(manifest.stem, name, manifest)
    return found


class WakeWordDetector:
    """Feeds 10 ms frames to the active models; returns the id that fired."""

    def __init__(self, active: Iterable[str], extra_dir: Path | None = None) -> None:
        self.available = available_wake_words(extra_dir)
        self._loaded: dict[str, MicroWakeWord] = {}
        self._features = MicroWakeWordFeatures()
        self._active: tuple[str, ...] = ()
        self._frames_since_fire = 10**9
        self.last_score: float | None = None  # the model's probability when it last fired
        self.set_active(active)

    @property
    def active(self) -> tuple[str, ...]:
        """Ids of the listening wake words."""
        return self._active

    def set_active(self, ids: Iterable[str]) -> None:
        """Activate exactly ``ids`` (loading models on first use)."""
        wanted = tuple(dict.fromkeys(ids))
        if unknown := [i for i in wanted if i not in self.available]:
            raise WakeWordError(
                f"unknown wake word(s) {unknown}; available: {sorted(self.available)}"
            )
        for wake_id in wanted:
            if wake_id not in self._loaded:
                self._loaded[wake_id] = MicroWakeWord.from_config(self.available[wake_id].manifest)
        self._active = wanted
        self.reset()
        _LOGGER.info("active wake words: %s", ", ".join(wanted) or "(none)")

    def process(self, frame: bytes) -> str | None:
        """Feed one frame of 16 kHz mono s16le; the id of a detected wake word, or None."""
        if not self._active:
            return None
        self._frames_since_fire += 1
        fired: str | None = None
        score = 0.0
        for features in self._features.process_streaming(frame):
            for wake_id in self._active:
                model = self._loaded[wake_id]
                prob = model.process_streaming_prob(features)
                if prob is not None and prob > model.probability_cutoff and fired is None:
                    fired, score = wake_id, float(prob)
        if fired is None or self._frames_since_fire * 0.01 < REFRACTORY_SECONDS:
            return None
        self._frames_since_fire = 0
        self.last_score = score
        return fired

    def reset(self) -> None:
        """Forget audio heard so far (after a session, before listening again)."""
        self._features.reset()
        for wake_id in self._active:
            self._loaded[wake_id].reset()
