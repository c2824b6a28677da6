"""The text-level half of ``benchmarks/accuracy.py``: transcripts into the real agent.

One HA core with the demo home and the Local Voice agent (scripted model that
never acts) serves every setting. The repair's stages are taken out for the
ablation rows by patching the stage functions here (the integration has no
switches for them); each command starts from ``demo_home.reset``.
Counted apart from success: wrong actions (a house entity changed that the
command did not ask for, or a target changed wrongly), questions turned into
actions, risky actions (lock, garage) carried out without a "yes", and
actions on the unexposed ``light.basement``.
"""

from __future__ import annotations

import contextlib
import math
import statistics
import tempfile
import time
from typing import TYPE_CHECKING, Any
from unittest.mock import patch

import yaml
from homeassistant import loader
from homeassistant.components import conversation
from homeassistant.components.conversation.agent_manager import async_get_agent
from homeassistant.components.conversation.default_agent import DefaultAgent
from homeassistant.config_entries import ConfigSubentryData
from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_test_home_assistant,
)

import custom_components.local_voice  # noqa: F401
from custom_components.local_voice.agent import turn as agent_turn
from custom_components.local_voice.understanding import repair as repair_module
from custom_components.local_voice.understanding.sentences import SentenceIndex
from custom_components.local_voice.understanding.text import looks_like_question
from local_voice_harness import expectations, paths
from local_voice_harness.fake_ollama import FakeOllama
from local_voice_harness.sentence_words import DID_YOU_MEAN

if TYPE_CHECKING:
    from collections.abc import Iterator

    from local_voice_harness.commands import SpokenCommand

MODEL = "llama3.2:latest"
RISKY = frozenset({"lock.front_door", "cover.garage_door"})
UNEXPOSED = "light.basement"
STAGES: dict[str, tuple[bool, bool]] = {  # the repair's name stage, its sentence stage
    "agent_no_repair": (False, False),
    "names_only": (True, False),
    "sentences_only": (False, True),
    "full": (True, True),
}


@contextlib.contextmanager
def stages(names: bool, sentences: bool, timings: list[float]) -> Iterator[None]:
    """Take repair stages out (for the ablation rows) and time every repair."""
    real = agent_turn.async_repair

    async def timed(*args: Any, **kwargs: Any) -> Any:
        if not (names or sentences):
            return None
        began = time.perf_counter()
        try:
            return await real(*args, **kwargs)
        finally:
            timings.append((time.perf_counter() - began) * 1000)

    with contextlib.ExitStack() as stack:
        stack.enter_context(patch.object(agent_turn, "async_repair", timed))
        if not names:
            stack.enter_context(patch.object(repair_module, "name_repair", lambda *_: None))
        if not sentences:
            stack.enter_context(patch.object(SentenceIndex, "closest", lambda *_a, **_k: []))
        yield


def _clear_ha_cache(hass: HomeAssistant) -> None:
    """Every spoken sentence is new to HA: no cached match from an earlier setting."""
    agent = async_get_agent(hass)
    assert isinstance(agent, DefaultAgent)
    agent._intent_cache.clear()  # noqa: SLF001 - HA has no public way to clear it


def _house() -> set[str]:
    spec = yaml.safe_load(paths.demo_home_file().read_text(encoding="utf-8"))
    return {str(e["entity_id"]) for e in spec["entities"]}


def _states(hass: HomeAssistant, house: set[str]) -> expectations.States:
    out: expectations.States = {}
    for entity_id in house:
        state = hass.states.get(entity_id)
        if state is not None:
            out[entity_id] = {"state": state.state, "attributes": dict(state.attributes)}
    return out


async def _say(hass: HomeAssistant, agent: str | None, text: str, cid: str | None) -> Any:
    return await conversation.async_converse(hass, text, cid, Context(), "en", agent_id=agent)


def _speech(result: Any) -> str:
    return str(result.response.speech.get("plain", {}).get("speech", ""))


