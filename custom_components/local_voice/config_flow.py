"""Config flow for Local Voice: agent steps and satellite steps in one handler.

HA allows one flow handler per domain; the steps live in ``agent_flow`` and
``satellite_flow`` so each stays small.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.core import callback

from .agent_flow import AgentFlow
from .agent_options import AgentOptionsFlow
from .const import CONF_KIND, DOMAIN, KIND_SATELLITE
from .satellite_flow import SatelliteFlow, SatelliteOptionsFlow

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry, OptionsFlow


class LocalVoiceConfigFlow(SatelliteFlow, AgentFlow, domain=DOMAIN):
    """The single flow handler of the domain."""

    VERSION = 1

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> OptionsFlow:
        """The options flow of the entry's kind."""
        if config_entry.data.get(CONF_KIND) == KIND_SATELLITE:
            return SatelliteOptionsFlow()
        return AgentOptionsFlow()
