"""Diagnostics of an agent entry, with the URL and the prompt redacted.

The Ollama URL can carry credentials (``http://user:pass@host``) and the
system prompt can name people and places; both are redacted. What helps a
bug report stays: the model, the options, counters and the last error.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from homeassistant.components.diagnostics import async_redact_data

from .const import CONF_KIND, CONF_PROMPT, CONF_URL, KIND_SATELLITE

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant

    from .agent_data import AgentConfigEntry

TO_REDACT = {CONF_URL, CONF_PROMPT, "url"}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant,  # noqa: ARG001
    entry: ConfigEntry,
) -> dict[str, Any]:
    """Entry data/options (redacted) and the agent's runtime counters."""
    result: dict[str, Any] = {
        "data": async_redact_data(dict(entry.data), TO_REDACT),
        "options": async_redact_data(dict(entry.options), TO_REDACT),
    }
    if entry.data.get(CONF_KIND) == KIND_SATELLITE:
        return result
    agent_entry: AgentConfigEntry = entry
    runtime = getattr(agent_entry, "runtime_data", None)
    if runtime is not None:
        settings = asdict(runtime.settings)
        settings["confirm"] = sorted(settings["confirm"])
        result["settings"] = async_redact_data(settings, TO_REDACT)
        result["stats"] = asdict(runtime.stats)
        result["pending_confirmations"] = len(runtime.pending)
    return result
