"""Warn when a pipeline would let HA bypass this agent's confirmations.

With a pipeline's "prefer handling commands locally" on, HA's pipeline runs
its own intents BEFORE calling the agent, so "open the garage door" would
happen at once and the agent never sees it. This agent matches HA's intents
itself (option "prefer local intents"), with the confirmation guard, so the
pipeline option should be off. A repair issue names the pipelines.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.components import assist_pipeline
from homeassistant.core import callback
from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN, LOGGER

PIPELINE_ISSUE_PREFIX = "pipeline_bypasses_confirmation_"

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant


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
def async_check_pipelines(hass: HomeAssistant, entry_id: str, entity_id: str) -> list[str]:
    """Raise or clear the repair issue for this agent; return the pipeline names."""
    names = bypassing_pipelines(hass, {entity_id, entry_id})
    issue_id = f"{PIPELINE_ISSUE_PREFIX}{entry_id}"
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
            data={"entity_id": entity_id, "entry_id": entry_id},
            severity=ir.IssueSeverity.WARNING,
            translation_key="pipeline_bypasses_confirmation",
            translation_placeholders={"pipelines": ", ".join(names)},
        )
    else:
        ir.async_delete_issue(hass, DOMAIN, issue_id)
    return names
