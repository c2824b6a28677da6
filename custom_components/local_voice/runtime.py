"""What all Local Voice entries of one ``hass`` share, made and torn down with them.

The home's vocabulary (with its registry listeners), the lexicon and HA's
recogniser are per ``hass``, not per entry: an agent and a speech-to-text
entity use the same names. The first entry to set up starts them; the last
to unload stops the listeners and drops the object from ``hass.data``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from homeassistant.core import callback
from homeassistant.helpers.start import async_at_started
from homeassistant.util.hass_dict import HassKey

from .const import DOMAIN, LOGGER
from .understanding.home import HomeUnderstanding

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant

_KEY: Final[HassKey[Runtime]] = HassKey(DOMAIN)


@dataclass
class Runtime:
    """The shared part, and the entries that hold it."""

    home: HomeUnderstanding
    holders: set[str] = field(default_factory=set)


@callback
def async_acquire(hass: HomeAssistant, entry: ConfigEntry) -> HomeUnderstanding:
    """The shared understanding, started on first use; warms HA's matcher once HA runs."""
    runtime = hass.data.get(_KEY)
    if runtime is None:
        home = HomeUnderstanding(hass)
        home.async_start()
        runtime = hass.data[_KEY] = Runtime(home)
    runtime.holders.add(entry.entry_id)

    async def _warm() -> None:
        try:
            await runtime.home.recognizer.async_warm()
        except Exception:  # noqa: BLE001 - a failed warm-up only costs latency later
            LOGGER.warning("Intent matcher warm-up failed", exc_info=True)

    @callback
    def _at_started(hass: HomeAssistant) -> None:
        entry.async_create_background_task(hass, _warm(), f"{DOMAIN}_warmup")

    entry.async_on_unload(async_at_started(hass, _at_started))
    return runtime.home


@callback
def async_release(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Let go of the shared part; the last holder stops it."""
    runtime = hass.data.get(_KEY)
    if runtime is None:
        return
    runtime.holders.discard(entry.entry_id)
    if not runtime.holders:
        runtime.home.async_stop()
        del hass.data[_KEY]


@callback
def async_get_home(hass: HomeAssistant) -> HomeUnderstanding | None:
    """The shared understanding, when an entry holds it."""
    runtime = hass.data.get(_KEY)
    return runtime.home if runtime else None
