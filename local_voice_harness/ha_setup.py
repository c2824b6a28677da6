"""Configure a running HA like a user would, through its config-entry and pipeline APIs.

Each integration is added with the same flow the UI shows
(``/api/config/config_entries/flow``). Forms are answered from a dict of
field values, falling back to each field's own default, so a flow that
gains an optional field keeps working; a required field with no answer is
a harness error that names the flow, step and field.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from .ha_client import HAClient

_MAX_STEPS: Final = 10


class HASetupError(RuntimeError):
    """A flow aborted, asked for something we cannot answer, or an entity never showed up."""


@dataclass(frozen=True, slots=True)
class PipelineEngines:
    """The entities an Assist pipeline uses, with the languages and voice they support."""

    stt: str
    tts: str
    conversation: str
    stt_language: str = "en"
    tts_language: str = "en"
    tts_voice: str | None = None


def pick_language(supported: list[str], wanted: str = "en") -> str:
    """The exact language if offered, else its first regional variant (en -> en_US)."""
    if wanted in supported:
        return wanted
    for preferred in (f"{wanted}_US", f"{wanted}-US"):
        if preferred in supported:
            return preferred
    for language in supported:
        if language.split("_")[0].split("-")[0] == wanted:
            return language
    raise HASetupError(f"no {wanted!r} language among {supported}")


async def engines_for(
    client: HAClient, stt: str, tts: str, conversation: str, voice: str | None = None
) -> PipelineEngines:
    """Ask HA which languages and voices the STT/TTS entities support."""
    stt_list = (await client.ws("stt/engine/list"))["providers"]
    stt_info = next((p for p in stt_list if p["engine_id"] == stt), None)
    if stt_info is None:
        raise HASetupError(f"HA lists no speech-to-text engine {stt}")
    tts_info = await client.ws("tts/engine/get", engine_id=tts)
    stt_language = pick_language(list(stt_info["supported_languages"]))
    tts_language = pick_language(list(tts_info["provider"]["supported_languages"]))
    voices = (await client.ws("tts/engine/voices", engine_id=tts, language=tts_language))["voices"]
    return PipelineEngines(
        stt=stt,
        tts=tts,
        conversation=conversation,
        stt_language=stt_language,
        tts_language=tts_language,
        tts_voice=_pick_voice([str(v["voice_id"]) for v in voices], voice),
    )


def answer_form(step: dict[str, Any], answers: dict[str, Any]) -> dict[str, Any]:
    """Fill a flow form from ``answers`` and the fields' defaults."""
    user_input: dict[str, Any] = {}
    for field in step.get("data_schema") or []:
        name = field["name"]
        if name in answers:
            user_input[name] = answers[name]
        elif field.get("default") is not None:
            user_input[name] = field["default"]
        elif options := _select_options(field):
            user_input[name] = options[0]
        elif field.get("required"):
            raise HASetupError(
                f"flow {step.get('handler')} step {step.get('step_id')}: "
                f"no answer for required field {name!r}"
            )
    return user_input


def _select_options(field: dict[str, Any]) -> list[Any]:
    """Values a select field offers (first one is our pick when unanswered)."""
    select = (field.get("selector") or {}).get("select") or {}
    return [o["value"] if isinstance(o, dict) else o for o in select.get("options") or []]


async def drive_flow(
    client: HAClient, step: dict[str, Any], answers: dict[str, Any]
) -> dict[str, Any]:
    """Answer forms / menus until the flow creates an entry; return that result."""
    for _ in range(_MAX_STEPS):
        kind = step.get("type")
        if kind == "create_entry":
            return step
        flow_path = f"/api/config/config_entries/flow/{step['flow_id']}"
        if kind == "form":
            step = await client.post(flow_path, answer_form(step, answers))
        elif kind == "menu":
            options = step.get("menu_options") or []
            choice = answers.get(f"menu:{step.get('step_id')}") or options[0]
            step = await client.post(flow_path, {"next_step_id": choice})
        elif kind in {"progress", "external"}:
            await asyncio.sleep(0.5)
            step = await client.get(flow_path)
        else:
            raise HASetupError(f"flow {step.get('handler')} ended with {kind}: {step}")
        if step.get("errors"):
            raise HASetupError(f"flow {step.get('handler')} form errors: {step['errors']}")
    raise HASetupError(f"flow {step.get('handler')} did not finish in {_MAX_STEPS} steps")


async def add_integration(client: HAClient, handler: str, answers: dict[str, Any]) -> str:
    """Start a user flow for ``handler``; return the new config entry id."""
    step = await client.post(
        "/api/config/config_entries/flow", {"handler": handler, "show_advanced_options": False}
    )
    result = await drive_flow(client, step, answers)
    return str(result["result"]["entry_id"])


async def set_options(client: HAClient, entry_id: str, answers: dict[str, Any]) -> dict[str, Any]:
    """Answer an entry's options flow (defaults for what ``answers`` leaves out)."""
    step = await client.post("/api/config/config_entries/options/flow", {"handler": entry_id})
    if step.get("type") != "form":
        raise HASetupError(f"options of {entry_id}: expected a form, got {step}")
    path = f"/api/config/config_entries/options/flow/{step['flow_id']}"
    result = await client.post(path, answer_form(step, answers))
    if result.get("type") != "create_entry":
        raise HASetupError(f"options of {entry_id} not saved: {result}")
    return dict(result.get("data") or {})


async def confirm_discovered(
    client: HAClient, handler: str, answers: dict[str, Any], limit_s: float = 30.0
) -> str:
    """Wait for a discovery flow of ``handler`` (e.g. an announced satellite) and confirm it."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        flows = await client.ws("config_entries/flow/progress")
        for flow in flows:
            if flow.get("handler") == handler:
                step = await client.get(f"/api/config/config_entries/flow/{flow['flow_id']}")
                result = await drive_flow(client, step, answers)
                return str(result["result"]["entry_id"])
        await asyncio.sleep(0.3)
    raise HASetupError(f"no discovery flow for {handler} within {limit_s} s")


async def entities_of_entry(
    client: HAClient, entry_id: str, domain: str, limit_s: float = 30.0
) -> list[str]:
    """Entity ids of ``domain`` that a config entry created (waits for them)."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        registry = await client.ws("config/entity_registry/list")
        found = [
            e["entity_id"]
            for e in registry
            if e.get("config_entry_id") == entry_id and e["entity_id"].startswith(domain + ".")
        ]
        if found:
            return sorted(found)
        await asyncio.sleep(0.3)
    raise HASetupError(f"entry {entry_id} created no {domain} entity within {limit_s} s")


def _pick_voice(voices: list[str], wanted: str | None) -> str | None:
    """The wanted voice when offered (a server may list voices it cannot load), else the first."""
    if wanted in voices:
        return wanted
    return voices[0] if voices else None


async def create_pipeline(
    client: HAClient, name: str, engines: PipelineEngines, *, prefer_local_intents: bool = True
) -> str:
    """Create an Assist pipeline and make it the preferred one; return its id."""
    pipeline = await client.ws(
        "assist_pipeline/pipeline/create",
        conversation_engine=engines.conversation,
        conversation_language="en",
        language="en",
        name=name,
        stt_engine=engines.stt,
        stt_language=engines.stt_language,
        tts_engine=engines.tts,
        tts_language=engines.tts_language,
        tts_voice=engines.tts_voice,
        wake_word_entity=None,
        wake_word_id=None,
        prefer_local_intents=prefer_local_intents,
    )
    await client.ws("assist_pipeline/pipeline/set_preferred", pipeline_id=pipeline["id"])
    return str(pipeline["id"])
