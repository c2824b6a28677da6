"""The model path: stream the model's answer into HA's chat log, with a capped tool loop.

Text goes into the chat log as it arrives, so HA's pipeline (and our
satellites) can speak the first sentence while the model writes the rest.
Text that may be a tool call written as JSON, or a call described in prose,
is held back (``answer_gate``): a recovered call runs like a native one; a
described call without its arguments makes the model be asked once more for
the call itself; anything else that looks like JSON is an unreadable answer.
None of it is spoken. In a command, a sentence that claims a change
("Garage Door is now open.") is held too: when no call of the turn changed
anything, the model is asked once more for the call, like a described one.
Tool calls pass the ``ToolGuard``. Once a call changed something, the answer
is the states the tools really left behind (``report``), never the model's
words. When every state-changing call of a round succeeded, the loop stops
without asking the model again, unless the request has more parts than the
turn has made calls (``compound``). One deadline covers the whole answer;
every failure becomes a short spoken sentence and changes nothing more.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from enum import Enum, auto
from typing import TYPE_CHECKING, Any, Final

from homeassistant.components import conversation
from homeassistant.helpers import llm

from .. import compat
from ..const import BACKEND_OLLAMA, LOGGER, MAX_ANSWER_TOKENS, MAX_TOOL_ITERATIONS
from .answer_gate import ASK_FOR_THE_CALL, TextGate, described_call, word_runs
from .backend import (
    SPOKEN_TIMEOUT,
    ChatRequest,
    ModelAnswerError,
    ModelError,
    ModelRunawayError,
    ModelUnreachableError,
    Usage,
)
from .compound import request_parts, rest_of
from .guard import GUARD_MESSAGES
from .prompt import (
    VOICE_EXAMPLES,
    base_tokens,
    choose_num_ctx,
    estimate_tokens,
    mentions_time,
    messages_for_model,
    model_tools,
)
from .report import describe_current, report
from .tool_calls import embedded_calls, recover_calls, repair_arguments, unknown_tools

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from homeassistant.core import HomeAssistant

    from .backend import ChatChunk, ModelBackend, ToolCall
    from .guard import ToolGuard
    from .settings import AgentSettings

MAX_ANSWER_CHARS: Final = 4000  # beyond this the answer is runaway output
SPOKEN_CAP: Final = "Sorry, I could not finish that."
# A call described or claimed, but not made, even when asked once more.
SPOKEN_DESCRIBED: Final = "Sorry, I could not work out how to do that."
# The answer was empty, or only read out the instructions (``answer_gate.echoes``).
SPOKEN_NO_ANSWER: Final = "Sorry, I could not work that out."
# The answer when the model wrote a call of a tool it was not offered ("call a cab").
SPOKEN_CANNOT: Final = "I can't do that."
# After a round that did the request's first parts: what is left (``compound.rest_of``).
NEXT_PART: Final = "Done. Now the rest of the request: "


@dataclass(slots=True)
class ModelStats:
    """What the model path measured for one turn (for diagnostics and benchmarks)."""

    rounds: int = 0
    prompt_tokens_estimate: int = 0
    usage: list[Usage] = field(default_factory=list)
    first_token_s: float | None = None  # from the first request to the first chunk
    described: int = 0  # rounds whose answer described a tool call instead of making it
    claimed: int = 0  # rounds whose answer claimed a change that no call of the turn made
    echoed: int = 0  # rounds whose answer read out the instructions (not spoken)
    seconds: float | None = None  # from the first request to the last chunk of the last round


@dataclass(slots=True)
class ModelOutcome:
    """The spoken answer and whether it is an error."""

    speech: str
    error: str | None = None
    unreachable: bool = False  # the server did not answer at all
    cap_hit: bool = False
    stats: ModelStats = field(default_factory=ModelStats)
    timed_out: ChatRequest | None = None  # the request the deadline cut short, if any


@dataclass(frozen=True, slots=True)
class ModelTurn:
    """Everything one model answer needs."""

    hass: HomeAssistant
    backend: ModelBackend
    settings: AgentSettings
    user_input: conversation.ConversationInput
    chat_log: conversation.ChatLog
    guard: ToolGuard
    stable_prompt: str
    volatile_prompt: str
    issue_key: str  # names this agent's "prompt truncated" repair issue


class _End(Enum):
    """How the rounds of a turn ended."""

    ANSWERED = auto()  # the model answered, or the calls' results are the answer
    CAP = auto()  # MAX_TOOL_ITERATIONS rounds and the model still called tools
    UNMADE = auto()  # a call described or claimed twice, never made


async def async_run_model(turn: ModelTurn) -> ModelOutcome:
    """Ask the model (with tools when the chat log has an LLM API) and say what to speak."""
    stats = ModelStats()
    sent: list[ChatRequest] = []
    try:
        async with asyncio.timeout(turn.settings.timeout):
            end = await _rounds(turn, stats, sent)
    except TimeoutError:
        outcome = _failed(turn.guard, SPOKEN_TIMEOUT, "timeout", stats)
        outcome.timed_out = sent[-1] if sent else None
        return outcome
    except ModelError as err:
        outcome = _failed(turn.guard, err.spoken, f"{type(err).__name__}: {err}", stats)
        outcome.unreachable = isinstance(err, ModelUnreachableError)
        return outcome
    cap_hit = end is _End.CAP
    last = turn.chat_log.content[-1]
    model_text = last.content if isinstance(last, conversation.AssistantContent) else None
    if end is _End.UNMADE:
        model_text = None  # what came before the claim, if anything, was spoken already
    speech = _compose(turn.guard, model_text, cap_hit)
    if not speech and (stats.described or stats.claimed):
        speech = SPOKEN_DESCRIBED
    elif not speech:  # nothing said, or only the instructions read out: never silence
        speech = SPOKEN_NO_ANSWER
    return ModelOutcome(speech=speech, cap_hit=cap_hit, stats=stats)


async def async_run_calls(
    chat_log: conversation.ChatLog, agent_id: str, guard: ToolGuard, calls: list[llm.ToolInput]
) -> str:
    """Run calls planned without the model (``sweep``) as a model's calls run; the answer.

    They go into HA's chat log as the assistant's calls, so HA runs them through
    the guarded API, and the answer is composed as after a model's calls: the
    confirmation question, refusals, or the states they left behind.
    """

    async def planned() -> AsyncIterator[conversation.AssistantContentDeltaDict]:
        yield {"role": "assistant", "tool_calls": calls}

    LOGGER.debug("Running %s without the model", ", ".join(c.tool_name for c in calls))
    async for _content in chat_log.async_add_delta_content_stream(agent_id, planned()):
        pass
    return _compose(guard, None, cap_hit=False) or SPOKEN_NO_ANSWER


async def _rounds(turn: ModelTurn, stats: ModelStats, sent: list[ChatRequest]) -> _End:
    """Stream rounds until the model stops calling tools, or its calls are the answer."""
    guard = turn.guard
    api = turn.chat_log.llm_api
    tools = model_tools(api, timers=mentions_time(turn.user_input.text)) if api else None
    schemas = {t["function"]["name"]: t["function"]["parameters"] for t in tools or ()}
    guard.schemas = schemas
    began = time.monotonic()
    # What the model must not read out: its instructions (less the examples' answers), the
    # guard's messages, and the user's own words (the 1.5B repeated a question as its answer).
    said = (
        turn.stable_prompt,
        *_told(turn.volatile_prompt),
        *GUARD_MESSAGES,
        turn.user_input.text,
    )
    instructions = word_runs("\n".join(said)) - word_runs(VOICE_EXAMPLES)
    asked = False  # the model was asked once more for a call it described or claimed
    unmade: str | None = None  # the last round's answer, which described or claimed a call
    previous: tuple[tuple[str, str], ...] = ()  # the calls of the round before
    rest: str | None = None  # the parts of the request still to do, after a round did some
    for _ in range(MAX_TOOL_ITERATIONS):
        stats.rounds += 1
        messages = _messages(turn, unmade, rest)
        stats.prompt_tokens_estimate = estimate_tokens(messages, tools)
        request = ChatRequest(
            model=turn.settings.model,
            messages=messages,
            tools=tools,
            temperature=turn.settings.temperature,
            num_ctx=_num_ctx(
                turn, stats.prompt_tokens_estimate, base_tokens(turn.stable_prompt, tools)
            ),
            keep_alive=turn.settings.keep_alive,
            max_tokens=MAX_ANSWER_TOKENS,
        )
        sent.append(request)
        # After a change the answer is the report of the new states: the model's words
        # are not spoken. Before one, in a command, a claim of a change waits to be judged.
        speak = not guard.acted
        reader = _AnswerReader(
            schemas,
            began,
            stats,
            speak=speak,
            claims=speak and not guard.question,
            instructions=instructions,
        )
        results_before = len(turn.chat_log.content)
        done_before = len(guard.done)
        round_began = time.monotonic()
        async for _content in turn.chat_log.async_add_delta_content_stream(
            turn.user_input.agent_id, reader.deltas(turn.backend.chat(request))
        ):
            pass
        stats.seconds = time.monotonic() - began
        _log_round(stats, time.monotonic() - round_began)
        if (unmade := _unmade(reader, guard, stats)) is not None:
            if asked:
                return _End.UNMADE
            LOGGER.debug("The model described or claimed a call instead of making it; asking")
            asked = True  # once: ask for the call itself
            continue
        if guard.held is not None or not reader.called or guard.asked_about:
            return _End.ANSWERED
        calls = tuple((c.name, json.dumps(c.arguments, sort_keys=True)) for c in reader.calls)
        if calls == previous:  # the same calls again (one failed, or changed nothing): no use
            LOGGER.debug("The model repeated its calls; ending the turn")
            return _End.ANSWERED
        previous = calls
        if _all_actions_done(turn.chat_log.content[results_before:], guard):
            if not _more_to_do(turn, done_before):
                return _End.ANSWERED  # the states say what happened: no further model round
            rest = rest_of(turn.user_input.text, len(guard.done))
        else:
            rest = None
    LOGGER.warning("Model kept calling tools; stopped after %s rounds", MAX_TOOL_ITERATIONS)
    return _End.CAP


def _told(volatile: str) -> list[str]:
    """The volatile message's sentences, without its state lines (an answer may quote those).

    Spoken from the kitchen, the 1.5B answered "how cold is the bedroom" with "The user
    is speaking in the area Kitchen; generic commands like ...".
    """
    return [
        line for line in volatile.splitlines() if not line.startswith(("- ", "Current states:"))
    ]


def _unmade(reader: _AnswerReader, guard: ToolGuard, stats: ModelStats) -> str | None:
    """The round's answer when it described a call, or claimed a change, without a call."""
    if reader.unmade is not None:
        stats.described += 1
        return reader.unmade
    # A claim is false when no call of the turn changed anything. After a refusal, the
    # refusal is the answer (and the claim is not spoken): no need to ask again.
    if reader.claim is not None and not guard.acted and not guard.refusals:
        stats.claimed += 1
        return reader.claim
    return None


