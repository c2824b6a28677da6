"""The backend of a server's settings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from ..const import BACKEND_OLLAMA
from .ollama_api import OllamaBackend
from .openai_api import OpenAIBackend

if TYPE_CHECKING:
    from .backend import ModelBackend
    from .settings import ServerSettings

# Per HTTP request; each answer has its own, shorter deadline (the agent's timeout).
CLIENT_TIMEOUT_S: Final = 120.0


def make_backend(settings: ServerSettings, timeout: float = CLIENT_TIMEOUT_S) -> ModelBackend:
    """An Ollama or OpenAI-compatible client for ``settings``."""
    if settings.backend == BACKEND_OLLAMA:
        return OllamaBackend(settings.url, timeout)
    return OpenAIBackend(settings.url, timeout, settings.api_key)
