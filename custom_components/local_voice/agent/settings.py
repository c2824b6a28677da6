"""The settings of a model server and of an agent, typed, with defaults, in one place."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..const import (
    BACKEND_OLLAMA,
    BACKENDS,
    CONF_API_KEY,
    CONF_BACKEND,
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
    CONF_URL,
    DEFAULT_CONFIRM,
    DEFAULT_CONTROL,
    DEFAULT_KEEP_ALIVE,
    DEFAULT_MAX_HISTORY,
    DEFAULT_NUM_CTX,
    DEFAULT_PREFER_LOCAL,
    DEFAULT_TEMPERATURE,
    DEFAULT_TIMEOUT,
    RISK_KINDS,
)

if TYPE_CHECKING:
    from collections.abc import Mapping


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """Where the language model server is and how to talk to it."""

    backend: str
    url: str
    api_key: str | None = None

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> ServerSettings:
        """From a server entry's data; ValueError names a bad field."""
        backend = str(data.get(CONF_BACKEND, BACKEND_OLLAMA))
        if backend not in BACKENDS:
            raise ValueError(f"unknown backend {backend!r}")
        url = str(data[CONF_URL]).strip()
        if not url:
            raise ValueError("empty url")
        return cls(backend, url, str(data.get(CONF_API_KEY) or "").strip() or None)


@dataclass(frozen=True, slots=True)
class AgentSettings:
    """One conversation agent (a sub-entry of a server): model, prompt and behaviour."""

    model: str
    prompt: str | None = None
    control: bool = DEFAULT_CONTROL
    prefer_local: bool = DEFAULT_PREFER_LOCAL
    max_history: int = DEFAULT_MAX_HISTORY
    keep_alive: int = DEFAULT_KEEP_ALIVE
    num_ctx: int = DEFAULT_NUM_CTX
    temperature: float = DEFAULT_TEMPERATURE
    timeout: float = DEFAULT_TIMEOUT
    confirm: frozenset[str] = frozenset(DEFAULT_CONFIRM)

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> AgentSettings:
        """From a sub-entry's data; KeyError/TypeError/ValueError name a bad field."""
        model = str(data[CONF_MODEL]).strip()
        if not model:
            raise ValueError("empty model name")
        return cls(
            model=model,
            prompt=str(data.get(CONF_PROMPT) or "").strip() or None,
            control=bool(data.get(CONF_CONTROL, DEFAULT_CONTROL)),
            prefer_local=bool(data.get(CONF_PREFER_LOCAL, DEFAULT_PREFER_LOCAL)),
            max_history=int(data.get(CONF_MAX_HISTORY, DEFAULT_MAX_HISTORY)),
            keep_alive=int(data.get(CONF_KEEP_ALIVE, DEFAULT_KEEP_ALIVE)),
            num_ctx=int(data.get(CONF_NUM_CTX, DEFAULT_NUM_CTX)),
            temperature=float(data.get(CONF_TEMPERATURE, DEFAULT_TEMPERATURE)),
            timeout=float(data.get(CONF_TIMEOUT, DEFAULT_TIMEOUT)),
            confirm=frozenset(
                c for c in data.get(CONF_CONFIRM, DEFAULT_CONFIRM) if c in RISK_KINDS
            ),
        )
