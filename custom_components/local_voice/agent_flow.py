"""Config flow steps for the conversation agent: Ollama URL, model, optional pull.

The URL is checked by listing the server's models (``cannot_connect`` when
nothing answers, ``unknown`` for anything else). A model the server does not
have yet can be pulled, with a progress step streaming ``/api/pull``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import voluptuous as vol
from homeassistant.config_entries import SOURCE_RECONFIGURE, ConfigFlow, ConfigFlowResult
from homeassistant.helpers.selector import (
    SelectSelector,
    SelectSelectorConfig,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from .const import CONF_KIND, CONF_MODEL, CONF_URL, KIND_AGENT, LOGGER, SETUP_TIMEOUT
from .ollama_api import (
    OllamaBadAnswerError,
    OllamaUnreachableError,
    async_list_models,
    async_pull,
    make_client,
)

if TYPE_CHECKING:
    import asyncio

    import ollama

URL_SCHEMA = vol.Schema(
    {vol.Required(CONF_URL): TextSelector(TextSelectorConfig(type=TextSelectorType.URL))}
)


def agent_unique_id(url: str, model: str) -> str:
    """One entry per Ollama URL + model."""
    return f"{url.strip().rstrip('/').lower()}|{model.strip()}"


def agent_title(model: str) -> str:
    """'llama3.2' for 'llama3.2:latest'."""
    return model.removesuffix(":latest")


class AgentFlow(ConfigFlow):
    """User-initiated (and reconfigure) steps that create or change an agent entry."""

    _agent_url: str | None = None
    _agent_models: list[str] | None = None
    _agent_model: str | None = None
    _agent_client: ollama.AsyncClient | None = None
    _agent_pull_task: asyncio.Task[None] | None = None
    _agent_pull_status: str = ""

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the Ollama URL and check it."""
        return await self._async_url_step("user", user_input)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change URL and model of an existing agent entry."""
        return await self._async_url_step("reconfigure", user_input)

    async def _async_url_step(
        self, step_id: str, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        errors: dict[str, str] = {}
        if user_input is not None:
            url = str(user_input[CONF_URL]).strip()
            self._agent_client = make_client(url, SETUP_TIMEOUT)
            try:
                self._agent_models = await async_list_models(self._agent_client, SETUP_TIMEOUT)
            except OllamaUnreachableError:
                errors["base"] = "cannot_connect"
            except OllamaBadAnswerError:
                LOGGER.exception("Unexpected answer from Ollama at %s", url)
                errors["base"] = "unknown"
            else:
                self._agent_url = url
                return await self.async_step_model()
        suggested = {CONF_URL: "http://127.0.0.1:11434"}
        if self.source == SOURCE_RECONFIGURE:
            suggested = {CONF_URL: self._get_reconfigure_entry().data.get(CONF_URL, "")}
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(URL_SCHEMA, user_input or suggested),
            errors=errors,
            last_step=False,
        )

    async def async_step_model(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Pick one of the server's models, or name one to pull."""
        models = self._agent_models or []
        if user_input is not None:
            model = str(user_input[CONF_MODEL]).strip()
            if not model:
                return self._show_model_form(models, {"base": "model_required"})
            self._agent_model = model
            if model not in models:
                return await self.async_step_pull()
            return await self._async_finish()
        return self._show_model_form(models, {})

    def _show_model_form(self, models: list[str], errors: dict[str, str]) -> ConfigFlowResult:
        schema = vol.Schema(
            {
                vol.Required(CONF_MODEL, default=models[0] if models else ""): SelectSelector(
                    SelectSelectorConfig(options=models, custom_value=True, sort=True)
                )
            }
        )
        return self.async_show_form(
            step_id="model",
            data_schema=schema,
            errors=errors,
            description_placeholders={"count": str(len(models)), "url": self._agent_url or ""},
        )

    async def async_step_pull(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:  # noqa: ARG002
        """Pull the model, showing progress until the stream ends."""
        assert self._agent_client is not None
        assert self._agent_model is not None
        if self._agent_pull_task is None:
            self._agent_pull_task = self.hass.async_create_task(
                self._async_pull(self._agent_client, self._agent_model),
                f"local_voice pull {self._agent_model}",
            )
        if not self._agent_pull_task.done():
            return self.async_show_progress(
                step_id="pull",
                progress_action="pull",
                progress_task=self._agent_pull_task,
                description_placeholders={"model": self._agent_model},
            )
        error = self._agent_pull_task.exception()
        self._agent_pull_task = None
        if error is not None:
            LOGGER.warning("Pulling %s failed: %s", self._agent_model, error)
            return self.async_show_progress_done(next_step_id="pull_failed")
        return self.async_show_progress_done(next_step_id="pull_done")

    async def _async_pull(self, client: ollama.AsyncClient, model: str) -> None:
        async for progress in async_pull(client, model):
            self._agent_pull_status = progress.status
            LOGGER.info("Pulling %s: %s %.0f%%", model, progress.status, 100 * progress.fraction)
        if self._agent_pull_status != "success":
            raise OllamaBadAnswerError(f"pull ended with {self._agent_pull_status!r}")

    async def async_step_pull_done(
        self,
        user_input: dict[str, Any] | None = None,  # noqa: ARG002
    ) -> ConfigFlowResult:
        """The model is on the server now."""
        return await self._async_finish()

    async def async_step_pull_failed(
        self,
        user_input: dict[str, Any] | None = None,  # noqa: ARG002
    ) -> ConfigFlowResult:
        """The pull failed (unknown model, server error)."""
        return self.async_abort(
            reason="pull_failed",
            description_placeholders={
                "model": self._agent_model or "",
                "status": self._agent_pull_status,
            },
        )

    async def _async_finish(self) -> ConfigFlowResult:
        assert self._agent_url is not None
        assert self._agent_model is not None
        unique_id = agent_unique_id(self._agent_url, self._agent_model)
        data = {CONF_KIND: KIND_AGENT, CONF_URL: self._agent_url, CONF_MODEL: self._agent_model}
        if self.source == SOURCE_RECONFIGURE:
            entry = self._get_reconfigure_entry()
            for other in self._async_current_entries(include_ignore=False):
                if other.entry_id != entry.entry_id and other.unique_id == unique_id:
                    return self.async_abort(reason="already_configured")
            return self.async_update_reload_and_abort(
                entry, unique_id=unique_id, title=agent_title(self._agent_model), data=data
            )
        await self.async_set_unique_id(unique_id)
        self._abort_if_unique_id_configured()
        return self.async_create_entry(title=agent_title(self._agent_model), data=data)
