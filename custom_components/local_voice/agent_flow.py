"""Config flow steps for the conversation agent (Ollama URL, model, pull)."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigFlow, ConfigFlowResult

from .const import CONF_KIND, KIND_AGENT


class AgentFlow(ConfigFlow):
    """User-initiated steps that create an agent entry."""

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Create the entry at once (placeholder until the agent issue)."""
        if user_input is None:
            return self.async_show_form(step_id="user")
        return self.async_create_entry(title="Local Voice", data={CONF_KIND: KIND_AGENT})
