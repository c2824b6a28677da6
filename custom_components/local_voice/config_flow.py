"""Config flow for Local Voice (the agent issue adds the Ollama steps)."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigFlow, ConfigFlowResult

from .const import DOMAIN


class LocalVoiceConfigFlow(ConfigFlow, domain=DOMAIN):
    """Create the single Local Voice entry."""

    VERSION = 1

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Create the entry at once."""
        if user_input is None:
            return self.async_show_form(step_id="user")
        return self.async_create_entry(title="Local Voice", data={})
