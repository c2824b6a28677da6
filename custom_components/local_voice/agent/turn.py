"""One sentence through the agent: confirmation, HA's intents, repair, then the model.

1. a pending confirmation of this conversation: "yes" runs it, "no" drops it,
   anything else drops it and is handled as a new sentence;
2. HA's own intents (``understanding.local``), when "prefer local intents" is
   on, and the repair of a misheard command (``understanding.repair``);
3. a question whose words name exposed things: answered from their states
   (``state_answer``);
4. "turn on everything in <area>": one guarded call without the model (``sweep``);
5. the model, with HA's Assist API behind the tool guard (``chat``).
Every answer goes into HA's chat log and is announced as ``local_voice_command``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Literal

from homeassistant.components import conversation
from homeassistant.helpers import intent, llm

from ..const import DOMAIN
from ..repairs import async_note_server
from ..understanding.local import (
    LocalKind,
    LocalOutcome,
    async_run_confirmed,
    async_try_local,
    unexposed_named,
)
from ..understanding.repair import (
    RepairAction,
    async_repair,
    narrows_a_catch_all,
    supplies_the_action,
)
from ..understanding.text import hear
from .chat import ModelStats, ModelTurn, async_run_calls, async_run_model
from .confirmations import DID_YOU_MEAN, PendingAction, Reply, classify_reply
from .events import CommandRecord, Outcome, fire_command_event
from .guard import NOT_EXPOSED, GuardedAPIInstance, ToolGuard, confirmation_question
from .prompt import async_stable_prompt, volatile_context
from .report import describe_current, report, snapshot
from .state_answer import answered_by
from .sweep import sweep_call
from .warmup import async_reread_after_timeout

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from homeassistant.core import HomeAssistant

    from ..models import AgentState, ServerData
    from ..understanding.home import HomeUnderstanding
    from ..understanding.repair import Repair
    from ..understanding.text import Heard

SPOKEN_CANCELLED: Final = "OK, I won't do that."
SPOKEN_NOTHING: Final = "I did not change anything."


@dataclass(frozen=True, slots=True)
class Turn:
    """One sentence and everything needed to answer it."""

    hass: HomeAssistant
    home: HomeUnderstanding
    entry_id: str  # the server entry
    server: ServerData
    agent: AgentState
    agent_key: str  # the agent's sub-entry id (names its repair issues)
    user_input: conversation.ConversationInput
    chat_log: conversation.ChatLog


async def async_handle(turn: Turn) -> conversation.ConversationResult:
    """Answer one sentence."""
    user_input, chat_log = turn.user_input, turn.chat_log
    pending = turn.agent.pending.pop(chat_log.conversation_id)
    if pending is not None:
        reply = classify_reply(user_input.text)
        if reply is Reply.YES:
            speech = await pending.execute(chat_log)
            names = [pending.name]
            record = CommandRecord("confirmation", "done", speech, names, pending.targets,
                                   pending.used_model)  # fmt: skip
            return await _finish(turn, record)
        if reply is Reply.NO:
            record = CommandRecord("confirmation", "cancelled", SPOKEN_CANCELLED, [pending.name],
                                   pending.targets, pending.used_model)  # fmt: skip
            return await _finish(turn, record)
    heard = hear(user_input.text)
    settings = turn.agent.settings
    if settings.prefer_local:
        recognizer = turn.home.recognizer
        local = await async_try_local(
            turn.hass, recognizer, user_input, chat_log,
            question=heard.question, confirm=settings.confirm,
        )  # fmt: skip
        if local is not None:
            turn.agent.stats.local += 1
            return await _finish_local(turn, local)
        repaired = await async_repair(turn.hass, turn.home, user_input, heard, settings.confirm)
        if repaired is not None and not _for_the_model(repaired, heard):
            turn.agent.stats.repaired += 1
            return await _finish_repair(turn, repaired)
        if (name := unexposed_named(turn.home, heard)) is not None:
            speech = f"The {name} is {NOT_EXPOSED}"
            record = CommandRecord("local_intent", "refused", speech)
            return await _finish(turn, record)
    return await _from_states_or_model(turn, heard)


async def _from_states_or_model(turn: Turn, heard: Heard) -> conversation.ConversationResult:
    """A question about named things is answered from their states; the rest by the model."""
    user_input = turn.user_input
    if (
        turn.agent.settings.control
        and heard.question
        and (asked := answered_by(turn.hass, user_input.text, user_input.language))
    ):
        turn.agent.stats.answered_from_states += 1
        speech = describe_current(turn.hass, asked)
        return await _finish(turn, CommandRecord("question_guard", "answered", speech, [], asked))
    return await _with_model(turn, heard)


def _for_the_model(repaired: Repair, heard: Heard) -> bool:
    """A repair that would only ask, and guessed what to do: the model reads it better.

    "halve the brightness of the living room lamp" is nearest to "turn off
    the living room lamp", which HA would ask about; the model, with the
    lamp's brightness in its prompt, sets it to half. "turn on everything in
    the office" is nearest to "turn on the lights in the office": the model
    sees the fan there too.
    """
    text = repaired.candidate.text
    return repaired.action is RepairAction.ASK and (
        supplies_the_action(heard, text) or narrows_a_catch_all(heard, text)
    )


async def _finish_repair(turn: Turn, repaired: Repair) -> conversation.ConversationResult:
    verdict = repaired.assessment
    if repaired.action is RepairAction.ANSWER:
        return await _finish_local(
            turn, LocalOutcome(LocalKind.HELD_QUESTION, verdict.intent_type, verdict)
        )
    if repaired.action is RepairAction.ASK:
        return await _ask(turn, _did_you_mean(turn, repaired), "local_intent")
    local = await async_try_local(
        turn.hass, turn.home.recognizer, repaired.user_input, turn.chat_log,
        question=False, confirm=turn.agent.settings.confirm,
    )  # fmt: skip
    if local is None:  # HA did not run the repaired sentence: the states or the model answer
        return await _from_states_or_model(turn, hear(turn.user_input.text))
    return await _finish_local(turn, local)


def _did_you_mean(turn: Turn, repaired: Repair) -> PendingAction:
    """Hold the repaired command for a "yes" in the next turn."""
    hass, recognizer = turn.hass, turn.home.recognizer
    fixed_input, verdict = repaired.user_input, repaired.assessment
    targets = verdict.target_ids

    async def execute(chat_log: conversation.ChatLog) -> str:
        before = snapshot(hass, targets)
        await async_run_confirmed(recognizer, fixed_input, chat_log, verdict.intent_type)
        return report(hass, before)

    return PendingAction(
        question=f"{DID_YOU_MEAN}{repaired.candidate.text}?",
        name=verdict.intent_type,
        targets=targets,
        execute=execute,
        used_model=False,
    )


async def _finish_local(turn: Turn, local: LocalOutcome) -> conversation.ConversationResult:
    """Answer from the local path: done, held for confirmation, or a question."""
    verdict = local.assessment
    targets = verdict.target_ids
    if local.kind is LocalKind.HELD_RISKY:
        hass, recognizer, user_input = turn.hass, turn.home.recognizer, turn.user_input
        name = local.intent_name

        async def execute(chat_log: conversation.ChatLog) -> str:
            before = snapshot(hass, targets)
            await async_run_confirmed(recognizer, user_input, chat_log, name)
            return report(hass, before)

        action = PendingAction(
            confirmation_question(verdict), name, targets, execute, used_model=False
        )
        return await _ask(turn, action, "local_intent")
    if local.kind is LocalKind.HELD_QUESTION:
        speech = describe_current(turn.hass, targets) or SPOKEN_NOTHING
        record = CommandRecord("question_guard", "answered", speech, [local.intent_name], targets)
        return await _finish(turn, record)
    assert local.response is not None
    speech = local.response.speech.get("plain", {}).get("speech", "")
    failed = local.response.response_type is intent.IntentResponseType.ERROR
    record = CommandRecord(
        "local_intent", "error" if failed else "done", speech, [local.intent_name], targets
    )
    return await _finish(turn, record, local.response)


async def _with_model(turn: Turn, heard: Heard) -> conversation.ConversationResult:
    """Ask the model, with HA's Assist API behind the tool guard."""
    user_input, chat_log, agent = turn.user_input, turn.chat_log, turn.agent
    settings = agent.settings
    try:
        await chat_log.async_provide_llm_data(
            user_input.as_llm_context(DOMAIN),
            llm.LLM_API_ASSIST if settings.control else None,
            settings.prompt,
            user_input.extra_system_prompt,
        )
    except conversation.ConverseError as err:
        return err.as_conversation_result()
    api = chat_log.llm_api
    planned = (  # "turn on everything in the office": no model needed
        sweep_call(
            turn.hass, heard, [t.name for t in api.tools], user_input.device_id,
            user_input.satellite_id,
        )
        if api is not None
        else None
    )  # fmt: skip
    guard = ToolGuard(
        turn.hass,
        question=heard.question,
        language=user_input.language,
        device_id=user_input.device_id,
        satellite_id=user_input.satellite_id,
        confirm=settings.confirm,
        request="" if planned else user_input.text,  # a planned call is what was asked
    )
    if api is not None:
        chat_log.llm_api = GuardedAPIInstance.wrap(api, guard)
    if planned is not None:  # (no prompt to build)
        speech = await async_run_calls(chat_log, user_input.agent_id, guard, [planned])
        return await _finish_calls(turn, guard, speech)
    try:
        stable = await async_stable_prompt(
            turn.hass, settings, user_input.language, user_input.context
        )
    except conversation.ConverseError as err:
        return err.as_conversation_result()
    agent.stats.model += 1
    outcome = await async_run_model(
        ModelTurn(
            turn.hass, turn.server.backend, settings, user_input, chat_log, guard,
            stable, volatile_context(turn.hass, user_input), turn.agent_key,
        )
    )  # fmt: skip
    _record_stats(agent, outcome.stats, outcome.error)
    if outcome.timed_out is not None:
        async_reread_after_timeout(turn.hass, agent, turn.server.backend, outcome.timed_out)
    async_note_server(
        turn.hass, turn.entry_id, turn.server, outcome.error if outcome.unreachable else None
    )
    agent.stats.refused += len(guard.refusals)
    if guard.held is not None:
        if guard.acted:  # a safe call in the same round did run: say so first
            guard.held.question = f"{report(turn.hass, guard.before)} {guard.held.question}"
        return await _ask(turn, guard.held, "model")
    outcome_name: Outcome = "error" if outcome.error else ("refused" if guard.refusals else "done")
    record = CommandRecord(
        "model", outcome_name, outcome.speech, guard.names, list(guard.before), used_model=True
    )
    return await _finish(turn, record, error=outcome.error is not None)


