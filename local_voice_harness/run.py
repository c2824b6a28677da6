"""One harness run: start the stack, speak a command set, stop everything.

The demo, ``local-voice-eval`` and ``benchmarks/e2e.py`` all run through
:func:`run_commands`, so they measure the same loop. Ctrl-C and SIGTERM end
the run through the same ``finally`` that stops every process by PID.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from wyoming_servers.llm.bundled import DEFAULT_MODEL, MODELS

from .evaluation import (
    CommandOutcome,
    HearFn,
    SpeakFn,
    TimerFn,
    run_batch,
    run_overheard,
    websocket_speaker,
)
from .mqtt_satellite import MqttSatelliteDriver
from .stack import Stack, StackInfo, StackOptions
from .turn import read_pcm

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from .commands import SpokenCommand
    from .turn import TurnResult

# Satellites speaking different commands at once (--satellites) are different
# people: their wake-ups must be further apart than what the arbiter takes for
# one voice heard late (custom_components/local_voice/satellite/arbiter.LATE_S).
STAGGER_S: Final = 1.2
# --overhear: the nearest satellite hears the command as recorded, the second
# 12 dB and every other 20 dB quieter.
OVERHEAR_GAINS_DB: Final = (0.0, -12.0, -20.0)
type ResultFn = Callable[[CommandOutcome, TurnResult], None]


@dataclass(slots=True)
class RunResult:
    """Everything a run measured."""

    outcomes: list[CommandOutcome] = field(default_factory=list)
    info: StackInfo | None = None
    wall_s: float = 0.0


def add_stack_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags every harness command shares."""
    parser.add_argument("--model", default="tiny.en", help="speech-to-text model (tiny.en, base)")
    parser.add_argument(
        "--satellites", type=_positive, default=1, help="satellites speaking at once (1-8)"
    )
    parser.add_argument(
        "--servers",
        choices=["ours", "peers"],
        default="ours",
        help="our Wyoming servers or the peers (wyoming-faster-whisper, wyoming-piper)",
    )
    parser.add_argument(
        "--no-vocabulary", action="store_true", help="do not bias recognition with home names"
    )
    parser.add_argument(
        "--agent",
        choices=["local_voice", "builtin"],
        default="local_voice",
        help="the local_voice agent (HA's intents, then the model of --llm) or HA's built-in agent",
    )
    parser.add_argument(
        "--llm",
        type=_llm_choice,
        default="bundled",
        metavar="bundled|scripted|URL",
        help=(
            "the model behind the local_voice agent: bundled (Qwen2.5-Coder-1.5B served by "
            "local-voice-llm, the default), scripted (a stand-in that always says 'Sorry, I "
            "can't help with that.': fast tests only) or the http(s) URL of your own server"
        ),
    )
    parser.add_argument(
        "--llm-api",
        choices=["auto", "openai", "ollama"],
        default="auto",
        help=(
            "the API the agent uses: bundled runs OpenAI's (ollama: through the Ollama double, "
            "the same model); for a URL, auto means OpenAI's when it ends in /v1, else Ollama's"
        ),
    )
    parser.add_argument(
        "--llm-model",
        choices=sorted(MODELS),
        help=f"with --llm bundled: which bundled model (default {DEFAULT_MODEL})",
    )
    parser.add_argument(
        "--llm-threads", type=int, help="local-voice-llm --threads (default: every core)"
    )
    parser.add_argument(
        "--overhear",
        type=_positive,
        default=1,
        help="satellites (1-8) that hear each command at once, all but one quieter",
    )
    parser.add_argument(
        "--satellite",
        choices=["mqtt", "websocket"],
        default="mqtt",
        help="the real Pi satellite program over MQTT, or HA's websocket Assist audio path",
    )
    parser.add_argument(
        "--fast", action="store_true", help="send audio as fast as possible, not in real time"
    )
    parser.add_argument("--no-warmup", action="store_true", help="skip the unmeasured warm-up turn")
    parser.add_argument(
        "--keep-workdir", action="store_true", help="keep HA's config dir and logs afterwards"
    )
    parser.add_argument("--debug", action="store_true", help="debug logs in HA for our parts")


