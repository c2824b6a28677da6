"""Device info shared by the entities of a satellite and of an agent."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo

from .const import BACKEND_OLLAMA, DOMAIN

if TYPE_CHECKING:
    from .protocol import Announce

MANUFACTURER: Final = "Local Voice"
SATELLITE_MODEL: Final = "MQTT satellite"


def satellite_device_info(announce: Announce) -> DeviceInfo:
    """The device of a satellite (the entities of its entry belong to it)."""
    return DeviceInfo(
        identifiers={(DOMAIN, announce.satellite_id)},
        name=announce.name,
        manufacturer=MANUFACTURER,
        model=SATELLITE_MODEL,
        sw_version=announce.software,
    )


def agent_device_info(subentry_id: str, title: str, backend: str, model: str) -> DeviceInfo:
    """The service device of an agent."""
    return DeviceInfo(
        identifiers={(DOMAIN, subentry_id)},
        name=title,
        manufacturer="Ollama" if backend == BACKEND_OLLAMA else "OpenAI-compatible server",
        model=model,
        entry_type=DeviceEntryType.SERVICE,
    )
