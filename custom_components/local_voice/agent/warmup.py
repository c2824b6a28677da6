"""Warm the model's prompt cache once HA runs, so the first open request is answered fast.

The stable part of the prompt (instructions, HA's guidance and the home's
overview, the tools) is the same for every turn, satellite and minute
(``prompt``): a server that caches prompt prefixes (llama.cpp, vLLM, Ollama)
reads it once and reuses it. On 2 cores the bundled 1.5B model answers HA's
prompt with a tool call in 32.7 s cold and 4.5 s with the prompt cached
(medians, docs/llm.md, measured 2026-12-06), so the agent asks for one token
with that prefix in the background after start-up, again after its settings
change (the entry reloads), and once more when the first device that can run
timers appears (a satellite set up after the warm-up: its turns also get the
timer tools). Nothing in the home changes; a server that is down only costs
a log line.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Final

from homeassistant.components import conversation
from homeassistant.components.intent import async_device_supports_timers
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import llm

from ..const import BACKEND_OLLAMA, DOMAIN, LOGGER
from .backend import ChatRequest, ModelError
from .prompt import async_stable_prompt, auto_num_ctx, estimate_tokens, model_tools

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .backend import ModelBackend
    from .settings import AgentSettings

WARM_TIMEOUT_S: Final = 600.0  # a cold prompt on a slow, busy CPU server (in the background)
WARM_SENTENCE: Final = "Hello."


def timer_device(hass: HomeAssistant) -> str | None:
    """A device that can run timers (a satellite), or None.

    HA offers such a device the timer tools too; a satellite's turns then
    meet the warmed prompt whole, and other turns its prefix (``prompt``).
    """
    for device in dr.async_get(hass).devices.values():
        if async_device_supports_timers(hass, device.id):
            return device.id
    return None


async def async_warm_model(
    hass: HomeAssistant, backend: ModelBackend, settings: AgentSettings
) -> float | None:
    """Have the server read the stable prompt and tools once; seconds taken, None on failure."""
    language = hass.config.language
    try:
        stable = await async_stable_prompt(hass, settings, language)
        tools = None
        if settings.control:
            context = llm.LLMContext(
                platform=DOMAIN,
                context=None,
                language=language,
                assistant=conversation.DOMAIN,
                device_id=timer_device(hass),
            )
            api = await llm.async_get_api(hass, llm.LLM_API_ASSIST, context)
            tools = model_tools(api)
    except HomeAssistantError as err:
        LOGGER.warning("Could not build the prompt to warm %s: %s", settings.model, err)
        return None
    messages = [
        {"role": "system", "content": stable},
        {"role": "user", "content": WARM_SENTENCE},
    ]
    num_ctx = None
    if backend.kind == BACKEND_OLLAMA:  # the size turns will ask for: Ollama reloads on a change
        num_ctx = settings.num_ctx or auto_num_ctx(estimate_tokens(messages, tools))
    request = ChatRequest(
        model=settings.model,
        messages=messages,
        tools=tools,
        temperature=0.0,
        num_ctx=num_ctx,
        keep_alive=settings.keep_alive,
        max_tokens=1,
    )
    began = time.monotonic()
    LOGGER.info("Warming the prompt cache of %s", settings.model)
    try:
        async with asyncio.timeout(WARM_TIMEOUT_S):
            async for _chunk in backend.chat(request):
                pass
    except (ModelError, TimeoutError) as err:
        LOGGER.info("The prompt cache of %s was not warmed: %s", settings.model, err)
        return None
    seconds = time.monotonic() - began
    LOGGER.info("Prompt cache of %s warmed in %.1f s", settings.model, seconds)
    return seconds
