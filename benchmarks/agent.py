"""Agent benchmark: local-intent vs model command latency, and prompt size.

Runs the real agent (a server entry with one agent sub-entry) in a real HA
core (the demo home) against the scripted Ollama server. The model's own
thinking time is SIMULATED by the server's scripted delays (stated in the
JSON); the rest (HA intents, the agent, the official client over a loopback
socket, the tool call, state read-back) is measured. A model command is one
round: the model calls a tool, and the agent answers from the new states
without asking the model again. Prompt sizes are ESTIMATES (characters / 4),
not a tokenizer count.

    python benchmarks/agent.py [--runs 30]

Writes benchmarks/results/agent.json and agent.png.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from local_voice_harness import paths  # noqa: E402

sys.path.insert(0, str(paths.HA_CONFIG_TEMPLATE))

from common import header  # noqa: E402
from homeassistant import loader  # noqa: E402
from homeassistant.components import conversation  # noqa: E402
from homeassistant.components.homeassistant.exposed_entities import (  # noqa: E402
    async_should_expose,
)
from homeassistant.config_entries import ConfigSubentryData  # noqa: E402
from homeassistant.core import Context, HomeAssistant  # noqa: E402
from homeassistant.helpers import entity_registry as er  # noqa: E402
from homeassistant.setup import async_setup_component  # noqa: E402
from pytest_homeassistant_custom_component.common import (  # noqa: E402
    MockConfigEntry,
    async_test_home_assistant,
)

import custom_components.local_voice  # noqa: E402, F401
from custom_components.local_voice.agent.prompt import (  # noqa: E402
    async_estimate_home_prompt,
    auto_num_ctx,
)
from custom_components.local_voice.agent.settings import AgentSettings  # noqa: E402
from local_voice_harness.fake_ollama import FakeOllama, ScriptedTurn, tool_call  # noqa: E402

RESULTS = REPO / "benchmarks" / "results"
MODEL = "llama3.2:latest"
# Simulated model timing, roughly a 3B model on a small GPU / fast CPU:
FIRST_TOKEN_DELAY_S = 0.35  # prompt evaluation until the first token of each round


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _summary(values: list[float]) -> dict[str, float]:
    return {
        "median_ms": round(statistics.median(values) * 1000, 1),
        "p95_ms": round(_pct(values, 0.95) * 1000, 1),
        "min_ms": round(min(values) * 1000, 1),
        "n": len(values),
    }


async def _converse(hass: HomeAssistant, agent: str, text: str) -> tuple[float, str]:
    start = time.perf_counter()
    result = await conversation.async_converse(hass, text, None, Context(), "en", agent_id=agent)
    elapsed = time.perf_counter() - start
    return elapsed, str(result.response.speech["plain"]["speech"])


async def _latency(
    hass: HomeAssistant, server: FakeOllama, agent: str, runs: int
) -> dict[str, Any]:
    local: list[float] = []
    model: list[float] = []
    model_fast: list[float] = []
    await _converse(hass, agent, "turn off the kitchen light")  # warm up hassil once
    for i in range(runs):
        verb = "on" if i % 2 == 0 else "off"
        elapsed, _ = await _converse(hass, agent, f"turn {verb} the kitchen light")
        local.append(elapsed)
    for delay, bucket in ((FIRST_TOKEN_DELAY_S, model), (0.0, model_fast)):
        for i in range(runs):
            verb = "HassTurnOn" if i % 2 == 0 else "HassTurnOff"
            server.add_turns(
                ScriptedTurn(
                    tool_calls=[tool_call(verb, name="Desk Lamp")], first_token_delay_s=delay
                )
            )
            elapsed, spoken = await _converse(hass, agent, "it's too dark at my desk")
            assert spoken.startswith("Desk Lamp is "), spoken
            assert not server.script, "the agent asked the model a second time"
            bucket.append(elapsed)
    return {
        "local_intent": _summary(local),
        "model_one_round_simulated_delay": _summary(model),
        "model_one_round_zero_delay_agent_overhead": _summary(model_fast),
    }


async def _add_generated_entities(hass: HomeAssistant, count: int) -> None:
    """A larger home: ``count`` extra lights/switches/sensors spread over 12 rooms."""
    rooms = [f"Room {n}" for n in range(1, 13)]
    kinds = [("light", "on"), ("switch", "off"), ("sensor", "21.0")]
    for n in range(count):
        domain, state = kinds[n % len(kinds)]
        room = rooms[n % len(rooms)]
        attributes: dict[str, Any] = {"friendly_name": f"{room} {domain.title()} {n}"}
        if domain == "sensor":
            attributes |= {"device_class": "temperature", "unit_of_measurement": "°C"}
        hass.states.async_set(f"{domain}.generated_{n}", state, attributes)
    await hass.async_block_till_done()


async def _prompt_sizes(hass: HomeAssistant) -> dict[str, Any]:
    def exposed() -> int:
        return sum(
            1
            for s in hass.states.async_all()
            if async_should_expose(hass, "conversation", s.entity_id)
        )

    settings = AgentSettings(model=MODEL)
    language = hass.config.language
    demo_count = exposed()
    demo_tokens = await async_estimate_home_prompt(hass, settings, language)
    await _add_generated_entities(hass, 200 - demo_count)
    big_count = exposed()
    big_tokens = await async_estimate_home_prompt(hass, settings, language)
    return {
        "note": "ESTIMATE: characters / 4 of system prompt + Assist tool schemas; not a tokenizer."
        " The generated entities are state-only (no registry entry, so no area in the prompt).",
        "demo_home": {
            "exposed_entities": demo_count,
            "prompt_tokens_estimate": demo_tokens,
            "auto_num_ctx": auto_num_ctx(demo_tokens),
        },
        "generated_home_200": {
            "exposed_entities": big_count,
            "prompt_tokens_estimate": big_tokens,
            "auto_num_ctx": auto_num_ctx(big_tokens),
        },
    }


async def main(runs: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="lv-bench-agent-") as config_dir:
        async with async_test_home_assistant(config_dir=config_dir) as hass:
            hass.data.pop(loader.DATA_CUSTOM_COMPONENTS, None)
            assert await async_setup_component(hass, "homeassistant", {})
            assert await async_setup_component(
                hass, "demo_home", {"demo_home": {"home": str(paths.demo_home_file())}}
            )
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
                await hass.async_block_till_done(wait_background_tasks=True)
                agent = er.async_get(hass).async_get_entity_id(
                    "conversation", "local_voice", next(iter(entry.subentries))
                )
                assert agent is not None
                latency = await _latency(hass, server, agent, runs)
                prompt = await _prompt_sizes(hass)
                await hass.config_entries.async_unload(entry.entry_id)
            await hass.async_stop(force=True)
    return {
        **header("agent"),
        "simulated_model": {
            "first_token_delay_s_per_round": FIRST_TOKEN_DELAY_S,
            "rounds_per_command": 1,
            "note": "model time is simulated by the scripted server; everything else is real",
        },
        "latency": latency,
        "prompt": prompt,
    }


def _chart(result: dict[str, Any], path: Path) -> None:
    import matplotlib as mpl  # noqa: PLC0415  # only needed for the chart

    mpl.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415  # after choosing the Agg backend

    lat = result["latency"]
    labels = ["local intent", "model\n(agent only)", "model\n(simulated delay)"]
    keys = [
        "local_intent",
        "model_one_round_zero_delay_agent_overhead",
        "model_one_round_simulated_delay",
    ]
    med = [lat[k]["median_ms"] for k in keys]
    p95 = [lat[k]["p95_ms"] for k in keys]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    ax1.bar(labels, med, color=["#2a9d8f", "#e9c46a", "#e76f51"], label="median")
    ax1.scatter(labels, p95, color="black", marker="_", s=400, label="p95")
    ax1.set_ylabel("ms per command")
    ax1.set_title("Command latency (text in, answer out)")
    ax1.legend()
    prompt = result["prompt"]
    homes = ["demo home", "200-entity home"]
    tokens = [
        prompt["demo_home"]["prompt_tokens_estimate"],
        prompt["generated_home_200"]["prompt_tokens_estimate"],
    ]
    ax2.bar(homes, tokens, color="#264653")
    ax2.set_ylabel("tokens (estimate: chars / 4)")
    ax2.set_title("Prompt size")
    for i, t in enumerate(tokens):
        ax2.text(i, t, str(t), ha="center", va="bottom")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def run() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    result = asyncio.run(main(args.runs))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "agent.json").write_text(json.dumps(result, indent=2) + "\n")
    _chart(result, RESULTS / "agent.png")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    run()
