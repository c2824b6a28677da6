"""Entries of version 1 become version 2: agents turn into sub-entries of a server.

Version 1 had one entry per agent (an Ollama URL and a model; the model's
options in the entry's options, and an optional speech-to-text server).
Version 2 has a server entry whose ``conversation`` sub-entries are the
agents, as HA's own Ollama integration does since 2025.7, and speech to text
in an entry of its own so that it works without a model server. Each
version-1 agent entry becomes a server entry with one sub-entry; its
conversation entity and device move to the sub-entry (same entity id, same
history). A speech-to-text address in its options becomes a new speech
entry through an import flow. Satellite entries only change version.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import TYPE_CHECKING, Final

from homeassistant.config_entries import SOURCE_IMPORT, ConfigSubentry
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er

from .const import (
    BACKEND_OLLAMA,
    CONF_ASR_URI,
    CONF_BACKEND,
    CONF_KIND,
    CONF_MODEL,
    CONF_URL,
    DOMAIN,
    KIND_AGENT_V1,
    KIND_SERVER,
    LOGGER,
    SUBENTRY_AGENT,
)

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant

VERSION: Final = 2


def server_unique_id(backend: str, url: str) -> str:
    """One server entry per backend and URL."""
    return f"{backend}|{url.strip().rstrip('/').lower()}"


async def async_migrate(hass: HomeAssistant, entry: ConfigEntry) -> bool:
    """Migrate ``entry`` to ``VERSION``; False for an entry from a newer version."""
    if entry.version > VERSION:
        LOGGER.error("Entry %s is from a newer Local Voice; cannot downgrade", entry.title)
        return False
    if entry.version == 1:
        if entry.data.get(CONF_KIND, KIND_AGENT_V1) == KIND_AGENT_V1:
            _agent_to_server(hass, entry)
        else:
            hass.config_entries.async_update_entry(entry, version=VERSION)
        LOGGER.info("Migrated Local Voice entry %s to version %s", entry.title, VERSION)
    return True


def _agent_to_server(hass: HomeAssistant, entry: ConfigEntry) -> None:
    options = dict(entry.options)
    asr_uri = options.pop(CONF_ASR_URI, None)
    subentry = ConfigSubentry(
        data=MappingProxyType({**options, CONF_MODEL: entry.data[CONF_MODEL]}),
        subentry_type=SUBENTRY_AGENT,
        title=entry.title,
        unique_id=None,
    )
    hass.config_entries.async_add_subentry(entry, subentry)
    entities = er.async_get(hass)
    if (
        entity_id := entities.async_get_entity_id("conversation", DOMAIN, entry.entry_id)
    ) is not None:
        entities.async_update_entity(
            entity_id, config_subentry_id=subentry.subentry_id, new_unique_id=subentry.subentry_id
        )
    if (stt_id := entities.async_get_entity_id("stt", DOMAIN, f"{entry.entry_id}-stt")) is not None:
        entities.async_remove(stt_id)  # speech to text moves to its own entry
    devices = dr.async_get(hass)
    if (device := devices.async_get_device(identifiers={(DOMAIN, entry.entry_id)})) is not None:
        devices.async_update_device(
            device.id,
            new_identifiers={(DOMAIN, subentry.subentry_id)},
            add_config_subentry_id=subentry.subentry_id,
            add_config_entry_id=entry.entry_id,
        )
        devices.async_update_device(
            device.id, remove_config_entry_id=entry.entry_id, remove_config_subentry_id=None
        )
    url = str(entry.data[CONF_URL])
    unique_id: str | None = server_unique_id(BACKEND_OLLAMA, url)
    if any(e.unique_id == unique_id for e in hass.config_entries.async_entries(DOMAIN)):
        unique_id = None  # a second agent on the same server stays its own entry
    hass.config_entries.async_update_entry(
        entry,
        title=url,
        data={CONF_KIND: KIND_SERVER, CONF_BACKEND: BACKEND_OLLAMA, CONF_URL: url},
        options={},
        unique_id=unique_id,
        version=VERSION,
    )
    if asr_uri:
        hass.async_create_task(
            hass.config_entries.flow.async_init(
                DOMAIN, context={"source": SOURCE_IMPORT}, data={CONF_ASR_URI: asr_uri}
            ),
            f"{DOMAIN} speech entry from {entry.title}",
        )
