"""The local_voice agent's figures of its last model turn, read from HA's diagnostics.

The agent keeps counters and the figures of its last model turn (prompt and
cached tokens, first token, rounds) in its entry's diagnostics; a run that
reads them before and after a command knows whether the model answered it
and what that cost.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .ha_client import HAClient


async def agent_figures(client: HAClient, entry_id: str) -> dict[str, Any]:
    """The model turn count and the last model turn's figures of the entry's (first) agent."""
    doc = await client.get(f"/api/diagnostics/config_entry/{entry_id}")
    agents = doc["data"]["agents"]
    stats = next(iter(agents.values()))["stats"]
    return {
        "model_turns": stats["model"],
        "prompt_tokens": stats["last_prompt_tokens"],
        "cached_tokens": stats["last_cached_tokens"],
        "completion_tokens": stats["last_completion_tokens"],
        "rounds": stats["last_rounds"],
        "first_token_s": stats["last_first_token_s"],
        "model_s": stats["last_model_s"],
    }


def model_part(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any] | None:
    """The last model turn's figures when exactly one model turn came between, else None."""
    if after["model_turns"] != before["model_turns"] + 1:
        return None
    return {k: v for k, v in after.items() if k != "model_turns"}
