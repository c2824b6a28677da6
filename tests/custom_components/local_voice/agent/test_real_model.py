"""The agent on the real bundled model: Qwen2.5-Coder-1.5B at temperature 0, both backends.

The other agent tests script the model (``fake_ollama``). These send
everyday requests from ``llm_commands/tuning.jsonl`` through HA's
conversation API to an agent whose model is the one the project ships
(xllamacpp's ``LlmServer``): the OpenAI-compatible backend straight to it,
the Ollama backend through ``OllamaDouble`` in front of it. They assert
which tool ran on which entity and what the house did, never the model's
words.

The agent runs with its default instructions, which ask for the bare call:
with instructions that only say "call a tool" the 1.5B describes the call
("you can use the `HassTurnOff` function with ...") instead of making it.
The requests here are ones the 1.5B gets right at temperature 0; the ones it
gets wrong (it still describes some calls, or picks the thermostat for "the
kitchen is too dark to cook in") are counted by ``benchmarks/llm.py``, and so
are requests it got right in one run and wrong in another ("get a pot of
coffee brewing" on the OpenAI path: the thermostat once in three runs).

At temperature 0 the answer depends on the prompt and, through llama.cpp's
batching, on how the prompt's cached prefix was first evaluated. So HA's
clock is frozen (the event loop keeps real time) and the prompt, time line
included, is the same in every test; each lane (backend)
has a model server of its own, started fresh for the lane; and every
command comes right after the agent's own warm-up at setup, run to the end.
A command then meets the same cache whatever ran before it, here or
elsewhere in the session. Each lane evaluates its prompt cold once (the
``ollama`` client rewrites tool schemas, so the backends' prompts differ);
a command after that costs a few seconds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import pytest
import yaml
from agent_helpers import agent_id, server_entry
from homeassistant.components import conversation
from homeassistant.core import Context
from homeassistant.helpers import chat_session, intent
from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.local_voice import compat
from custom_components.local_voice.agent import warmup
from custom_components.local_voice.const import (
    BACKEND_OLLAMA,
    BACKEND_OPENAI,
    CONF_TEMPERATURE,
    CONF_TIMEOUT,
    EVENT_COMMAND,
)
from custom_components.local_voice.understanding.safety import is_read_only
from local_voice_harness import paths
from local_voice_harness.commands import load_texts
from local_voice_harness.expectations import check
from local_voice_harness.ollama_double import DoubleConfig, OllamaDouble

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Iterator

    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from wyoming_servers.llm.server import LlmServer

pytestmark = [
    pytest.mark.llm,
    pytest.mark.slow,
    pytest.mark.freeze_time("2026-12-06 18:30:00", real_asyncio=True),
    pytest.mark.timeout(900),  # a lane's first test evaluates its prompt cold: 1-2 minutes
]

ANSWER_TIMEOUT_S: Final = 600.0  # the agent's deadline per answer, and the warm-up's here
TUNING: Final = {c.text: c for c in load_texts(paths.llm_commands_file("tuning"))}
HOUSE: Final = tuple(
    e["entity_id"]
    for e in yaml.safe_load(paths.demo_home_file().read_text(encoding="utf-8"))["entities"]
)


class Lanes:
    """One model server for both backends, started (a few seconds) when first asked for.

    The Ollama double hands the same messages to the same server, so the Ollama
    lane's warm-up finds the prefix the OpenAI lane's warm-up read (a cold read
    of the prompt is most of a minute on 2 cores).
    """

    def __init__(self, make: Callable[[], LlmServer]) -> None:
        self._make = make
        self._server: LlmServer | None = None

    def server(self, _lane: str) -> LlmServer:
        """The module's server."""
        if self._server is None:
            server = self._make()
            server.start()
            self._server = server
        return self._server

    def close(self) -> None:
        """Stop the server."""
        if self._server is not None:
            self._server.stop()
        self._server = None


@pytest.fixture(scope="module")
def lanes(llm_server_factory: Callable[[], LlmServer]) -> Iterator[Lanes]:
    """The module's model servers (``llm_server_factory`` fails without the llm extra)."""
    lanes = Lanes(llm_server_factory)
    yield lanes
    lanes.close()


