"""What all Local Voice entries of one ``hass`` share, made and torn down with them.

- The home's vocabulary (with its registry listeners), the lexicon and HA's
  recogniser are per ``hass``, not per entry: an agent and a speech-to-text
  entity use the same names. The first server entry starts them; the last
  to unload stops the listeners.
- The arbiter (``satellite.arbiter``) decides which satellite answers a wake
  word that several heard; every satellite entry holds it.
The object leaves ``hass.data`` with the last entry that holds any part.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from homeassistant.core import callback
from homeassistant.helpers.start import async_at_started
from homeassistant.util.hass_dict import HassKey

from .const import DOMAIN, LOGGER
from .satellite.arbiter import Arbiter
from .understanding.home import HomeUnderstanding

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant

_KEY: Final[HassKey[Runtime]] = HassKey(DOMAIN)


@dataclass
class Runtime:
    """The shared parts, and the entries that hold them."""

    arbiter: Arbiter = field(default_factory=Arbiter)
    home: HomeUnderstanding | None = None
    home_holders: set[str] = field(default_factory=set)
    holders: set[str] = field(default_factory=set)


def _runtime(hass: HomeAssistant, entry: ConfigEntry) -> Runtime:
    runtime = hass.data.get(_KEY)
    if runtime is None:
        runtime = hass.data[_KEY] = Runtime()
    runtime.holders.add(entry.entry_id)
    return runtime


@callback
def async_acquire(hass: HomeAssistant, entry: ConfigEntry) -> HomeUnderstanding:
    """The shared understanding, started on first use; warms HA's matcher once HA runs."""
    runtime = _runtime(hass, entry)
    if runtime.home is None:
        runtime.home = HomeUnderstanding(hass)
        runtime.home.async_start()
    runtime.home_holders.add(entry.entry_id)
    home = runtime.home

    async def _warm() -> None:
        try:
            await home.recognizer.async_warm()
        except Exception:  # noqa: BLE001 - a failed warm-up only costs latency later
            LOGGER.warning("Intent matcher warm-up failed", exc_info=True)

    @callback
    def _at_started(hass: HomeAssistant) -> None:
        entry.async_create_background_task(hass, _warm(), f"{DOMAIN}_warmup")

    entry.async_on_unload(async_at_started(hass, _at_started))
    return home


@callback
def async_acquire_arbiter(hass: HomeAssistant, entry: ConfigEntry) -> Arbiter:
    """The arbiter all satellites share (a satellite entry holds it while loaded)."""
    return _runtime(hass, entry).arbiter


@callback
def async_release(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Let go of the shared parts; the last holder of each stops it."""
    runtime = hass.data.get(_KEY)
    if runtime is None:
        return
    runtime.holders.discard(entry.entry_id)
    runtime.home_holders.discard(entry.entry_id)
    if runtime.home is not None and not runtime.home_holders:
        runtime.home.async_stop()
        runtime.home = None
    if not runtime.holders:
        runtime.arbiter.shutdown()
        del hass.data[_KEY]


@callback
def async_get_home(hass: HomeAssistant) -> HomeUnderstanding | None:
    """The shared understanding, when an entry holds it."""
    runtime = hass.data.get(_KEY)
    return runtime.home if runtime else None


@callback
def async_get_arbiter(hass: HomeAssistant) -> Arbiter | None:
    """The arbiter, when a satellite entry holds it (diagnostics)."""
    runtime = hass.data.get(_KEY)
    return runtime.arbiter if runtime else None
