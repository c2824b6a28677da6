"""How big the prompt is, and a context window that fits it.

The prompt grows with the number of exposed entities (HA's Assist API lists
them all). Ollama silently truncates a prompt longer than ``num_ctx``, which
cuts the entity list and the tools: the model then "forgets" devices. So the
default context is sized from the prompt, and an explicit size that is too
small raises a repair issue. Token counts are an ESTIMATE (characters / 4):
no tokenizer of the user's model is available here.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Final

from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN, MAX_NUM_CTX, MIN_NUM_CTX

if TYPE_CHECKING:
    from collections.abc import Sequence

    from homeassistant.core import HomeAssistant

CHARS_PER_TOKEN: Final = 4
ANSWER_HEADROOM: Final = 1024  # tokens kept free for history turns and the answer
STEP: Final = 1024


def estimate_tokens(messages: Sequence[Any], tools: Sequence[Any] | None) -> int:
    """Estimated prompt tokens of the messages plus the tool schemas."""
    chars = sum(len(str(_content(m))) for m in messages)
    chars += len(json.dumps(list(tools or []), default=str))
    return chars // CHARS_PER_TOKEN + 4 * len(messages)


def _content(message: Any) -> Any:
    if isinstance(message, dict):
        return message.get("content") or ""
    return getattr(message, "content", "") or ""


def auto_num_ctx(prompt_tokens: int) -> int:
    """The smallest multiple of 1024 that holds the prompt plus headroom."""
    need = prompt_tokens + ANSWER_HEADROOM
    size = -(-need // STEP) * STEP
    return max(MIN_NUM_CTX, min(MAX_NUM_CTX, size))


def choose_num_ctx(hass: HomeAssistant, entry_id: str, configured: int, prompt_tokens: int) -> int:
    """The context to request; raises or clears the 'prompt truncated' repair issue."""
    issue_id = f"prompt_truncated_{entry_id}"
    if configured <= 0:
        ir.async_delete_issue(hass, DOMAIN, issue_id)
        return auto_num_ctx(prompt_tokens)
    if prompt_tokens > configured:
        ir.async_create_issue(
            hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key="prompt_truncated",
            translation_placeholders={
                "tokens": str(prompt_tokens),
                "num_ctx": str(configured),
                "suggested": str(auto_num_ctx(prompt_tokens)),
            },
        )
    else:
        ir.async_delete_issue(hass, DOMAIN, issue_id)
    return configured


async def async_estimate_home_prompt(hass: HomeAssistant, prompt: str | None = None) -> int:
    """Estimated tokens of the system prompt + Assist tools for the exposed entities now."""
    from homeassistant.helpers import llm  # noqa: PLC0415
    from voluptuous_openapi import convert  # type: ignore[import-untyped]  # noqa: PLC0415

    context = llm.LLMContext(
        platform=DOMAIN,
        context=None,
        user_prompt=None,
        language=hass.config.language,
        assistant="conversation",
        device_id=None,
    )
    api = await llm.async_get_api(hass, llm.LLM_API_ASSIST, context)
    tools = [
        {
            "type": "function",
            "function": {
                "name": tool.name,
                "description": tool.description or "",
                "parameters": convert(tool.parameters, custom_serializer=api.custom_serializer),
            },
        }
        for tool in api.tools
    ]
    system = llm.BASE_PROMPT + (prompt or llm.DEFAULT_INSTRUCTIONS_PROMPT) + "\n" + api.api_prompt
    return estimate_tokens([{"role": "system", "content": system}], tools)
