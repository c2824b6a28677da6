"""Constants for the Local Voice integration."""

from __future__ import annotations

import logging
from typing import Final

DOMAIN: Final = "local_voice"
LOGGER: Final = logging.getLogger(__package__)

# One domain, two kinds of config entry: an Ollama-backed conversation agent
# (one per Ollama URL + model) and an MQTT satellite (one per satellite id).
CONF_KIND: Final = "kind"
KIND_AGENT: Final = "agent"
KIND_SATELLITE: Final = "satellite"
