"""Config flow for Local Voice: one handler for the three kinds of entry.

HA allows one flow handler per domain; the steps of each kind live in
``flows`` so each stays small. Adding the integration asks what to add: a
language model server (its agents are sub-entries, ``flows.agent``) or a
speech-to-text server. Satellites arrive by MQTT discovery.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.core import callback

from .const import CONF_KIND, DOMAIN, KIND_SATELLITE, KIND_SERVER, SUBENTRY_AGENT
from .flows.agent import AgentSubentryFlow
from .flows.satellite import SatelliteOptionsFlow, SatelliteSteps
from .flows.server import ServerSteps
from .flows.speech import SpeechSteps
from .migration import VERSION

if TYPE_CHECKING:
    from homeassistant.config_entries import (
        ConfigEntry,
        ConfigFlowResult,
        ConfigSubentryFlow,
        OptionsFlow,
    )


class LocalVoiceConfigFlow(ServerSteps, SpeechSteps, SatelliteSteps, domain=DOMAIN):
    """The single flow handler of the domain."""

    VERSION = VERSION

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:  # noqa: ARG002
        """What to add."""
        return self.async_show_menu(step_id="user", menu_options=["server", "speech"])

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> OptionsFlow:  # noqa: ARG004
        """Options exist for satellites (their endpointing)."""
        return SatelliteOptionsFlow()

    @classmethod
    @callback
    def async_supports_options_flow(cls, config_entry: ConfigEntry) -> bool:
        """Only satellites have options; agents are changed in their sub-entries."""
        return config_entry.data.get(CONF_KIND) == KIND_SATELLITE

    @classmethod
    @callback
    def async_get_supported_subentry_types(
        cls, config_entry: ConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """A server's agents are sub-entries."""
        if config_entry.data.get(CONF_KIND) == KIND_SERVER:
            return {SUBENTRY_AGENT: AgentSubentryFlow}
        return {}