async def _finish_calls(
    turn: Turn, guard: ToolGuard, speech: str
) -> conversation.ConversationResult:
    """The answer to calls planned without the model (``sweep``): HA's intents, guarded."""
    turn.agent.stats.local += 1
    turn.agent.stats.refused += len(guard.refusals)
    if guard.held is not None:
        guard.held.used_model = False
        return await _ask(turn, guard.held, "local_intent")
    outcome: Outcome = "refused" if guard.refusals else "done"
    record = CommandRecord("local_intent", outcome, speech, guard.names, list(guard.before))
    return await _finish(turn, record)


def _record_stats(agent: AgentState, stats: ModelStats, error: str | None) -> None:
    agent.stats.last_prompt_tokens_estimate = stats.prompt_tokens_estimate
    agent.stats.last_first_token_s = stats.first_token_s
    agent.stats.last_model_s = stats.seconds
    agent.stats.last_rounds = stats.rounds
    first = stats.usage[0] if stats.usage else None
    agent.stats.last_prompt_tokens = first.prompt_tokens if first else None
    agent.stats.last_cached_tokens = first.cached_tokens if first else None
    agent.stats.last_completion_tokens = (
        sum(u.completion_tokens or 0 for u in stats.usage) if stats.usage else None
    )
    if error is not None:
        agent.stats.errors += 1
        agent.stats.last_error = error


