"""Setup of a language model server entry and its agents (``conversation`` sub-entries).

The server is checked at setup, but an unreachable server does not stop the
agents: HA's intents, the repair of misheard commands and the confirmations
need no model, so device control keeps working. A repair issue says the
server is unreachable (or lacks an agent's model) until a later start finds
it; a model request meanwhile answers with a short spoken error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from homeassistant.const import Platform
from homeassistant.core import callback
from homeassistant.exceptions import ConfigEntryError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.start import async_at_started

from .agent.backend import ModelError
from .agent.clients import make_backend
from .agent.settings import AgentSettings, ServerSettings
from .agent.warmup import async_warm_model
from .const import DOMAIN, LOGGER, SETUP_TIMEOUT, SUBENTRY_AGENT
from .models import AgentState, ServerData
from .repairs import async_note_server, server_issue_id
from .runtime import async_acquire, async_release

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant

    from .models import ServerEntry

PLATFORMS: Final = (Platform.CONVERSATION,)


async def async_setup_server(hass: HomeAssistant, entry: ServerEntry) -> bool:
    """Make the backend and the agents; check the server in passing."""
    try:
        settings = ServerSettings.from_data(entry.data)
        agents = {
            sub.subentry_id: AgentState(AgentSettings.from_data(sub.data))
            for sub in entry.subentries.values()
            if sub.subentry_type == SUBENTRY_AGENT
        }
    except (KeyError, TypeError, ValueError) as err:
        raise ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key="bad_server_entry",
            translation_placeholders={"error": str(err)},
        ) from err
    backend = make_backend(settings)
    entry.runtime_data = ServerData(settings, backend, agents)
    await _async_check_server(hass, entry)
    async_acquire(hass, entry)
    if entry.runtime_data.reachable:
        _schedule_model_warmup(hass, entry)
    entry.async_on_unload(entry.add_update_listener(_async_reload))
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_server(hass: HomeAssistant, entry: ServerEntry) -> bool:
    """Unload the agents, forget pending confirmations, close connections."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if unloaded:
        for agent in entry.runtime_data.agents.values():
            agent.pending.clear()
        await entry.runtime_data.backend.async_close()
        async_release(hass, entry)
    return unloaded


async def _async_check_server(hass: HomeAssistant, entry: ServerEntry) -> None:
    """Raise or clear the 'server unreachable' and 'model missing' repair issues."""
    data = entry.runtime_data
    try:
        models = await data.backend.async_list_models(SETUP_TIMEOUT)
    except ModelError as err:
        data.reachable = True  # a fresh start: say so once
        async_note_server(hass, entry.entry_id, data, str(err))
        return
    LOGGER.debug("Model server %s answers; it has %s", data.settings.url, ", ".join(models))
    data.reachable = True
    ir.async_delete_issue(hass, DOMAIN, server_issue_id(entry.entry_id))  # left from before
    for subentry_id, agent in data.agents.items():
        missing_id = f"model_missing_{subentry_id}"
        if agent.settings.model in models:
            ir.async_delete_issue(hass, DOMAIN, missing_id)
            continue
        LOGGER.warning("Model server %s has no model %s", data.settings.url, agent.settings.model)
        ir.async_create_issue(
            hass, DOMAIN, missing_id, is_fixable=False, severity=ir.IssueSeverity.WARNING,
            translation_key="model_missing",
            translation_placeholders={"url": data.settings.url, "model": agent.settings.model},
        )  # fmt: skip


def _schedule_model_warmup(hass: HomeAssistant, entry: ServerEntry) -> None:
    """Once HA runs, have the server cache each agent's stable prompt (``agent.warmup``)."""
    data = entry.runtime_data

    async def warm() -> None:
        for agent in data.agents.values():
            await async_warm_model(hass, data.backend, agent.settings)

    @callback
    def at_started(hass: HomeAssistant) -> None:
        entry.async_create_background_task(hass, warm(), f"{DOMAIN}_model_warmup")

    entry.async_on_unload(async_at_started(hass, at_started))


async def _async_reload(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Sub-entries or data changed: reload."""
    await hass.config_entries.async_reload(entry.entry_id)
