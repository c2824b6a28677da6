"""The Local Voice conversation agent: local intents first, then the model, always guarded.

One sentence goes through three steps, each able to answer:
1. a pending confirmation of this conversation ("yes" runs it, "no" drops it);
2. HA's own intents (``local_intents``), when "prefer local intents" is on;
3. the Ollama model with HA's Assist API as tools (``model_chat``).
Every answer is written to HA's chat log and announced on the bus.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from homeassistant.components import assist_pipeline, conversation
from homeassistant.components.conversation.models import AbstractConversationAgent
from homeassistant.const import MATCH_ALL
from homeassistant.helpers import intent, llm
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo

from .action_guard import Assessment
from .command_events import CommandRecord, fire_command_event
from .confirmations import PendingAction, Reply, classify_reply
from .const import DOMAIN
from .local_intents import LocalKind, LocalOutcome, async_run_confirmed, async_try_local
from .model_chat import async_run_model
from .pipeline_check import async_check_pipelines
from .repair import async_repair
from .state_report import describe_current, report, snapshot
from .tool_guard import GuardedAPIInstance, ToolGuard, confirmation_question

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .agent_data import AgentConfigEntry

SPOKEN_CANCELLED = "OK, I won't do that."


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001
    entry: AgentConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the agent entity of an agent entry."""
    async_add_entities([LocalVoiceAgent(entry)])