async def _ask(
    turn: Turn, action: PendingAction, path: Literal["local_intent", "model"]
) -> conversation.ConversationResult:
    """Hold ``action`` and ask the user to confirm it in the next turn."""
    turn.agent.pending.put(turn.chat_log.conversation_id, action)
    turn.agent.stats.confirmations_asked += 1
    record = CommandRecord(path, "confirmation_required", action.question, [action.name],
                           action.targets, action.used_model)  # fmt: skip
    return await _finish(turn, record)


async def _finish(
    turn: Turn,
    record: CommandRecord,
    response: intent.IntentResponse | None = None,
    *,
    error: bool = False,
) -> conversation.ConversationResult:
    """Write the answer to the chat log, fire the event, build the result."""
    user_input, chat_log = turn.user_input, turn.chat_log
    if response is None:
        response = intent.IntentResponse(language=user_input.language)
        if error:
            response.async_set_error(intent.IntentResponseErrorCode.UNKNOWN, record.response)
        else:
            response.async_set_speech(record.response)
    last = chat_log.content[-1]
    # Errors stay out of the history the model sees next time (as HA's ConverseError).
    if not error and not (
        isinstance(last, conversation.AssistantContent) and last.content == record.response
    ):
        await _say(chat_log, user_input.agent_id, record.response)
    fire_command_event(turn.hass, user_input, chat_log.conversation_id, record)
    return conversation.ConversationResult(
        response=response,
        conversation_id=chat_log.conversation_id,
        continue_conversation=record.outcome == "confirmation_required"
        or (not error and chat_log.continue_conversation),
    )


async def _say(chat_log: conversation.ChatLog, agent_id: str, text: str) -> None:
    """Add ``text`` as an assistant message through the delta stream (streaming TTS hears it)."""

    async def one() -> AsyncIterator[conversation.AssistantContentDeltaDict]:
        yield {"role": "assistant", "content": text}

    async for _content in chat_log.async_add_delta_content_stream(agent_id, one()):
        pass
