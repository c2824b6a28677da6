"""Fix flows for Local Voice repair issues.

The "pipeline bypasses confirmation" issue can be fixed in one click: the
flow turns the pipeline's own "Prefer handling commands locally" off for the
pipelines that use this agent (the agent's local-first step stays on, with
its confirmations). Other issues get HA's plain confirm flow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import voluptuous as vol
from homeassistant.components import assist_pipeline
from homeassistant.components.assist_pipeline.pipeline import async_update_pipeline
from homeassistant.components.repairs import ConfirmRepairFlow, RepairsFlow
from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN
from .pipeline_check import PIPELINE_ISSUE_PREFIX, bypassing_pipelines

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.data_entry_flow import FlowResult


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