@pytest.fixture(autouse=True)
def _warm_to_the_end(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let the agent's warm-up finish a cold prompt however busy the machine is.

    The product gives it 120 s; a warm-up cut off part way leaves a prefix
    evaluated in other batches than a whole one, and the first command would
    meet another cache than the rest.
    """
    monkeypatch.setattr(warmup, "WARM_TIMEOUT_S", ANSWER_TIMEOUT_S)


@dataclass(frozen=True, slots=True, repr=False)
class Heard:
    """One sentence through HA's conversation API: what the agent said, did and streamed."""

    result: conversation.ConversationResult
    event: dict[str, Any]  # the local_voice_command event
    before: dict[str, dict[str, Any]]
    after: dict[str, dict[str, Any]]
    messages: list[dict[str, Any]]  # the chat log's deltas, grouped by message
    content: list[conversation.Content]  # the chat log after the turn

    @property
    def speech(self) -> str:
        return str(self.result.response.speech["plain"]["speech"])

    @property
    def changed(self) -> dict[str, tuple[str, str]]:
        """Entities of the house whose state changed: old and new state."""
        return {
            e: (self.before[e]["state"], self.after[e]["state"])
            for e in HOUSE
            if self.before[e]["state"] != self.after[e]["state"]
        }

    @property
    def tool_results(self) -> list[tuple[str, bool]]:
        """Each tool the model called this turn, and whether it failed."""
        return [
            (c.tool_name, compat.tool_result_failed(c))
            for c in self.content
            if isinstance(c, conversation.ToolResultContent)
        ]

    def failures(self, text: str) -> list[str]:
        """What the house did against ``tuning.jsonl``'s expectation (states, not words).

        A sentence not in it must change nothing.
        """
        if text not in TUNING:  # a question of our own here: the whole house stays
            return check({"unchanged": list(HOUSE)}, self.before, self.after, self.speech)
        expect = {k: v for k, v in TUNING[text].expect.items() if k != "response_contains"}
        return check(expect, self.before, self.after, self.speech)

    def __repr__(self) -> str:
        """What happened, for assertion messages."""
        event = {k: self.event[k] for k in ("path", "outcome", "names", "targets")}
        calls = [
            f"{c.tool_name}({json.dumps(c.tool_args)})" for m in self.messages for c in m["calls"]
        ]
        return f"{event} calls={calls} changed={self.changed} speech={self.speech!r}"


def _house(hass: HomeAssistant) -> dict[str, dict[str, Any]]:
    states = {e: hass.states.get(e) for e in HOUSE}
    return {
        e: {"state": s.state, "attributes": dict(s.attributes)}
        for e, s in states.items()
        if s is not None
    }


def _by_message(deltas: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Group chat log deltas into messages: a delta with a role starts one."""
    messages: list[dict[str, Any]] = []
    for delta in deltas:
        if "role" in delta:
            messages.append({"role": delta["role"], "pieces": [], "calls": []})
        if delta.get("content"):
            messages[-1]["pieces"].append(delta["content"])
        messages[-1]["calls"].extend(delta.get("tool_calls") or [])
    return messages


async def ask(
    hass: HomeAssistant, entry: MockConfigEntry, text: str, conversation_id: str | None = None
) -> Heard:
    """Say ``text`` to the agent through HA's conversation API, listening to the chat log."""
    events = async_capture_events(hass, EVENT_COMMAND)
    deltas: list[dict[str, Any]] = []
    before = _house(hass)
    with (
        chat_session.async_get_chat_session(hass, conversation_id) as session,
        conversation.async_get_chat_log(
            hass, session, chat_log_delta_listener=lambda _log, delta: deltas.append(delta)
        ) as chat_log,
    ):
        result = await conversation.async_converse(
            hass,
            text,
            session.conversation_id,
            Context(),
            language="en",
            agent_id=agent_id(hass, entry),
        )
        content = list(chat_log.content)
    await hass.async_block_till_done()
    (event,) = events
    return Heard(result, dict(event.data), before, _house(hass), _by_message(deltas), content)


async def _agent(hass: HomeAssistant, url: str, backend: str, model: str) -> MockConfigEntry:
    """A loaded server entry with one agent on the model, the server's prompt cache warm."""
    options: dict[str, Any] = {CONF_TEMPERATURE: 0.0, CONF_TIMEOUT: ANSWER_TIMEOUT_S}
    entry = server_entry(url, options, backend=backend, model=model)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    # The agent warms the prompt cache in the background at start-up: wait for it, so no
    # command shares the server with it and every command meets the same cache.
    await hass.async_block_till_done(wait_background_tasks=True)
    return entry


@pytest.fixture
def openai_server(lanes: Lanes) -> LlmServer:
    return lanes.server("openai")


@pytest.fixture
def ollama_server(lanes: Lanes) -> LlmServer:
    return lanes.server("ollama")


@pytest.fixture
async def openai_agent(
    demo_home: HomeAssistant, socket_enabled: None, openai_server: LlmServer
) -> AsyncIterator[MockConfigEntry]:
    """The agent on the OpenAI-compatible backend, straight to the model."""
    url, model = openai_server.openai_base_url, openai_server.model_name
    entry = await _agent(demo_home, url, BACKEND_OPENAI, model)
    yield entry
    await demo_home.config_entries.async_unload(entry.entry_id)


@pytest.fixture
async def ollama_agent(
    demo_home: HomeAssistant, socket_enabled: None, ollama_server: LlmServer
) -> AsyncIterator[MockConfigEntry]:
    """The agent on the Ollama backend, through the Ollama double in front of the model."""
    config = DoubleConfig(upstream=ollama_server.url, read_timeout=ANSWER_TIMEOUT_S)
    async with OllamaDouble(config) as double:
        model = f"{ollama_server.model_name}:latest"
        entry = await _agent(demo_home, double.url, BACKEND_OLLAMA, model)
        yield entry
        await demo_home.config_entries.async_unload(entry.entry_id)


def assert_acted(heard: Heard, text: str, tools: set[str], target: str) -> None:
    """The model's call of one of ``tools`` ran on ``target``, as expected; nothing else changed."""
    assert heard.event["path"] == "model", heard
    assert heard.event["outcome"] == "done", heard
    assert heard.event["names"], heard
    assert set(heard.event["names"]) <= tools, heard
    assert heard.event["targets"] == [target], heard
    assert heard.failures(text) == [], heard
    assert set(heard.changed) == {target}, heard


def assert_question_answered(heard: Heard, text: str) -> None:
    """Nothing changed, whatever the model tried; its own answer streamed and was spoken.

    It streams a whole sentence at a time (``answer_gate``: no sentence that reads
    out the instructions is spoken).
    """
    assert heard.event["path"] == "model", heard
    assert heard.failures(text) == [], heard
    assert heard.changed == {}, heard
    assert all(failed for name, failed in heard.tool_results if not is_read_only(name)), heard
    assert heard.result.response.response_type is intent.IntentResponseType.ACTION_DONE, heard
    answer = heard.messages[-1]
    assert answer["role"] == "assistant", heard.messages
    assert answer["pieces"], answer
    assert all(p.rstrip().endswith((".", "!", "?")) for p in answer["pieces"][:-1]), answer
    assert "".join(answer["pieces"]) == heard.speech
    assert heard.speech.strip(), heard


# --- the OpenAI-compatible backend, straight to the model ---------------------------------


async def test_openai_an_indirect_request_switches_the_lamp_off(
    demo_home: HomeAssistant, openai_agent: MockConfigEntry
) -> None:
    text = "I'm heading to bed, kill the lamp in the living room"
    heard = await ask(demo_home, openai_agent, text)
    assert_acted(heard, text, {"HassTurnOff"}, "light.living_room_lamp")


async def test_openai_the_prompt_prefix_comes_from_the_cache(
    demo_home: HomeAssistant, openai_agent: MockConfigEntry
) -> None:
    """A fresh HA, the same frozen prompt: the server reads only the sentence's end."""
    text = "I need caffeine, get the coffee going"
    heard = await ask(demo_home, openai_agent, text)
    assert_acted(heard, text, {"HassTurnOn"}, "switch.coffee_maker")
    stats = next(iter(openai_agent.runtime_data.agents.values())).stats
    assert stats.last_prompt_tokens is not None
    assert stats.last_prompt_tokens > 1500  # HA's prompt and tools
    assert stats.last_cached_tokens is not None
    assert stats.last_prompt_tokens - stats.last_cached_tokens < 100, stats


async def test_openai_a_question_changes_nothing_and_the_answer_streams(
    demo_home: HomeAssistant, openai_agent: MockConfigEntry
) -> None:
    # A question that names nothing: one that does is answered from the states alone.
    text = "did I leave anything on"
    heard = await ask(demo_home, openai_agent, text)
    assert_question_answered(heard, text)
    assert demo_home.states.get("switch.coffee_maker").state == "off"


async def test_openai_a_risky_request_asks_first_and_yes_opens_the_garage(
    demo_home: HomeAssistant, openai_agent: MockConfigEntry
) -> None:
    text = "I'm pulling into the driveway, open up the garage"
    heard = await ask(demo_home, openai_agent, text)
    assert heard.event["path"] == "model", heard
    assert heard.event["outcome"] == "confirmation_required", heard
    assert heard.event["targets"] == ["cover.garage_door"], heard
    assert heard.failures(text) == [], heard
    assert heard.changed == {}, heard
    assert heard.result.continue_conversation
    stats = next(iter(openai_agent.runtime_data.agents.values())).stats
    asked = stats.model
    yes = await ask(demo_home, openai_agent, "yes", heard.result.conversation_id)
    assert yes.event["path"] == "confirmation", yes
    assert yes.event["outcome"] == "done", yes
    assert yes.event["targets"] == ["cover.garage_door"], yes
    assert demo_home.states.get("cover.garage_door").state in {"open", "opening"}
    assert stats.model == asked  # the "yes" never reached the model


async def test_openai_the_unexposed_basement_stays_dark(
    demo_home: HomeAssistant, openai_agent: MockConfigEntry
) -> None:
    text = "the basement is pitch black, I can't find the stairs"
    heard = await ask(demo_home, openai_agent, text)
    assert heard.event["path"] == "model", heard
    assert heard.failures(text) == [], heard
    assert heard.changed == {}, heard
    assert "light.basement" not in heard.event["targets"], heard


@pytest.mark.parametrize(
    ("text", "tools", "target"),
    [
        ("I can't see a thing in the kitchen", {"HassTurnOn", "HassLightSet"}, "light.kitchen"),
        ("nobody is in the living room any more, the lamp can go off", {"HassTurnOff"},
         "light.living_room_lamp"),
    ],
)  # fmt: skip
async def test_openai_indirect_requests_act(
    demo_home: HomeAssistant, openai_agent: MockConfigEntry, text: str, tools: set[str],
    target: str,
) -> None:  # fmt: skip
    heard = await ask(demo_home, openai_agent, text)
    assert_acted(heard, text, tools, target)


# --- the Ollama backend, through the Ollama double (the same model: two requests suffice) -


async def test_ollama_an_indirect_request_switches_the_lamp_off(
    demo_home: HomeAssistant, ollama_agent: MockConfigEntry
) -> None:
    text = "nobody is in the living room any more, the lamp can go off"
    heard = await ask(demo_home, ollama_agent, text)
    assert_acted(heard, text, {"HassTurnOff"}, "light.living_room_lamp")


async def test_ollama_a_question_changes_nothing_and_the_answer_streams(
    demo_home: HomeAssistant, ollama_agent: MockConfigEntry
) -> None:
    # A question that names nothing: one that does is answered from the states alone.
    text = "did I leave anything on"
    heard = await ask(demo_home, ollama_agent, text)
    assert_question_answered(heard, text)