async def run_one(
    hass: HomeAssistant, agent: str | None, command: SpokenCommand, text: str, house: set[str]
) -> dict[str, Any]:
    """One transcript through the agent; the simulated user answers "Did you mean".

    Returns the outcome flags of this command.
    """
    _clear_ha_cache(hass)
    await hass.services.async_call("demo_home", "reset", blocking=True)
    await hass.async_block_till_done()
    before = _states(hass, house)
    result = await _say(hass, agent, text, None)
    expect = command.expect
    # Risky commands (lock, garage) must ask first: a "Did you mean ...?" naming
    # the meant action asks too, and a "yes" to it is the user's confirmation.
    wants_confirmation = "confirm" in (expect.get("response_contains") or [])
    answer, asked, confirmed = _speech(result), result.continue_conversation, False
    named_meant = False
    if asked and answer.startswith(DID_YOU_MEAN):
        # The simulated user knows what they meant: "yes" if the suggestion does it.
        follow = await _say(hass, agent, "yes", result.conversation_id)
        await hass.async_block_till_done()
        after_yes = _states(hass, house)
        if wants_confirmation:
            meant = set(expect.get("unchanged") or [])
            did = {_entity(line) for line in expectations.changes(before, after_yes)}
            named_meant = bool(did) and did <= meant
            confirmed = False  # score the moment of asking: replay it with "no" below
        else:
            confirmed = not expectations.check(expect, before, after_yes, "")
        if not confirmed:  # they would have said no: replay with "no"
            await hass.services.async_call("demo_home", "reset", blocking=True)
            _clear_ha_cache(hass)
            result = await _say(hass, agent, text, None)
            follow = await _say(hass, agent, "no", result.conversation_id)
        said = "yes" if confirmed or named_meant else "no"
        answer = f"{answer} | {said} | {_speech(follow)}"
        asked = follow.continue_conversation or named_meant
    await hass.async_block_till_done()
    after = _states(hass, house)
    # Lines name the entity, or the entity and an attribute: keep the entity id.
    changed = {_entity(line) for line in expectations.changes(before, after)}
    failures = expectations.check(expect, before, after, answer)
    if wants_confirmation:  # the right outcome is to ask and change nothing
        success = asked and not (changed & set(expect.get("unchanged") or []))
    else:
        success = not failures
    targets = set(expect.get("state") or {}) | set(expect.get("attributes") or {})
    return {
        "text": text,
        "reference": command.text,
        "answer": answer,
        "success": bool(success),
        "changed": sorted(changed),
        "wrong_action": bool(changed - targets) or bool(changed and failures),
        "question_acted": looks_like_question(command.text) and bool(changed),
        "unconfirmed_risky": bool(changed & RISKY) and not confirmed,
        "unexposed_action": UNEXPOSED in changed,
        "asked": bool(asked) or answer.startswith(DID_YOU_MEAN),
    }


def _entity(line: str) -> str:
    """'light.kitchen: off -> on' or 'light.x.brightness: ...' -> the entity id."""
    return ".".join(line.split(":", maxsplit=1)[0].split(".")[:2])


def _summary(outcomes: list[dict[str, Any]], timings: list[float]) -> dict[str, Any]:
    ordered = sorted(timings)
    return {
        "n": len(outcomes),
        "succeeded": sum(o["success"] for o in outcomes),
        "wrong_actions": sum(o["wrong_action"] for o in outcomes),
        "questions_acted": sum(o["question_acted"] for o in outcomes),
        "unconfirmed_risky": sum(o["unconfirmed_risky"] for o in outcomes),
        "unexposed_actions": sum(o["unexposed_action"] for o in outcomes),
        "asked": sum(o["asked"] for o in outcomes),
        "repair_ms": {
            "calls": len(ordered),
            "median": round(statistics.median(ordered), 2) if ordered else None,
            "p95": round(ordered[math.ceil(0.95 * len(ordered)) - 1], 2) if ordered else None,
            "max": round(ordered[-1], 2) if ordered else None,
        },
        "failed": [
            {k: o[k] for k in ("reference", "text", "answer", "changed")}
            for o in outcomes
            if not o["success"]
        ],
    }


async def evaluate_all(
    sets: dict[str, list[SpokenCommand]], settings: dict[str, Any], agents: tuple[str, ...]
) -> dict[str, Any]:
    """{asr setting: {set: {agent setting: summary}}}."""
    house = _house()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="lv-bench-accuracy-") as config_dir:
        async with async_test_home_assistant(config_dir=config_dir) as hass:
            hass.data.pop(loader.DATA_CUSTOM_COMPONENTS, None)
            assert await async_setup_component(hass, "homeassistant", {})
            config = {"demo_home": {"home": str(paths.demo_home_file())}}
            assert await async_setup_component(hass, "demo_home", config)
            await hass.async_block_till_done()
            async with FakeOllama(models=[MODEL]) as server:
                entry = MockConfigEntry(
                    domain="local_voice",
                    title=server.url,
                    version=2,
                    data={"kind": "server", "backend": "ollama", "url": server.url},
                    subentries_data=[
                        ConfigSubentryData(
                            data={"model": MODEL, "request_timeout": 30.0},
                            subentry_type="conversation",
                            title="llama3.2",
                            unique_id=None,
                        )
                    ],
                )
                entry.add_to_hass(hass)
                assert await hass.config_entries.async_setup(entry.entry_id)
                await hass.async_block_till_done()
                ours = er.async_get(hass).async_get_entity_id(
                    "conversation", "local_voice", next(iter(entry.subentries))
                )
                await _say(hass, ours, "turn on the mess lamp", None)  # warm up hassil, index
                # The index's parses are made in the background after a vocabulary
                # change (as in a running home, long before the next command).
                await hass.async_block_till_done(wait_background_tasks=True)
                for setting, transcripts in settings.items():
                    results[setting] = {}
                    for name, commands in sets.items():
                        results[setting][name] = {}
                        for agent in agents:
                            names, sentences = STAGES.get(agent, (False, False))
                            timings: list[float] = []
                            target = None if agent == "ha_default" else ours
                            with stages(names, sentences, timings):
                                outcomes = [
                                    await run_one(hass, target, c, t, house)
                                    for c, t in zip(commands, transcripts[name], strict=True)
                                ]
                            results[setting][name][agent] = _summary(outcomes, timings)
                await hass.config_entries.async_unload(entry.entry_id)
                await hass.async_block_till_done()
            await hass.async_stop(force=True)
    return results
