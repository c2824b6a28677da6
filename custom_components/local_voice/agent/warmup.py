"""Warm the model's prompt cache once HA runs, so the first open request is answered fast.

The stable part of the prompt (instructions, HA's guidance and the home's
overview, the tools) is the same for every turn, satellite and minute
(``prompt``): a server that caches prompt prefixes (llama.cpp, vLLM, Ollama)
reads it once and reuses it. The warm-up reads the home's current states
after it, as each turn's volatile message begins with them. On 2 cores the
bundled 1.5B model answers HA's prompt with a tool call in 32.7 s cold and
4.5 s with the prompt cached
(medians, docs/llm.md, measured 2026-12-06), so the agent asks for one token
with that prefix in the background after start-up, and again after its
settings change (the entry reloads). Satellites and chats in HA's UI meet
the same prefix: the timer tools HA offers a satellite go to the model only
for a sentence that speaks of time (``prompt.mentions_time``). Nothing in
the home changes; a server that is down only costs a log line.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Final

from homeassistant.core import callback
from homeassistant.exceptions import HomeAssistantError

from ..const import BACKEND_OLLAMA, DOMAIN, LOGGER
from .backend import ChatRequest, ModelError
from .home_now import home_now
from .prompt import (
    async_home_tools,
    async_stable_prompt,
    base_tokens,
    context_size,
    estimate_tokens,
)

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from ..models import AgentState
    from .backend import ModelBackend
    from .settings import AgentSettings

WARM_TIMEOUT_S: Final = 600.0  # a cold prompt on a slow, busy CPU server (in the background)
WARM_SENTENCE: Final = "Hello."


async def async_warm_model(
    hass: HomeAssistant, backend: ModelBackend, settings: AgentSettings
) -> float | None:
    """Have the server read the stable prompt and tools once; seconds taken, None on failure."""
    language = hass.config.language
    try:
        stable = await async_stable_prompt(hass, settings, language)
        tools = await async_home_tools(hass, language) if settings.control else None
    except HomeAssistantError as err:
        LOGGER.warning("Could not build the prompt to warm %s: %s", settings.model, err)
        return None
    # The current states open the volatile message of every turn (``prompt``): read
    # too, they stay cached until one of them changes.
    states = home_now(hass) if settings.control else ""
    messages = [
        {"role": "system", "content": stable},
        *([{"role": "system", "content": states}] if states else []),
        {"role": "user", "content": WARM_SENTENCE},
    ]
    num_ctx = None
    if backend.kind == BACKEND_OLLAMA:  # the size turns will ask for: Ollama reloads on a change
        prompt_tokens = estimate_tokens(messages, tools)
        num_ctx = settings.num_ctx or context_size(base_tokens(stable, tools), prompt_tokens)
    request = ChatRequest(
        model=settings.model,
        messages=messages,
        tools=tools,
        temperature=0.0,
        num_ctx=num_ctx,
        keep_alive=settings.keep_alive,
        max_tokens=1,
    )
    LOGGER.info("Warming the prompt cache of %s", settings.model)
    seconds = await async_read_prompt(backend, request)
    if seconds is not None:
        LOGGER.info("Prompt cache of %s warmed in %.1f s", settings.model, seconds)
    return seconds


async def async_read_prompt(backend: ModelBackend, request: ChatRequest) -> float | None:
    """Have the server read ``request``'s prompt (one token of answer); seconds, or None."""
    request = replace(request, max_tokens=1)
    began = time.monotonic()
    try:
        async with asyncio.timeout(WARM_TIMEOUT_S):
            async for _chunk in backend.chat(request):
                pass
    except (ModelError, TimeoutError) as err:
        LOGGER.info("The prompt cache of %s was not warmed: %s", request.model, err)
        return None
    return time.monotonic() - began


def shared_prefix(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The messages up to the last system message (the volatile one), and a short user turn."""
    last_system = max((i for i, m in enumerate(messages) if m["role"] == "system"), default=0)
    return [*messages[: last_system + 1], {"role": "user", "content": WARM_SENTENCE}]


@callback
def async_reread_after_timeout(
    hass: HomeAssistant, agent: AgentState, backend: ModelBackend, request: ChatRequest
) -> None:
    """After a turn timed out, have the server read its prompt in the background.

    A turn that times out cancels its request, and a CPU server drops the
    prompt it was reading: on 2 cores the bundled 1.5B reads 30-75 tokens a
    second, so once the cached prefix is lost (the home's entities changed,
    the server restarted, another prompt took the cache) more than ~600 new
    tokens never fit a 15 s deadline, and every later turn timed out too
    (measured: 10 turns in a row). Read once without a deadline, the prompt
    is cached again and the next turn meets it. One read per agent at a time.
    Only the part every next turn starts with is read: up to the volatile
    message (``shared_prefix``). A turn that timed out in its second round,
    on a tool's long result, had the server read that result again, and the
    next four turns waited behind it and timed out too.
    """
    if agent.rereading is not None and not agent.rereading.done():
        return
    request = replace(request, messages=shared_prefix(request.messages))
    LOGGER.info(
        "The model did not answer in time; reading the prompt into %s's cache in the background",
        request.model,
    )

    async def reread() -> None:
        seconds = await async_read_prompt(backend, request)
        if seconds is not None:
            LOGGER.info("Prompt of %s read into its cache in %.1f s", request.model, seconds)

    agent.rereading = hass.async_create_background_task(
        reread(), f"{DOMAIN} re-read the prompt of {request.model}"
    )