def _more_to_do(turn: ModelTurn, done_before: int) -> bool:
    """After a round whose calls all changed the home: whether to ask the model again.

    A small model makes one call per round (the 1.5B does), so a request with
    several parts ("switch off the bedroom light and the living room lamp")
    needs a round per part, each with the results so far. A plain command, the
    common case, has one part and keeps its single round. So: another round
    only while the turn has made fewer successful calls than the request has
    parts (``request_parts``: joining words and commas), and only after a round
    that made a new call: a repeated call runs nothing (``ToolGuard``), so a
    model that repeats itself ends the turn. Counting too many parts costs one
    round whose answer is not spoken; too few leaves a part undone, as before.
    """
    done = len(turn.guard.done)
    return done_before < done < request_parts(turn.user_input.text)


def _messages(turn: ModelTurn, unmade: str | None, rest: str | None) -> list[dict[str, Any]]:
    """The round's messages: the chat log, and what the last round left to ask for."""
    messages = messages_for_model(
        turn.chat_log, turn.stable_prompt, turn.volatile_prompt, turn.settings.max_history
    )
    if unmade is not None:
        return _ask_for_the_call(messages, unmade)
    if rest is not None:
        return [*messages, {"role": "user", "content": f"{NEXT_PART}{rest}"}]
    return messages


