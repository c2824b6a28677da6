"""What of a model's streamed answer may be spoken, and when.

Answer text goes into HA's chat log as it arrives, so speech starts on the
first words. Two kinds of answer must not be spoken, and both are visible at
the start:
- a tool call written as JSON (``{``, a code fence, ``<tool_call>``): held
  until it is clear, then run as a call (``tool_calls.recover_calls``);
- a call *described* instead of made, the commonest slip of small models:
  "To turn off the bedroom light, you can use the `HassTurnOff` function with
  the arguments {...}". An answer that begins like that ("To ...", "You can
  ...") is held until its first sentence ends; if that sentence names a tool
  (or quotes code), the whole answer is held and never spoken. So is an
  answer that begins with a tool's name ("HassTurnOff kitchen"). The agent then
  runs the described call when the text gives it with JSON arguments
  (``described_call``), or asks the model once more for the call itself.
A third kind shows only where its sentence ends: a change claimed in words
("Garage Door is now open.", ``claims.claims_a_change``). With ``claims`` on
(a command, before anything changed), prose passes a whole sentence at a
time, and a claim is held with everything after it; the agent judges it
against the calls that ran. Text to speech loses nothing by
it: HA's pipeline starts speaking a streamed answer after its first 60
characters, and streaming voices (ours included, ``docs/tts.md``) make a
sentence's audio once the sentence's text is complete.
Without ``claims``, every other answer streams word by word, unless
``instructions`` are given: then prose passes a sentence at a time too, and a
sentence that repeats the instructions (six words in a row of them, as the
1.5B did: "The user asked a question: do not change anything.") is never
spoken (``echoes``).
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any, Final

from .backend import ToolCall
from .claims import claims_a_change
from .tool_calls import may_be_call, repair_arguments

if TYPE_CHECKING:
    from collections.abc import Collection

HOLD_MARKS: Final = ("{", "```", "<tool_call>")
# How answers that describe a call begin (lower case).
DESCRIBING_STARTS: Final = ("to ", "you can ", "you could ", "use ", "call ", "i can use ")
_SENTENCE_END: Final = re.compile(r"[.!?:](\s|$)|\n")
_SENTENCE_BREAK: Final = re.compile(r"[.!?]+\s+|\n+")  # a sentence of prose is over
_OBJECT: Final = re.compile(r"\{.*\}", re.DOTALL)
ASK_FOR_THE_CALL: Final = (
    "Do not describe the tool call and do not explain: answer only with the tool call itself."
)


def may_describe(text: str) -> bool:
    """True while ``text`` could still be the start of an answer that describes a call."""
    lower = text.lstrip().lower()
    return any(lower.startswith(s) or s.startswith(lower) for s in DESCRIBING_STARTS)


def _introduces(text: str) -> bool:
    """A first sentence that ends in a colon: "To do that, use the following commands:"."""
    end = _SENTENCE_END.search(text)
    return end is not None and end.group(0).startswith(":")


ECHO_WORDS: Final = 6  # this many words in a row, as in the instructions, are an echo
_WORD: Final = re.compile(r"[a-z0-9']+")
_ABOUT_THE_USER: Final = re.compile(r"\s*the user(?:'s)?\b", re.IGNORECASE)


def word_runs(text: str) -> frozenset[tuple[str, ...]]:
    """Every ``ECHO_WORDS`` words in a row of ``text`` (lower case, punctuation ignored)."""
    words = _WORD.findall(text.lower())
    return frozenset(tuple(words[i : i + ECHO_WORDS]) for i in range(len(words) - ECHO_WORDS + 1))


def echoes(sentence: str, instructions: frozenset[tuple[str, ...]]) -> bool:
    """The sentence repeats ``ECHO_WORDS`` words in a row of the instructions.

    Or it speaks of "the user": an answer is said to the user, and one about
    them retells the instructions in other words (the 1.5B, for "how come
    this is a bedroom": "The user is asking about the bedroom, which is a
    room in the kitchen area.").
    """
    return _ABOUT_THE_USER.match(sentence) is not None or not word_runs(sentence).isdisjoint(
        instructions
    )


def names_a_tool(text: str, tools: Collection[str]) -> bool:
    """True when ``text`` names one of ``tools`` or quotes code (a backtick)."""
    return "`" in text or any(name in text for name in tools)


class TextGate:
    """Passes answer text on as it comes, holding back calls written or described as text.

    After prose has started, text from a call mark on waits too (a model may
    write "Sure!" and then the call). With ``claims``, prose passes sentence
    by sentence, and from the first sentence that claims a change on it is
    kept in ``claim`` instead.
    """

    def __init__(
        self,
        tools: Collection[str] = (),
        *,
        claims: bool = False,
        instructions: frozenset[tuple[str, ...]] = frozenset(),
    ) -> None:
        self.tools = tools
        self.claims = claims
        self.instructions = instructions  # ``word_runs`` of the prompt: not to be repeated
        self.echoed = False  # a sentence repeated the instructions (and was not passed on)
        self.held = ""
        self.sentence = ""  # prose of a sentence not judged yet (with ``claims``)
        self.claim = ""  # from a sentence that claims a change on: never let through
        self.streaming = False
        self.described = False  # the answer describes a tool call: none of it is spoken

    def feed(self, text: str) -> str:
        """Add ``text``; return what may be spoken now."""
        if self.streaming and not self.held:
            marks = [i for m in HOLD_MARKS if (i := text.find(m)) >= 0]
            if not marks:
                return self._judge(text)
            self.held = text[min(marks) :]
            return self._judge(text[: min(marks)])
        self.held += text
        if self.streaming or self.described or may_be_call(self.held):
            return ""
        if may_describe(self.held) or self._may_start_with_a_tool(self.held):
            if not _SENTENCE_END.search(self.held):
                return ""  # wait for the first sentence
            if names_a_tool(self.held, self.tools) or _introduces(self.held):
                self.described = True
                return ""
        self.streaming = True
        out, self.held = self.held, ""
        return self._judge(out)

    def _judge(self, prose: str) -> str:
        """What of ``prose`` may be spoken now: all of it, or whole sentences (see the class)."""
        if not self.claims and not self.instructions:
            return prose
        if self.claim:
            self.claim += prose
            return ""
        self.sentence += prose
        out = ""
        while (end := _SENTENCE_BREAK.search(self.sentence)) is not None:
            sentence, self.sentence = self.sentence[: end.end()], self.sentence[end.end() :]
            if echoes(sentence, self.instructions):
                self.echoed = True
                continue
            if self.claims and claims_a_change(sentence):
                self.claim, self.sentence = sentence + self.sentence, ""
                break
            out += sentence
        return out

    def _may_start_with_a_tool(self, text: str) -> bool:
        """The answer is, or may still become, a tool's name ("HassTurnOff kitchen")."""
        start = text.lstrip()
        return any(name.startswith(start) or start.startswith(name) for name in self.tools)

    def rest(self) -> str:
        """At the end of the answer: held text that is plain prose after all ("" if none)."""
        if self.described or not self.held.strip():
            return ""
        if self.streaming:
            return self.held
        describes = may_describe(self.held) or self._may_start_with_a_tool(self.held)
        if describes and names_a_tool(self.held, self.tools):
            self.described = True
            return ""
        return "" if may_be_call(self.held) else self.held

    def end(self, prose: str = "") -> str:
        """At the end of the answer: what of the unjudged prose, and ``prose``, may be spoken."""
        out = self._judge(prose)
        last, self.sentence = self.sentence, ""
        if echoes(last, self.instructions):
            self.echoed = True
            return out
        if self.claim or (self.claims and last.strip() and claims_a_change(last)):
            self.claim += last
            return out
        return out + last


def described_call(text: str, schemas: dict[str, Any]) -> ToolCall | None:
    """The one call a described answer spells out: one tool named, JSON arguments given.

    None when the text names no tool or several, or gives no JSON object of
    arguments; the guard still checks what is returned, like any other call.
    """
    named = [name for name in schemas if re.search(rf"\b{re.escape(name)}\b", text)]
    if len(named) != 1 or not (found := _OBJECT.search(text)):
        return None
    try:
        arguments = json.loads(found.group(0))
    except json.JSONDecodeError:
        return None
    if not isinstance(arguments, dict):
        return None
    if isinstance(arguments.get("arguments"), dict):  # {"name": ..., "arguments": {...}}
        arguments = arguments["arguments"]
    return ToolCall(named[0], repair_arguments(arguments))
