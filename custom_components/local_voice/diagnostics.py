"""Diagnostics of every kind of entry, with secrets and personal text redacted.

A server URL can carry credentials (``http://user:pass@host``), an API key
is a secret, and an agent's instructions can name people and places: all
redacted. What helps a bug report stays: the backend, the models and
options, each agent's counters and last error, a satellite's announce, and
the home's vocabulary size.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any, Final

from homeassistant.components.diagnostics import async_redact_data

from .const import CONF_API_KEY, CONF_KIND, CONF_PROMPT, CONF_URL, KIND_SATELLITE, KIND_SERVER
from .runtime import async_get_arbiter, async_get_home

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant

TO_REDACT: Final = {CONF_URL, CONF_PROMPT, CONF_API_KEY, "api_key", "prompt", "url"}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: ConfigEntry
) -> dict[str, Any]:
    """The entry (redacted) and what it holds at run time."""
    result: dict[str, Any] = {
        "data": async_redact_data(dict(entry.data), TO_REDACT),
        "options": async_redact_data(dict(entry.options), TO_REDACT),
        "subentries": [
            {
                "type": sub.subentry_type,
                "title": sub.title,
                "data": async_redact_data(dict(sub.data), TO_REDACT),
            }
            for sub in entry.subentries.values()
        ],
    }
    runtime = getattr(entry, "runtime_data", None)
    kind = entry.data.get(CONF_KIND)
    if kind == KIND_SERVER and runtime is not None:
        result["backend"] = runtime.backend.kind
        result["agents"] = {
            entry.subentries[sub_id].title: {
                "settings": async_redact_data(
                    {**asdict(agent.settings), "confirm": sorted(agent.settings.confirm)},
                    TO_REDACT,
                ),
                "stats": asdict(agent.stats),
                "pending_confirmations": len(agent.pending),
            }
            for sub_id, agent in runtime.agents.items()
            if sub_id in entry.subentries
        }
    elif kind == KIND_SATELLITE and runtime is not None:
        result["announce"] = runtime.announce.to_dict()
        if (arbiter := async_get_arbiter(hass)) is not None:
            result["arbitration"] = [asdict(d) for d in arbiter.decisions]
    if (home := async_get_home(hass)) is not None:
        snapshot = home.vocabulary.snapshot
        result["vocabulary"] = {
            "names": len(snapshot.names),
            "areas": len(snapshot.areas),
            "unexposed": len(snapshot.unexposed),
        }
        result["recognizer"] = {
            "parse_cache_hits": home.recognizer.hits,
            "parse_cache_misses": home.recognizer.misses,
        }
    return result
