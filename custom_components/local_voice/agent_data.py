"""Typed runtime data of an agent entry and its effective settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntry

from .confirmations import PendingStore
from .const import (
    CONF_ASR_URI,
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
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    import ollama


@dataclass(frozen=True, slots=True)
class AgentSettings:
    """Entry data and options merged, with defaults, in one typed place."""

    url: str
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
    asr_uri: str | None = None

    @classmethod
    def from_entry(cls, data: Mapping[str, Any], options: Mapping[str, Any]) -> AgentSettings:
        """Merge data and options; options win."""
        merged = {**data, **options}
        return cls(
            url=str(merged[CONF_URL]),
            model=str(merged[CONF_MODEL]),
            prompt=merged.get(CONF_PROMPT) or None,
            control=bool(merged.get(CONF_CONTROL, DEFAULT_CONTROL)),
            prefer_local=bool(merged.get(CONF_PREFER_LOCAL, DEFAULT_PREFER_LOCAL)),
            max_history=int(merged.get(CONF_MAX_HISTORY, DEFAULT_MAX_HISTORY)),
            keep_alive=int(merged.get(CONF_KEEP_ALIVE, DEFAULT_KEEP_ALIVE)),
            num_ctx=int(merged.get(CONF_NUM_CTX, DEFAULT_NUM_CTX)),
            temperature=float(merged.get(CONF_TEMPERATURE, DEFAULT_TEMPERATURE)),
            timeout=float(merged.get(CONF_TIMEOUT, DEFAULT_TIMEOUT)),
            confirm=frozenset(merged.get(CONF_CONFIRM, DEFAULT_CONFIRM)),
            asr_uri=str(merged.get(CONF_ASR_URI) or "").strip() or None,
        )


@dataclass(slots=True)
class AgentStats:
    """Counters shown in diagnostics."""

    local: int = 0
    model: int = 0
    confirmations_asked: int = 0
    refused: int = 0
    errors: int = 0
    last_error: str | None = None
    last_prompt_tokens_estimate: int | None = None


@dataclass(slots=True)
class AgentRuntimeData:
    """What a loaded agent entry holds."""

    client: ollama.AsyncClient
    settings: AgentSettings
    pending: PendingStore = field(default_factory=PendingStore)
    stats: AgentStats = field(default_factory=AgentStats)


type AgentConfigEntry = ConfigEntry[AgentRuntimeData]
