"""One sentence at a time through HA's default agent.

HA 2025.4's ``DefaultAgent.async_recognize_intent`` narrows the shared
``slot_lists["name"]`` to the names in *this* sentence, then matches in an
executor thread that reads that same dict. Two recognitions at once (a live
command while the repair parses warm up in the background, or two
satellites) can overwrite each other's names: the live sentence then fails
to match, and HA caches the miss for that text until its lists are rebuilt.
Seen in a test under CPU load: "unlock the front door" missed, went to the
repair, and was run as "lock the front door". So every recognition that
Local Voice starts (local intents, repair parses, the warm-up) holds one
lock per HA instance.

A call made while the lock is already held further up the same call chain
(an intent handler whose script asks the agent something) runs without
waiting for it, rather than deadlocking.
"""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Final

from homeassistant.util.hass_dict import HassKey

from .const import DOMAIN

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from homeassistant.core import HomeAssistant

_LOCK: Final[HassKey[asyncio.Lock]] = HassKey(f"{DOMAIN}_recognition_lock")
_HELD: ContextVar[bool] = ContextVar(f"{DOMAIN}_recognition_lock_held", default=False)


def recognition_lock(hass: HomeAssistant) -> asyncio.Lock:
    """The lock of ``hass`` (made on first use)."""
    lock = hass.data.get(_LOCK)
    if lock is None:
        lock = hass.data[_LOCK] = asyncio.Lock()
    return lock


@asynccontextmanager
async def one_recognition(hass: HomeAssistant) -> AsyncIterator[None]:
    """Hold the lock around one recognition (and the intent it may run)."""
    if _HELD.get():
        yield
        return
    async with recognition_lock(hass):
        token = _HELD.set(True)
        try:
            yield
        finally:
            _HELD.reset(token)
