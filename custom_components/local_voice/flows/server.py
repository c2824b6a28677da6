"""Config flow steps for a language model server: Ollama or an OpenAI-compatible server.

The address is checked by listing the server's models (``cannot_connect``
when nothing answers, ``unknown`` for an answer that is not the API asked
for). Then the first agent's model is picked; on Ollama a model the server
lacks can be pulled, with a progress step. The entry is created with that
agent as its first ``conversation`` sub-entry; more agents are added as
sub-entries (``flows.agent``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import SOURCE_RECONFIGURE, ConfigFlow, ConfigFlowResult
from homeassistant.helpers.selector import (
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from ..agent.backend import ModelAnswerError, ModelError, ModelFailedError
from ..agent.clients import make_backend
from ..agent.ollama_api import OllamaBackend
from ..agent.settings import ServerSettings
from ..compat import vol
from ..const import (
    BACKEND_OLLAMA,
    BACKENDS,
    CONF_API_KEY,
    CONF_BACKEND,
    CONF_KIND,
    CONF_MODEL,
    CONF_URL,
    KIND_SERVER,
    LOGGER,
    SETUP_TIMEOUT,
    SUBENTRY_AGENT,
)
from ..migration import server_unique_id

if TYPE_CHECKING:
    import asyncio

    from ..agent.backend import ModelBackend

DEFAULT_URLS = {BACKEND_OLLAMA: "http://127.0.0.1:11434", "openai": "http://127.0.0.1:10600/v1"}


def server_schema() -> vol.Schema:
    """The server form: backend, URL, optional API key."""
    return vol.Schema(
        {
            vol.Required(CONF_BACKEND, default=BACKEND_OLLAMA): SelectSelector(
                SelectSelectorConfig(
                    options=list(BACKENDS),
                    translation_key=CONF_BACKEND,
                    mode=SelectSelectorMode.LIST,
                )
            ),
            vol.Required(CONF_URL): TextSelector(TextSelectorConfig(type=TextSelectorType.URL)),
            vol.Optional(CONF_API_KEY): TextSelector(
                TextSelectorConfig(type=TextSelectorType.PASSWORD)
            ),
        }
    )


async def async_check_server(backend: ModelBackend) -> tuple[list[str] | None, dict[str, str]]:
    """The server's models, or the form error of why they could not be listed."""
    try:
        return await backend.async_list_models(SETUP_TIMEOUT), {}
    except (ModelAnswerError, ModelFailedError):
        LOGGER.exception("Unexpected answer from the model server")
        return None, {"base": "unknown"}
    except ModelError:
        return None, {"base": "cannot_connect"}


class ServerSteps(ConfigFlow):
    """User-initiated (and reconfigure) steps that create or change a server entry."""

    _server: ServerSettings | None = None
    _backend: ModelBackend | None = None
    _models: list[str] | None = None
    _model: str | None = None
    _pull_task: asyncio.Task[None] | None = None
    _pull_status: str = ""

    async def async_step_server(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Where the model server is."""
        return await self._async_server_step("server", user_input)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the server of an existing entry (its agents stay)."""
        return await self._async_server_step("reconfigure", user_input)

    async def _async_server_step(
        self, step_id: str, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                settings = ServerSettings.from_data(user_input)
            except ValueError:
                errors["base"] = "invalid_url"
            else:
                backend = make_backend(settings, SETUP_TIMEOUT)
                models, errors = await async_check_server(backend)
                if models is not None:
                    self._server, self._backend, self._models = settings, backend, models
                    if self.source == SOURCE_RECONFIGURE:
                        return await self._async_update_server()
                    return await self.async_step_model()
                await backend.async_close()
        suggested: dict[str, Any] = {CONF_URL: DEFAULT_URLS[BACKEND_OLLAMA]}
        if self.source == SOURCE_RECONFIGURE:
            suggested = dict(self._get_reconfigure_entry().data)
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(
                server_schema(), user_input or suggested
            ),
            errors=errors,
            last_step=False,
        )

    async def _async_update_server(self) -> ConfigFlowResult:
        assert self._server is not None
        entry = self._get_reconfigure_entry()
        unique_id = server_unique_id(self._server.backend, self._server.url)
        for other in self._async_current_entries(include_ignore=False):
            if other.entry_id != entry.entry_id and other.unique_id == unique_id:
                return self.async_abort(reason="already_configured")
        return self.async_update_reload_and_abort(
            entry, unique_id=unique_id, title=self._server.url, data=self._entry_data()
        )

    def _entry_data(self) -> dict[str, Any]:
        assert self._server is not None
        data = {
            CONF_KIND: KIND_SERVER,
            CONF_BACKEND: self._server.backend,
            CONF_URL: self._server.url,
        }
        if self._server.api_key:
            data[CONF_API_KEY] = self._server.api_key
        return data

    async def async_step_model(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Pick the first agent's model, or (Ollama) name one to pull."""
        models = self._models or []
        errors: dict[str, str] = {}
        if user_input is not None:
            model = str(user_input[CONF_MODEL]).strip()
            if not model:
                errors["base"] = "model_required"
            else:
                self._model = model
                if model in models:
                    return await self._async_finish()
                if isinstance(self._backend, OllamaBackend):
                    return await self.async_step_pull()
                errors["base"] = "model_not_on_server"
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
            description_placeholders={
                "count": str(len(models)),
                "url": self._server.url if self._server else "",
            },
        )

    async def async_step_pull(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:  # noqa: ARG002
        """Pull the model, showing progress until the stream ends."""
        assert isinstance(self._backend, OllamaBackend)
        assert self._model is not None
        if self._pull_task is None:
            self._pull_task = self.hass.async_create_task(
                self._async_pull(self._backend, self._model), f"local_voice pull {self._model}"
            )
        if not self._pull_task.done():
            return self.async_show_progress(
                step_id="pull",
                progress_action="pull",
                progress_task=self._pull_task,
                description_placeholders={"model": self._model},
            )
        error = self._pull_task.exception()
        self._pull_task = None
        if error is not None:
            LOGGER.warning("Pulling %s failed: %s", self._model, error)
            return self.async_show_progress_done(next_step_id="pull_failed")
        return self.async_show_progress_done(next_step_id="pull_done")

    async def _async_pull(self, backend: OllamaBackend, model: str) -> None:
        async for progress in backend.async_pull(model):
            self._pull_status = progress.status
            LOGGER.info("Pulling %s: %s %.0f%%", model, progress.status, 100 * progress.fraction)
        if self._pull_status != "success":
            raise ModelFailedError(f"pull ended with {self._pull_status!r}")

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
            description_placeholders={"model": self._model or "", "status": self._pull_status},
        )

    async def _async_finish(self) -> ConfigFlowResult:
        assert self._server is not None
        assert self._model is not None
        if self._backend is not None:
            await self._backend.async_close()
        await self.async_set_unique_id(server_unique_id(self._server.backend, self._server.url))
        self._abort_if_unique_id_configured()
        return self.async_create_entry(
            title=self._server.url,
            data=self._entry_data(),
            subentries=[
                {
                    "subentry_type": SUBENTRY_AGENT,
                    "data": {CONF_MODEL: self._model},
                    "title": self._model.removesuffix(":latest"),
                    "unique_id": None,
                }
            ],
        )
