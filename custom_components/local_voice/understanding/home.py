"""What Local Voice knows about one home, kept current: vocabulary, lexicon, recogniser.

One ``HomeUnderstanding`` per ``hass``, made when the first Local Voice entry
is set up and stopped when the last one unloads (``runtime.py``). The
lexicon (name table and sentence index) is derived from the vocabulary and
rebuilt only when the vocabulary changed; on a rebuild the index's plain
sentences are parsed by HA ahead of use, in the background, so a repair
rarely waits for a parse.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from homeassistant.core import callback

from ..const import DOMAIN
from .names import NameTable
from .recognizer import Recognizer
from .sentences import SentenceIndex
from .text import NUMBER
from .vocabulary import HomeVocabulary

if TYPE_CHECKING:
    import asyncio

    from homeassistant.core import HomeAssistant

    from .vocabulary import Snapshot


@dataclass(frozen=True, slots=True)
class Lexicon:
    """Lookup structures of one vocabulary snapshot."""

    snapshot: Snapshot
    names: NameTable
    sentences: SentenceIndex


class HomeUnderstanding:
    """The vocabulary, its lexicon and HA's recogniser for one ``hass``."""

    def __init__(self, hass: HomeAssistant) -> None:
        self.hass = hass
        self.vocabulary = HomeVocabulary(hass)
        self.recognizer = Recognizer(hass)
        self._lexicon: Lexicon | None = None
        self._warming: asyncio.Task[None] | None = None

    @callback
    def async_start(self) -> None:
        """Follow names, areas and exposure."""
        self.vocabulary.async_start()

    @callback
    def async_stop(self) -> None:
        """Stop following them, and stop warming parses."""
        self.vocabulary.async_stop()
        if self._warming is not None:
            self._warming.cancel()
            self._warming = None

    def lexicon(self) -> Lexicon:
        """The lexicon of the current vocabulary (rebuilt, and its parses warmed, on change)."""
        snapshot = self.vocabulary.snapshot
        lexicon = self._lexicon
        if lexicon is None or lexicon.snapshot.version != snapshot.version:
            lexicon = self._lexicon = Lexicon(
                snapshot, NameTable(snapshot), SentenceIndex(snapshot)
            )
            if self.recognizer.forget_parses(snapshot.version):
                plain = [s for s in lexicon.sentences.sentences if NUMBER not in s]
                if self._warming is not None:
                    self._warming.cancel()
                self._warming = self.hass.async_create_background_task(
                    self.recognizer.async_warm_parses(snapshot.version, plain),
                    f"{DOMAIN} repair parses",
                )
        return lexicon
