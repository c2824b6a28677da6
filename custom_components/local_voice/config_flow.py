"""Config flow for Local Voice: agent steps and satellite steps in one handler.

HA allows one flow handler per domain; the steps live in ``agent_flow`` and
``satellite_flow`` so each stays small.
"""

from __future__ import annotations

from .agent_flow import AgentFlow
from .const import DOMAIN
from .satellite_flow import SatelliteFlow


class LocalVoiceConfigFlow(SatelliteFlow, AgentFlow, domain=DOMAIN):
    """The single flow handler of the domain."""

    VERSION = 1
