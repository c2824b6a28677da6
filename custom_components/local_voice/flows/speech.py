"""Config flow steps for a speech-to-text server (Wyoming), and its import from version 1.

The address is checked by asking the server to describe itself; the entity
then sends the home's names to our ``local-voice-asr`` and plain Wyoming to
any other server.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigFlow, ConfigFlowResult
from homeassistant.helpers.selector import TextSelector

from ..compat import vol
from ..const import CONF_ASR_URI, CONF_KIND, KIND_SPEECH
from ..speech import SpeechServerError, async_describe, parse_asr_uri

if TYPE_CHECKING:
    from collections.abc import Mapping

SPEECH_SCHEMA = vol.Schema({vol.Required(CONF_ASR_URI): TextSelector()})


class SpeechSteps(ConfigFlow):
    """Steps that create a speech-to-text server entry."""

    async def async_step_speech(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Where the speech-to-text server is (``tcp://host:port``)."""
        errors: dict[str, str] = {}
        if user_input is not None:
            uri = str(user_input[CONF_ASR_URI]).strip()
            try:
                host, port = parse_asr_uri(uri)
            except ValueError:
                errors[CONF_ASR_URI] = "invalid_asr_uri"
            else:
                try:
                    info = await async_describe(host, port)
                except SpeechServerError:
                    errors["base"] = "cannot_connect"
                else:
                    return await self._async_create_speech(host, port, ours=info.ours)
        return self.async_show_form(
            step_id="speech",
            data_schema=self.add_suggested_values_to_schema(
                SPEECH_SCHEMA, user_input or {CONF_ASR_URI: "tcp://127.0.0.1:10300"}
            ),
            errors=errors,
        )

    async def async_step_import(self, import_data: Mapping[str, Any]) -> ConfigFlowResult:
        """A version-1 agent's speech-to-text server becomes an entry of its own."""
        try:
            host, port = parse_asr_uri(str(import_data[CONF_ASR_URI]))
        except (KeyError, ValueError):
            return self.async_abort(reason="invalid_asr_uri")
        return await self._async_create_speech(host, port, ours=None)

    async def _async_create_speech(
        self, host: str, port: int, *, ours: bool | None
    ) -> ConfigFlowResult:
        await self.async_set_unique_id(f"speech|{host.lower()}:{port}")
        self._abort_if_unique_id_configured()
        label = "Local Voice speech to text" if ours in (True, None) else "Speech to text"
        return self.async_create_entry(
            title=f"{label} ({host}:{port})",
            data={CONF_KIND: KIND_SPEECH, CONF_ASR_URI: f"tcp://{host}:{port}"},
        )