def _ask_for_the_call(messages: list[dict[str, Any]], unmade: str) -> list[dict[str, Any]]:
    """The messages again, with the unmade call's answer and the request to make it instead."""
    last = messages[-1] if messages else {}
    if last.get("role") == "assistant" and not last.get("tool_calls"):
        messages = messages[:-1]  # what the chat log kept of that answer (little or nothing)
    return [
        *messages,
        {"role": "assistant", "content": unmade},
        {"role": "user", "content": ASK_FOR_THE_CALL},
    ]


def _num_ctx(turn: ModelTurn, tokens: int, base: int) -> int | None:
    if turn.backend.kind != BACKEND_OLLAMA:
        return None
    return choose_num_ctx(turn.hass, turn.issue_key, turn.settings.num_ctx, tokens, base)


def _all_actions_done(added: list[conversation.Content], guard: ToolGuard) -> bool:
    """Whether every call of this round changed the home, and succeeded."""
    results = [c for c in added if isinstance(c, conversation.ToolResultContent)]
    return (
        bool(results)
        and guard.acted
        and all(guard.changes_state(r.tool_name) for r in results)
        and not any(compat.tool_result_failed(r) for r in results)
    )


class _AnswerReader:
    """Turns backend chunks into chat-log deltas; recovers calls written as text."""

    def __init__(
        self,
        schemas: dict[str, Any],
        began: float,
        stats: ModelStats,
        *,
        speak: bool,
        claims: bool,
        instructions: frozenset[tuple[str, ...]] = frozenset(),
    ) -> None:
        self.schemas = schemas
        self.instructions = instructions  # the prompt's ``word_runs``: never read out
        self.began = began
        self.stats = stats
        self.speak = speak  # put the answer's prose into the chat log (and so into speech)
        self.claims = claims  # hold a sentence that claims a change (``TextGate``)
        self.chars = 0
        self.text = ""  # the whole answer as the model wrote it
        self.unmade: str | None = None  # the answer described a call it did not make
        self.claim: str | None = None  # the answer claimed a change and made no call
        self.called = False  # the answer made calls (HA ran them, or the guard stopped them)
        self.calls: tuple[ToolCall, ...] = ()  # the calls the answer made

    async def deltas(
        self, stream: AsyncIterator[ChatChunk]
    ) -> AsyncIterator[conversation.AssistantContentDeltaDict]:
        yield {"role": "assistant"}
        gate = TextGate(self.schemas, claims=self.claims, instructions=self.instructions)
        calls: list[ToolCall] = []
        async for chunk in stream:
            self._measure(chunk)
            calls.extend(chunk.tool_calls)
            self.text += chunk.content
            if chunk.content and (text := gate.feed(chunk.content)) and self.speak:
                yield {"content": text}
        if (text := self._end(gate, calls)) and self.speak:
            yield {"content": text}
        self.calls = tuple(calls)
        if calls:
            self.called = True
            LOGGER.debug(
                "The model called %s", ", ".join(f"{c.name}({c.arguments})" for c in calls)
            )
            yield {
                "tool_calls": [
                    llm.ToolInput(tool_name=c.name, tool_args=repair_arguments(c.arguments))
                    for c in calls
                ]
            }

    def _end(self, gate: TextGate, calls: list[ToolCall]) -> str:
        """At the end of the answer: calls recovered from held text, and the prose to speak."""
        held = gate.held.strip()
        prose = ""
        if held and not gate.described:
            if (recovered := recover_calls(held, self.schemas)) is not None:
                calls.extend(recovered)
            elif not (prose := gate.rest()) and not gate.described and self.speak:
                if unknown := unknown_tools(held, self.schemas):
                    LOGGER.debug("The model wrote a call of a tool it lacks: %s", unknown)
                    prose = SPOKEN_CANNOT
                else:
                    # (Unspoken, after a change, it is an answer: the report is the answer.)
                    raise ModelAnswerError(f"unreadable answer: {held[:120]!r}")
        text = gate.end(prose)
        if gate.echoed:
            LOGGER.debug("The model read out its instructions: %r", self.text[:200])
            self.stats.echoed += 1
        if gate.described and not calls:
            if found := embedded_calls(held, self.schemas):
                calls.extend(found)
            elif (call := described_call(held, self.schemas)) is not None:
                calls.append(call)
            else:
                self.unmade = held[:MAX_ANSWER_CHARS]
        if gate.claim and not calls:
            self.claim = self.text.strip()[:MAX_ANSWER_CHARS]  # all of it, as it was written
        return text

    def _measure(self, chunk: ChatChunk) -> None:
        if self.stats.first_token_s is None:
            self.stats.first_token_s = time.monotonic() - self.began
        if chunk.usage is not None:
            self.stats.usage.append(chunk.usage)
        self.chars += len(chunk.content)
        if self.chars > MAX_ANSWER_CHARS:
            raise ModelRunawayError(f"answer longer than {MAX_ANSWER_CHARS} characters")


