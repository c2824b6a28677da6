"""Constants for the Local Voice integration."""

from __future__ import annotations

import logging
from typing import Final

DOMAIN: Final = "local_voice"
LOGGER: Final = logging.getLogger(__package__)
