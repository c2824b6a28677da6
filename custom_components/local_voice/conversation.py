"""The conversation platform: one Local Voice agent per ``conversation`` sub-entry.

The entity is thin: ``agent.turn`` answers each sentence. Answers stream
(``_attr_supports_streaming``): HA's pipeline starts text to speech on the
model's first sentence.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from homeassistant.components import conversation
from homeassistant.components.conversation.models import AbstractConversationAgent
from homeassistant.const import MATCH_ALL

from .agent.turn import Turn, async_handle
from .const import SUBENTRY_AGENT
from .entity import agent_device_info
from .repairs import async_check_pipelines
from .runtime import async_get_home

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigSubentry
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .models import ServerEntry


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001
    entry: ServerEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add one agent entity per conversation sub-entry."""
    for subentry in entry.subentries.values():
        if subentry.subentry_type == SUBENTRY_AGENT:
            async_add_entities(
                [LocalVoiceAgent(entry, subentry)], config_subentry_id=subentry.subentry_id
            )


class LocalVoiceAgent(conversation.ConversationEntity, AbstractConversationAgent):
    """HA's intents first, repaired commands next, then a model; always guarded."""

    _attr_has_entity_name = True
    _attr_name = None
    _attr_supports_streaming = True

    def __init__(self, entry: ServerEntry, subentry: ConfigSubentry) -> None:
        self.entry = entry
        self.subentry_id = subentry.subentry_id
        settings = entry.runtime_data.agents[subentry.subentry_id].settings
        self._attr_unique_id = subentry.subentry_id
        self._attr_device_info = agent_device_info(
            subentry.subentry_id,
            subentry.title,
            entry.runtime_data.settings.backend,
            settings.model,
        )
        if settings.control:
            self._attr_supported_features = conversation.ConversationEntityFeature.CONTROL

    @property
    def supported_languages(self) -> list[str] | Literal["*"]:
        """Any language: the model speaks many, HA's intents load per language."""
        return MATCH_ALL

    async def async_added_to_hass(self) -> None:
        """Register as an agent; warn about pipelines that would bypass confirmations."""
        await super().async_added_to_hass()
        conversation.async_set_agent(self.hass, self.entry, self)
        async_check_pipelines(self.hass, self.subentry_id, self.entity_id)

    async def async_will_remove_from_hass(self) -> None:
        """Unregister the agent."""
        conversation.async_unset_agent(self.hass, self.entry)
        await super().async_will_remove_from_hass()

    async def _async_handle_message(
        self, user_input: conversation.ConversationInput, chat_log: conversation.ChatLog
    ) -> conversation.ConversationResult:
        """Answer one sentence."""
        home = async_get_home(self.hass)
        assert home is not None  # held by this entry while it is loaded
        async_check_pipelines(self.hass, self.subentry_id, self.entity_id)
        data = self.entry.runtime_data
        turn = Turn(
            self.hass,
            home,
            self.entry.entry_id,
            data,
            data.agents[self.subentry_id],
            self.subentry_id,
            user_input,
            chat_log,
        )
        return await async_handle(turn)