def _log_round(stats: ModelStats, seconds: float) -> None:
    usage = stats.usage[-1] if len(stats.usage) == stats.rounds else None
    LOGGER.debug(
        "Model round %d took %.2f s (first token %.2f s after the turn began): "
        "%s prompt tokens (%s from the server's cache, ~%d estimated), %s generated",
        stats.rounds,
        seconds,
        stats.first_token_s or 0.0,
        usage.prompt_tokens if usage else "?",
        usage.cached_tokens if usage else "?",
        stats.prompt_tokens_estimate,
        usage.completion_tokens if usage else "?",
    )


def _compose(guard: ToolGuard, model_text: str | None, cap_hit: bool) -> str:
    """The answer: our confirmation question, refusals, and the real new states."""
    if guard.held is not None:
        return guard.held.question
    parts = list(dict.fromkeys(guard.refusals))
    if cap_hit:
        parts.append(SPOKEN_CAP)
    if guard.acted:
        parts.append(report(guard.hass, guard.before))
    elif guard.asked_about:  # a question, and the model reached for these: their states
        parts.append(describe_current(guard.hass, guard.asked_about))
    elif not parts:
        parts.append(model_text or "")
    return " ".join(p for p in parts if p).strip()


def _failed(guard: ToolGuard, spoken: str, detail: str, stats: ModelStats) -> ModelOutcome:
    LOGGER.warning("Model request failed: %s", detail)
    speech = spoken
    if guard.acted:
        speech = f"{spoken} {report(guard.hass, guard.before)}"
    return ModelOutcome(speech=speech, error=detail, stats=stats)
