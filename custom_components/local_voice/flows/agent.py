"""The sub-entry flow of a conversation agent: its model, instructions and behaviour.

One form, to add an agent to a server or to change one: the model (from the
server's list, or typed), the instructions template, whether it controls
the home, HA's intents first, history, sampling, the deadline, and which
actions need a spoken "yes". The form's description shows how large the
prompt is for the entities exposed now.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntryState, ConfigSubentryFlow, SubentryFlowResult
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    TemplateSelector,
)

from ..agent.prompt import VOICE_INSTRUCTIONS, async_estimate_home_prompt, auto_num_ctx
from ..agent.settings import AgentSettings
from ..compat import vol
from ..const import (
    BACKEND_OLLAMA,
    CONF_CONFIRM,
    CONF_CONTROL,
    CONF_KEEP_ALIVE,
    CONF_MAX_HISTORY,
    CONF_MODEL,
    CONF_NUM_CTX,
    CONF_PREFER_LOCAL,
    CONF_PROMPT,
    CONF_TEMPERATURE,
    CONF_TIMEOUT,
    MAX_NUM_CTX,
    MIN_NUM_CTX,
    RISK_KINDS,
    SETUP_TIMEOUT,
)

if TYPE_CHECKING:
    from ..models import ServerEntry


def _number(low: float, high: float, step: float = 1) -> NumberSelector:
    return NumberSelector(
        NumberSelectorConfig(min=low, max=high, step=step, mode=NumberSelectorMode.BOX)
    )


def agent_schema(settings: AgentSettings, models: list[str], backend: str) -> vol.Schema:
    """The agent form, prefilled from ``settings``; Ollama's own knobs only for Ollama."""
    fields: dict[Any, Any] = {
        vol.Required(CONF_MODEL, default=settings.model): SelectSelector(
            SelectSelectorConfig(options=models, custom_value=True, sort=True)
        ),
        vol.Optional(
            CONF_PROMPT, description={"suggested_value": settings.prompt or VOICE_INSTRUCTIONS}
        ): TemplateSelector(),
        vol.Required(CONF_CONTROL, default=settings.control): BooleanSelector(),
        vol.Required(CONF_PREFER_LOCAL, default=settings.prefer_local): BooleanSelector(),
        vol.Required(CONF_MAX_HISTORY, default=settings.max_history): _number(0, 100),
        vol.Required(CONF_TEMPERATURE, default=settings.temperature): _number(0, 2, 0.05),
        vol.Required(CONF_TIMEOUT, default=settings.timeout): _number(2, 120, 0.5),
        vol.Required(CONF_CONFIRM, default=sorted(settings.confirm)): SelectSelector(
            SelectSelectorConfig(
                options=list(RISK_KINDS), multiple=True, translation_key=CONF_CONFIRM
            )
        ),
    }
    if backend == BACKEND_OLLAMA:
        fields[vol.Required(CONF_KEEP_ALIVE, default=settings.keep_alive)] = _number(-1, 86400)
        fields[vol.Required(CONF_NUM_CTX, default=settings.num_ctx)] = _number(0, MAX_NUM_CTX)
    return vol.Schema(fields)


def clean_agent_input(user_input: dict[str, Any]) -> dict[str, Any]:
    """Types as stored: ints for counts, floats for tuning, a list for the confirmations."""
    cleaned = dict(user_input)
    cleaned[CONF_MODEL] = str(cleaned[CONF_MODEL]).strip()
    for key in (CONF_MAX_HISTORY, CONF_KEEP_ALIVE, CONF_NUM_CTX):
        if key in cleaned:
            cleaned[key] = int(cleaned[key])
    for key in (CONF_TEMPERATURE, CONF_TIMEOUT):
        cleaned[key] = float(cleaned[key])
    cleaned[CONF_CONFIRM] = [k for k in cleaned.get(CONF_CONFIRM, []) if k in RISK_KINDS]
    if (
        not str(cleaned.get(CONF_PROMPT, "")).strip()
        or cleaned.get(CONF_PROMPT) == VOICE_INSTRUCTIONS
    ):
        cleaned.pop(CONF_PROMPT, None)
    return cleaned


class AgentSubentryFlow(ConfigSubentryFlow):
    """Add or change a conversation agent of a server."""

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """A new agent."""
        return await self._async_form("user", user_input)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change an agent."""
        return await self._async_form("reconfigure", user_input)

    async def _async_form(
        self, step_id: str, user_input: dict[str, Any] | None
    ) -> SubentryFlowResult:
        entry: ServerEntry = self._get_entry()
        if entry.state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="entry_not_loaded")
        backend = entry.runtime_data.backend
        current = (
            AgentSettings.from_data(self._get_reconfigure_subentry().data)
            if self.source == "reconfigure"
            else None
        )
        errors: dict[str, str] = {}
        if user_input is not None:
            cleaned = clean_agent_input(user_input)
            num_ctx = cleaned.get(CONF_NUM_CTX, 0)
            if not cleaned[CONF_MODEL]:
                errors[CONF_MODEL] = "model_required"
            elif 0 < num_ctx < MIN_NUM_CTX:
                errors[CONF_NUM_CTX] = "num_ctx_too_small"
            elif current is None:
                title = cleaned[CONF_MODEL].removesuffix(":latest")
                return self.async_create_entry(title=title, data=cleaned)
            else:
                return self.async_update_and_abort(
                    entry, self._get_reconfigure_subentry(), data=cleaned
                )
        try:
            models = await backend.async_list_models(SETUP_TIMEOUT)
        except Exception:  # noqa: BLE001 - the form still works with a typed model name
            models = []
        settings = current or AgentSettings(model=models[0] if models else "")
        if user_input is not None:
            settings = AgentSettings.from_data(
                {**user_input, CONF_MODEL: user_input.get(CONF_MODEL) or "-"}
            )
        tokens = await async_estimate_home_prompt(self.hass, settings, self.hass.config.language)
        return self.async_show_form(
            step_id=step_id,
            data_schema=agent_schema(settings, models, backend.kind),
            errors=errors,
            description_placeholders={
                "tokens": str(tokens),
                "auto_num_ctx": str(auto_num_ctx(tokens)),
            },
        )
