"""Config flow steps for MQTT satellites (discovery on local_voice/+/announce)."""

from __future__ import annotations

from homeassistant.config_entries import ConfigFlow


class SatelliteFlow(ConfigFlow):
    """Discovery-initiated steps that create a satellite entry."""
