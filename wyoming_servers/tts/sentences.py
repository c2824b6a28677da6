"""Split text into sentences, including text that arrives a few words at a time.

An LLM streams its answer as small deltas. To speak the first sentence while
the rest is still being written, :class:`SentenceStream` emits each sentence
as soon as its end is certain: a terminator (``.``, ``!``, ``?``, ...)
followed by whitespace. A terminator at the very end of the buffer is not
enough ("3." may become "3.5"), so the last sentence waits for more text or
for :meth:`SentenceStream.finish`.

The same rules split a whole text (:func:`split_sentences`), so a sentence
produces the same cache key whether it arrived streamed or in one piece.
"""

from __future__ import annotations

import re
from typing import Final

# Common abbreviations whose period does not end a sentence.
_ABBREVIATIONS: Final = frozenset(
    {"mr", "mrs", "ms", "dr", "st", "vs", "etc", "e.g", "i.e", "no", "approx", "jr", "sr"}
)
# A sentence end: terminators (with closing quotes/brackets) then whitespace.
_END: Final = re.compile(r"[.!?\u3002\uff01\uff1f\u2026]+[\"')\]\u201d\u2019]*(?=\s)")
# Very long text without terminators is cut at a clause boundary past this length,
# so a run-on answer still starts speaking early.
MAX_SENTENCE_CHARS: Final = 400
_CLAUSE: Final = re.compile(r"[,;:]\s")
_SPACE: Final = re.compile(r"\s+")


def _normalise(sentence: str) -> str:
    """Collapse whitespace so equal sentences give equal cache keys."""
    return _SPACE.sub(" ", sentence).strip()


def _is_real_end(text: str, match: re.Match[str]) -> bool:
    """Reject periods after abbreviations, initials and inside numbers."""
    if text[match.start()] != ".":
        return True
    word = text[: match.start()].rsplit(maxsplit=1)
    last = word[-1].lower() if word else ""
    return last not in _ABBREVIATIONS and not (len(last) == 1 and last.isalpha())


def _cut_point(text: str) -> int | None:
    """Index just past the first real sentence end in ``text``, if any."""
    for match in _END.finditer(text):
        if _is_real_end(text, match):
            return match.end()
    if len(text) > MAX_SENTENCE_CHARS:
        clauses = [m.end() for m in _CLAUSE.finditer(text, 0, MAX_SENTENCE_CHARS)]
        if clauses:
            return clauses[-1]
        space = text.rfind(" ", 0, MAX_SENTENCE_CHARS)
        return space if space > 0 else MAX_SENTENCE_CHARS
    return None


class SentenceStream:
    """Accumulates text deltas and hands out complete sentences."""

    def __init__(self) -> None:
        self._buffer = ""

    def add(self, text: str) -> list[str]:
        """Add a delta; return the sentences it completed (possibly none)."""
        self._buffer += text
        sentences: list[str] = []
        while (cut := _cut_point(self._buffer)) is not None:
            sentence = _normalise(self._buffer[:cut])
            self._buffer = self._buffer[cut:]
            if sentence:
                sentences.append(sentence)
        return sentences

    def finish(self) -> list[str]:
        """The text is complete: return whatever sentence is left."""
        rest = _normalise(self._buffer)
        self._buffer = ""
        return [rest] if rest else []

    @property
    def pending_chars(self) -> int:
        """Characters waiting for their sentence to end."""
        return len(self._buffer)


def split_sentences(text: str) -> list[str]:
    """Split a whole text with the same rules as the stream."""
    stream = SentenceStream()
    return stream.add(text) + stream.finish()
