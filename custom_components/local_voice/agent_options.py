"""Options of an agent entry: prompt, control, local intents, model tuning, confirmations."""

from __future__ import annotations

from typing import Any

import voluptuous as vol
from homeassistant.config_entries import ConfigFlowResult, OptionsFlow
from homeassistant.helpers import llm
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    TemplateSelector,
    TextSelector,
)

from .agent_data import AgentSettings
from .const import (
    CONF_ASR_URI,
    CONF_CONFIRM,
    CONF_CONTROL,
    CONF_KEEP_ALIVE,
    CONF_MAX_HISTORY,
    CONF_NUM_CTX,
    CONF_PREFER_LOCAL,
    CONF_PROMPT,
    CONF_TEMPERATURE,
    CONF_TIMEOUT,
    MAX_NUM_CTX,
    MIN_NUM_CTX,
    RISK_KINDS,
)
from .prompt_budget import async_estimate_home_prompt, auto_num_ctx
from .stt import parse_asr_uri


def _number(low: float, high: float, step: float = 1) -> NumberSelector:
    return NumberSelector(
        NumberSelectorConfig(min=low, max=high, step=step, mode=NumberSelectorMode.BOX)
    )


def options_schema(settings: AgentSettings) -> vol.Schema:
    """The options form, prefilled from the current settings."""
    return vol.Schema(
        {
            vol.Optional(
                CONF_PROMPT,
                description={"suggested_value": settings.prompt or llm.DEFAULT_INSTRUCTIONS_PROMPT},
            ): TemplateSelector(),
            vol.Required(CONF_CONTROL, default=settings.control): BooleanSelector(),
            vol.Required(CONF_PREFER_LOCAL, default=settings.prefer_local): BooleanSelector(),
            vol.Required(CONF_MAX_HISTORY, default=settings.max_history): _number(0, 100),
            vol.Required(CONF_KEEP_ALIVE, default=settings.keep_alive): _number(-1, 86400),
            vol.Required(CONF_NUM_CTX, default=settings.num_ctx): _number(0, MAX_NUM_CTX),
            vol.Required(CONF_TEMPERATURE, default=settings.temperature): _number(0, 2, 0.05),
            vol.Required(CONF_TIMEOUT, default=settings.timeout): _number(2, 120, 0.5),
            vol.Required(CONF_CONFIRM, default=sorted(settings.confirm)): SelectSelector(
                SelectSelectorConfig(
                    options=list(RISK_KINDS), multiple=True, translation_key=CONF_CONFIRM
                )
            ),
            vol.Optional(
                CONF_ASR_URI, description={"suggested_value": settings.asr_uri or ""}
            ): TextSelector(),
        }
    )


class AgentOptionsFlow(OptionsFlow):
    """One form; the description shows the prompt size for the exposed entities now."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show or save the options."""
        entry = self.config_entry
        errors: dict[str, str] = {}
        if user_input is not None:
            cleaned = _clean(user_input)
            num_ctx = cleaned[CONF_NUM_CTX]
            if 0 < num_ctx < MIN_NUM_CTX:
                errors[CONF_NUM_CTX] = "num_ctx_too_small"
            elif not _asr_uri_ok(cleaned.get(CONF_ASR_URI)):
                errors[CONF_ASR_URI] = "invalid_asr_uri"
            else:
                return self.async_create_entry(data=cleaned)
        settings = AgentSettings.from_entry(entry.data, {**entry.options, **(user_input or {})})
        tokens = await async_estimate_home_prompt(self.hass, settings.prompt)
        return self.async_show_form(
            step_id="init",
            data_schema=options_schema(settings),
            errors=errors,
            description_placeholders={
                "tokens": str(tokens),
                "auto_num_ctx": str(auto_num_ctx(tokens)),
            },
        )


def _clean(user_input: dict[str, Any]) -> dict[str, Any]:
    """Types as stored: ints for counts, floats for tuning, a list for the confirmations."""
    cleaned = dict(user_input)
    for key in (CONF_MAX_HISTORY, CONF_KEEP_ALIVE, CONF_NUM_CTX):
        cleaned[key] = int(cleaned[key])
    for key in (CONF_TEMPERATURE, CONF_TIMEOUT):
        cleaned[key] = float(cleaned[key])
    cleaned[CONF_CONFIRM] = [k for k in cleaned.get(CONF_CONFIRM, []) if k in RISK_KINDS]
    if not str(cleaned.get(CONF_ASR_URI, "")).strip():
        cleaned.pop(CONF_ASR_URI, None)
    if not str(cleaned.get(CONF_PROMPT, "")).strip():
        cleaned.pop(CONF_PROMPT, None)
    return cleaned


def _asr_uri_ok(uri: object) -> bool:
    """Empty (no STT entity) or a ``tcp://host:port`` the STT entity can use."""
    if uri is None:
        return True
    try:
        parse_asr_uri(str(uri))
    except ValueError:
        return False
    return True