class LocalVoiceAgent(conversation.ConversationEntity, AbstractConversationAgent):
    """Conversation agent backed by Ollama, with HA's intents as the fast path."""

    _attr_has_entity_name = True
    _attr_name = None

    def __init__(self, entry: AgentConfigEntry) -> None:
        self.entry = entry
        settings = entry.runtime_data.settings
        self._attr_unique_id = entry.entry_id
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, entry.entry_id)},
            name=entry.title,
            manufacturer="Ollama",
            model=settings.model,
            entry_type=DeviceEntryType.SERVICE,
        )
        if settings.control:
            self._attr_supported_features = conversation.ConversationEntityFeature.CONTROL

    @property
    def supported_languages(self) -> list[str] | Literal["*"]:
        """Any language: the model speaks many, HA's intents load per language."""
        return MATCH_ALL

    async def async_added_to_hass(self) -> None:
        """Register as an agent and check pipelines that would bypass confirmations."""
        await super().async_added_to_hass()
        assist_pipeline.async_migrate_engine(
            self.hass, "conversation", self.entry.entry_id, self.entity_id
        )
        conversation.async_set_agent(self.hass, self.entry, self)
        async_check_pipelines(self.hass, self.entry.entry_id, self.entity_id)

    async def async_will_remove_from_hass(self) -> None:
        """Unregister the agent."""
        conversation.async_unset_agent(self.hass, self.entry)
        await super().async_will_remove_from_hass()

    async def _async_handle_message(
        self, user_input: conversation.ConversationInput, chat_log: conversation.ChatLog
    ) -> conversation.ConversationResult:
        """Answer one sentence."""
        data = self.entry.runtime_data
        cid = chat_log.conversation_id
        async_check_pipelines(self.hass, self.entry.entry_id, self.entity_id)
        if (pending := data.pending.pop(cid)) is not None:
            reply = classify_reply(user_input.text)
            if reply is Reply.YES:
                speech = await pending.execute()
                record = CommandRecord(
                    "confirmation",
                    "done",
                    speech,
                    [pending.name],
                    pending.targets,
                    pending.used_model,
                )
                return self._finish(user_input, chat_log, record)
            if reply is Reply.NO:
                record = CommandRecord(
                    "confirmation",
                    "cancelled",
                    SPOKEN_CANCELLED,
                    [pending.name],
                    pending.targets,
                    pending.used_model,
                )
                return self._finish(user_input, chat_log, record)
        if data.settings.prefer_local:
            local = await async_try_local(self.hass, user_input, data.settings.confirm)
            if local is None:  # misheard? repair it (may ask "Did you mean ...?")
                fixed = await async_repair(self.hass, user_input, data.settings.confirm)
                if isinstance(fixed, PendingAction):
                    return self._ask(user_input, chat_log, fixed, "local_intent")
                local = fixed
            if local is not None:
                data.stats.local += 1
                return self._finish_local(user_input, chat_log, local)
        return await self._handle_with_model(user_input, chat_log)

    def _finish_local(
        self,
        user_input: conversation.ConversationInput,
        chat_log: conversation.ChatLog,
        local: LocalOutcome,
    ) -> conversation.ConversationResult:
        """Answer from the local path: done, held for confirmation, or a question."""
        verdict = local.assessment or Assessment(local.intent_name, changes_state=False)
        targets = verdict.target_ids
        if local.kind is LocalKind.HELD_RISKY:
            hass, name = self.hass, local.intent_name

            async def execute() -> str:
                before = snapshot(hass, targets)
                await async_run_confirmed(hass, user_input, name)
                return report(hass, before)

            return self._ask(
                user_input,
                chat_log,
                PendingAction(
                    question=confirmation_question(verdict),
                    name=name,
                    targets=targets,
                    execute=execute,
                    used_model=False,
                ),
                "local_intent",
            )
        if local.kind is LocalKind.HELD_QUESTION:
            speech = describe_current(self.hass, targets) or "I did not change anything."
            record = CommandRecord(
                "question_guard", "answered", speech, [local.intent_name], targets
            )
            return self._finish(user_input, chat_log, record)
        assert local.response is not None
        speech = local.response.speech.get("plain", {}).get("speech", "")
        failed = local.response.response_type is intent.IntentResponseType.ERROR
        record = CommandRecord(
            "local_intent", "error" if failed else "done", speech, [local.intent_name], targets
        )
        return self._finish(user_input, chat_log, record, local.response)

    async def _handle_with_model(
        self, user_input: conversation.ConversationInput, chat_log: conversation.ChatLog
    ) -> conversation.ConversationResult:
        """Ask the model, with HA's Assist API behind the tool guard."""
        data = self.entry.runtime_data
        settings = data.settings
        data.stats.model += 1
        try:
            await chat_log.async_update_llm_data(
                DOMAIN,
                user_input,
                llm.LLM_API_ASSIST if settings.control else None,
                settings.prompt,
            )
        except conversation.ConverseError as err:
            return err.as_conversation_result()
        guard = ToolGuard(
            self.hass,
            user_input.text,
            user_input.language,
            user_input.device_id,
            settings.confirm,
        )
        if chat_log.llm_api is not None:
            chat_log.llm_api = GuardedAPIInstance.wrap(chat_log.llm_api, guard)
        outcome = await async_run_model(self.entry.entry_id, data, user_input, chat_log, guard)
        data.stats.refused += len(guard.refusals)
        if guard.held is not None:
            if guard.acted:  # a safe call in the same round did run: say so first
                guard.held.question = f"{report(self.hass, guard.before)} {guard.held.question}"
            return self._ask(user_input, chat_log, guard.held, "model")
        if outcome.error is not None:
            data.stats.errors += 1
            data.stats.last_error = outcome.error
        record = CommandRecord(
            "model",
            "error" if outcome.error else ("refused" if guard.refusals else "done"),
            outcome.speech,
            guard.names,
            list(guard.before),
            used_model=True,
        )
        return self._finish(user_input, chat_log, record, error=outcome.error is not None)

    def _ask(
        self,
        user_input: conversation.ConversationInput,
        chat_log: conversation.ChatLog,
        action: PendingAction,
        path: Literal["local_intent", "model"],
    ) -> conversation.ConversationResult:
        """Hold ``action`` and ask the user to confirm it in the next turn."""
        data = self.entry.runtime_data
        data.pending.put(chat_log.conversation_id, action)
        data.stats.confirmations_asked += 1
        record = CommandRecord(
            path,
            "confirmation_required",
            action.question,
            [action.name],
            action.targets,
            action.used_model,
        )
        return self._finish(user_input, chat_log, record)

    def _finish(
        self,
        user_input: conversation.ConversationInput,
        chat_log: conversation.ChatLog,
        record: CommandRecord,
        response: intent.IntentResponse | None = None,
        *,
        error: bool = False,
    ) -> conversation.ConversationResult:
        """Write the answer to the chat log, fire the event, build the result."""
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
            chat_log.async_add_assistant_content_without_tools(
                conversation.AssistantContent(agent_id=user_input.agent_id, content=record.response)
            )
        fire_command_event(self.hass, user_input, chat_log.conversation_id, record)
        return conversation.ConversationResult(
            response=response,
            conversation_id=chat_log.conversation_id,
            continue_conversation=record.outcome == "confirmation_required",
        )
