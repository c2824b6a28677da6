"""Typed runtime data of the three kinds of entry, and of each agent."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntry

from .agent.confirmations import PendingStore

if TYPE_CHECKING:
    import asyncio

    from .agent.backend import ModelBackend
    from .agent.settings import AgentSettings, ServerSettings
    from .protocol import Announce


@dataclass(slots=True)
class AgentStats:
    """Counters of one agent, shown in diagnostics."""

    local: int = 0
    repaired: int = 0
    answered_from_states: int = 0  # questions about named things (``state_answer``)
    model: int = 0
    confirmations_asked: int = 0
    refused: int = 0
    errors: int = 0
    last_error: str | None = None
    last_prompt_tokens_estimate: int | None = None
    last_prompt_tokens: int | None = None
    last_cached_tokens: int | None = None
    last_completion_tokens: int | None = None
    last_rounds: int | None = None
    last_first_token_s: float | None = None
    last_model_s: float | None = None  # the model's whole part of the last turn


@dataclass(slots=True)
class AgentState:
    """One conversation agent (a sub-entry of a server entry) while it is loaded."""

    settings: AgentSettings
    pending: PendingStore = field(default_factory=PendingStore)
    stats: AgentStats = field(default_factory=AgentStats)
    rereading: asyncio.Task[None] | None = None  # the prompt read after a timeout, if any


@dataclass(slots=True)
class ServerData:
    """A language model server entry: its backend and its agents."""

    settings: ServerSettings
    backend: ModelBackend
    agents: dict[str, AgentState] = field(default_factory=dict)  # by sub-entry id
    reachable: bool = True  # the last request (or the setup check) reached the server


@dataclass(frozen=True, slots=True)
class SpeechData:
    """A speech-to-text server entry."""

    host: str
    port: int


@dataclass(frozen=True, slots=True)
class SatelliteData:
    """A satellite entry: the announce it was confirmed with (validated once, at setup)."""

    announce: Announce


type ServerEntry = ConfigEntry[ServerData]
type SpeechEntry = ConfigEntry[SpeechData]
type SatelliteEntry = ConfigEntry[SatelliteData]
