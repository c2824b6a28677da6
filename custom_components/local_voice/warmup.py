"""Warm HA's intent matcher once HA has started, so the first command is not slow.

HA's default agent loads its sentence templates (hassil) and builds the
slot lists of entity and area names lazily, on the first sentence it sees.
Measured in an HA test on a loaded 2-core machine, that first recognition
took 0.92 s instead of ~10 ms. Our agent matches locally through that same
default agent, and so does HA's own agent: both pay it on the user's first
command unless something does it earlier.

After a Local Voice entry is set up (and HA has started, so the entities
exist) this module asks the default agent to prepare the language and to
*recognise* one harmless sentence. Recognition only: no intent is handled,
no service is called, no ``local_voice_command`` is fired, nothing changes
in the house. Runs once per language per HA run, in the background.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Final

from homeassistant.components.conversation import ConversationInput
from homeassistant.components.conversation import async_get_agent
from homeassistant.components.conversation.const import HOME_ASSISTANT_AGENT
from homeassistant.components.conversation.default_agent import DefaultAgent
from homeassistant.core import Context, HomeAssistant, callback
from homeassistant.helpers.start import async_at_started
from homeassistant.util.hass_dict import HassKey

from .const import DOMAIN, LOGGER
from .recognition_lock import one_recognition

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry

WARMUP_SENTENCE: Final = "what time is it"
_DONE: HassKey[set[str]] = HassKey(f"{DOMAIN}_intent_warmup")


async def async_warm_intent_matcher(hass: HomeAssistant, language: str | None = None) -> float:
    """Load intents, build slot lists and run one recognition; return seconds taken.

    Returns 0.0 when it was already done for this language or there is no
    default agent (conversation not set up).
    """
    language = language or hass.config.language
    done = hass.data.setdefault(_DONE, set())
    agent = async_get_agent(hass)
    if not isinstance(agent, DefaultAgent) or language in done:
        return 0.0
    done.add(language)
    began = time.perf_counter()
    await agent.async_prepare(language)
    async with one_recognition(hass):
        await agent.async_recognize_intent(
            ConversationInput(
                text=WARMUP_SENTENCE,
                context=Context(),
                conversation_id=None,
                device_id=None,
                language=language,
                agent_id=HOME_ASSISTANT_AGENT,
            )
        )
    seconds = time.perf_counter() - began
    LOGGER.info("Intent matcher for %s warmed up in %.2f s", language, seconds)
    return seconds


@callback
def schedule_intent_warmup(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Warm the matcher in the background once HA has started (no-op if already warm)."""

    async def _at_started(hass: HomeAssistant) -> None:
        entry.async_create_background_task(
            hass, _warm_logged(hass), f"{DOMAIN}_intent_warmup", eager_start=False
        )

    entry.async_on_unload(async_at_started(hass, _at_started))


async def _warm_logged(hass: HomeAssistant) -> None:
    try:
        await async_warm_intent_matcher(hass)
    except Exception:  # noqa: BLE001 - a failed warm-up only costs latency later
        LOGGER.warning("Intent matcher warm-up failed", exc_info=True)
        hass.data.get(_DONE, set()).discard(hass.config.language)