def _positive(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 8:  # noqa: PLR2004 - documented range
        raise argparse.ArgumentTypeError(f"satellites must be 1..8, got {value}")
    return value


def _llm_choice(text: str) -> str:
    if text in {"bundled", "scripted"} or text.startswith(("http://", "https://")):
        return text
    raise argparse.ArgumentTypeError(f"bundled, scripted or an http(s) URL, not {text!r}")


def stack_options(args: argparse.Namespace) -> StackOptions:
    """StackOptions from parsed flags."""
    return StackOptions(
        model=args.model,
        vocabulary=not args.no_vocabulary,
        agent=args.agent,
        llm=args.llm,
        llm_api=args.llm_api,
        llm_threads=args.llm_threads,
        llm_model=args.llm_model,
        servers=args.servers,
        debug=args.debug,
        keep_workdir=args.keep_workdir,
    )


def config_of(args: argparse.Namespace) -> dict[str, Any]:
    """The run's settings for the JSON output."""
    keys = (
        "model",
        "satellites",
        "overhear",
        "satellite",
        "servers",
        "no_vocabulary",
        "agent",
        "llm",
        "llm_api",
        "llm_model",
        "fast",
        "no_warmup",
    )
    return {k: getattr(args, k) for k in keys}


async def run_commands(
    commands: list[SpokenCommand],
    options: StackOptions,
    *,
    satellites: int = 1,
    overhear: int = 1,
    satellite: str = "mqtt",
    realtime: bool = True,
    warmup: bool = True,
    on_result: ResultFn | None = None,
    reply: bytes | None = None,
) -> RunResult:
    """Start the stack, speak every command, stop the stack (always).

    ``reply``: PCM of a spoken "yes" for the second turn after "Did you mean"
    (see ``evaluation.run_batch``); None for one turn per command.
    ``overhear``: each command is heard by this many satellites at once
    (``evaluation.run_overheard``); the loudest is a different one each time.
    """
    result = RunResult()
    began = time.monotonic()

    def report(outcome: CommandOutcome, turn: TurnResult) -> None:
        result.outcomes.append(outcome)
        if on_result is not None:
            on_result(outcome, turn)

    stack = Stack(options)
    drivers: list[MqttSatelliteDriver] = []
    try:
        with _stop_on_signals():
            await stack.start()
            result.info = stack.info
            timer: TimerFn | None = None
            count = max(satellites, overhear)
            if satellite == "mqtt":
                drivers = await _mqtt_drivers(stack, count, realtime=realtime)
                speak, timer = _mqtt_speaker(drivers), _mqtt_timer(drivers)
            else:
                speak = websocket_speaker(stack, realtime=realtime)
            if warmup and commands:
                await _warm_up(stack, speak, commands[0], count)
            if overhear > 1:
                if not drivers or not realtime:
                    raise ValueError(
                        "--overhear needs MQTT satellites hearing in real time (no --fast): "
                        "satellites that process one sound at different speeds are not a room"
                    )
                await _overheard(stack, commands, _mqtt_hearing(drivers), overhear, report)
            else:
                for first in range(0, len(commands), satellites):
                    batch = commands[first : first + satellites]
                    for outcome, turn in await run_batch(
                        stack, batch, speak, satellite, reply, timer
                    ):
                        report(outcome, turn)
    finally:
        for driver in drivers:
            await driver.close()
        await stack.stop()
        result.wall_s = time.monotonic() - began
    return result


async def _overheard(
    stack: Stack, commands: list[SpokenCommand], hear: HearFn, count: int, report: ResultFn
) -> None:
    """Each command heard by ``count`` satellites; the nearest is a different one each time."""
    for k, command in enumerate(commands):
        outcome, turn = await run_overheard(stack, command, hear, gains_for(count, k % count))
        report(outcome, turn)


async def _warm_up(stack: Stack, speak: SpeakFn, command: SpokenCommand, count: int) -> None:
    """One unmeasured turn per satellite, so nothing cold is timed.

    Models, HA's intent matcher and HA's MQTT subscriptions (batched, with no
    "subscribed" signal) are all ready before the first measured command.
    """
    pcm = read_pcm(command.audio)
    for i in range(count):
        for attempt in (1, 2):
            turn = await speak(i, pcm)
            stack.say(f"warm-up turn {attempt} on satellite {i}: heard {turn.transcript!r}")
            if turn.transcript and not turn.error:
                break
    assert stack.client is not None
    await stack.client.call_service("demo_home", "reset")


async def _mqtt_drivers(stack: Stack, count: int, *, realtime: bool) -> list[MqttSatelliteDriver]:
    """One confirmed MQTT satellite per simulated speaker."""
    assert stack.client is not None
    drivers = []
    for i in range(count):
        stack.say(f"announcing satellite demo_sat{i} and confirming it in HA (area Kitchen)")
        driver = MqttSatelliteDriver(
            stack.client,
            stack.info.mqtt_port,
            stack.info.pipeline_id,
            satellite_id=f"demo_sat{i}",
            realtime=realtime,
            workdir=stack.workdir / f"satellite{i}",
            options=stack.options.satellite_options,
        )
        drivers.append(driver)
        await driver.setup()
        stack.info.pids[f"satellite_{i}"] = driver.pid or 0
    await asyncio.sleep(1.0)
    await stack.wait_for_warm_prompt()  # a warm-up the agent started meanwhile (a reload)
    return drivers


def _mqtt_speaker(drivers: list[MqttSatelliteDriver]) -> SpeakFn:
    async def speak(index: int, pcm: bytes) -> TurnResult:
        # Satellite i starts STAGGER_S after i-1 (different people, not one voice
        # heard twice), so their utterances and pipelines still overlap.
        await asyncio.sleep(STAGGER_S * index)
        return await drivers[index].speak(index, pcm)

    return speak


def _mqtt_hearing(drivers: list[MqttSatelliteDriver]) -> HearFn:
    async def hear(pcm: bytes, gains: list[float]) -> list[TurnResult]:
        turns = (drivers[i].speak(i, pcm, gain_db=g) for i, g in enumerate(gains))
        return list(await asyncio.gather(*turns))

    return hear


def _mqtt_timer(drivers: list[MqttSatelliteDriver]) -> TimerFn:
    async def timer(index: int, within_s: float) -> str | None:
        return await drivers[index].wait_timer(within_s)

    return timer


def gains_for(count: int, nearest: int) -> list[float]:
    """Each satellite's gain: the nearest one 0 dB, the next -12, every other -20."""
    gains = [0.0] * count
    for rank in range(count):
        gains[(nearest + rank) % count] = OVERHEAR_GAINS_DB[min(rank, len(OVERHEAR_GAINS_DB) - 1)]
    return gains


@contextlib.contextmanager
def _stop_on_signals() -> Iterator[None]:
    """SIGTERM/SIGHUP cancel the running task like Ctrl-C, so ``finally`` stops everything."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    handled = (signal.SIGTERM, signal.SIGHUP)
    for sig in handled:
        if task is not None:
            loop.add_signal_handler(sig, task.cancel)
    try:
        yield
    finally:
        for sig in handled:
            loop.remove_signal_handler(sig)
