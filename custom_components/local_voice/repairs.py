"""Repair issues of Local Voice, and their fix flows.

A pipeline whose "prefer handling commands locally" is on runs HA's own
intents BEFORE calling the agent, so "open the garage door" would happen at
once and the agent never sees it. The agent matches HA's intents itself
(option "prefer local intents"), with the confirmation guard, so that
pipeline option should be off: ``async_check_pipelines`` raises an issue
naming such pipelines, and its fix flow turns the option off in one click.
Other issues (server unreachable, model missing, prompt truncated) say what
to do and get HA's plain confirm flow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.components import assist_pipeline
from homeassistant.components.assist_pipeline.pipeline import async_update_pipeline
from homeassistant.components.repairs import ConfirmRepairFlow, RepairsFlow
from homeassistant.core import callback
from homeassistant.helpers import issue_registry as ir

from .compat import vol
from .const import DOMAIN, LOGGER

PIPELINE_ISSUE_PREFIX = "pipeline_bypasses_confirmation_"

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.data_entry_flow import FlowResult

    from .models import ServerData


@callback
def bypassing_pipelines(hass: HomeAssistant, agent_ids: set[str]) -> list[str]:
    """Names of pipelines that use the agent with HA's local intents in front."""
    try:
        pipelines = assist_pipeline.async_get_pipelines(hass)
    except KeyError:  # assist_pipeline not set up yet
        return []
    return sorted(
        p.name for p in pipelines if p.conversation_engine in agent_ids and p.prefer_local_intents
    )


@callback
def async_check_pipelines(hass: HomeAssistant, agent_key: str, entity_id: str) -> list[str]:
    """Raise or clear the repair issue for this agent; return the pipeline names."""
    names = bypassing_pipelines(hass, {entity_id})
    issue_id = f"{PIPELINE_ISSUE_PREFIX}{agent_key}"
    if names:
        LOGGER.warning(
            "Pipelines %s handle commands locally before Local Voice: confirmations are bypassed",
            names,
        )
        ir.async_create_issue(
            hass,
            DOMAIN,
            issue_id,
            is_fixable=True,
            data={"entity_id": entity_id},
            severity=ir.IssueSeverity.WARNING,
            translation_key="pipeline_bypasses_confirmation",
            translation_placeholders={"pipelines": ", ".join(names)},
        )
    else:
        ir.async_delete_issue(hass, DOMAIN, issue_id)
    return names


class TurnOffPipelineLocalIntentsFlow(RepairsFlow):
    """Confirm, then switch the pipelines' "prefer local" off."""

    def __init__(self, agent_ids: set[str]) -> None:
        self._agent_ids = agent_ids

    async def async_step_init(self, user_input: dict[str, str] | None = None) -> FlowResult:  # noqa: ARG002
        """Go straight to the confirmation."""
        return await self.async_step_confirm()

    async def async_step_confirm(self, user_input: dict[str, str] | None = None) -> FlowResult:
        """Show the pipelines; on submit, change them."""
        if user_input is not None:
            for pipeline in assist_pipeline.async_get_pipelines(self.hass):
                if (
                    pipeline.conversation_engine in self._agent_ids
                    and pipeline.prefer_local_intents
                ):
                    await async_update_pipeline(self.hass, pipeline, prefer_local_intents=False)
            ir.async_delete_issue(self.hass, DOMAIN, self.issue_id)
            return self.async_create_entry(data={})
        names = bypassing_pipelines(self.hass, self._agent_ids)
        return self.async_show_form(
            step_id="confirm",
            data_schema=vol.Schema({}),
            description_placeholders={"pipelines": ", ".join(names)},
        )


async def async_create_fix_flow(
    hass: HomeAssistant,  # noqa: ARG001
    issue_id: str,
    data: dict[str, str | int | float | None] | None,
) -> RepairsFlow:
    """The fix flow of an issue."""
    if issue_id.startswith(PIPELINE_ISSUE_PREFIX) and data:
        return TurnOffPipelineLocalIntentsFlow({str(v) for v in data.values() if v})
    return ConfirmRepairFlow()


def server_issue_id(entry_id: str) -> str:
    """The id of a server entry's "server unreachable" issue."""
    return f"server_unreachable_{entry_id}"


@callback
def async_note_server(
    hass: HomeAssistant, entry_id: str, server: ServerData, error: str | None
) -> None:
    """Follow whether the model server answers: log and raise the issue once per outage."""
    issue_id = server_issue_id(entry_id)
    if error is None:
        if not server.reachable:
            LOGGER.info("Model server %s answers again", server.settings.url)
            ir.async_delete_issue(hass, DOMAIN, issue_id)
        server.reachable = True
        return
    if server.reachable:
        LOGGER.warning(
            "Model server %s is not reachable (%s); HA's intents still work",
            server.settings.url,
            error,
        )
        ir.async_create_issue(
            hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key="server_unreachable",
            translation_placeholders={"url": server.settings.url, "error": error},
        )
    server.reachable = False
