"""The whole product on one machine: broker, Wyoming servers, a real HA, configured by API.

``Stack`` starts mosquitto, the speech-to-text and text-to-speech servers, an
optional stand-in LLM and a headless Home Assistant in a temp config dir,
then configures HA through its APIs (user, MQTT, Wyoming, agent, pipeline).
Every process is started by the harness and stopped by PID in reverse order,
also on errors, Ctrl-C and SIGTERM (see :func:`local_voice_harness.lifecycle`).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import secrets
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Protocol, Self

import yaml

from wyoming_servers.models import resolve_piper_voice, resolve_whisper_model

from . import ha_setup
from .ha_client import HAClient
from .ha_config import HAConfigSpec, write_config_dir
from .ha_process import HomeAssistantProcess
from .model_servers import (
    LLM_START_TIMEOUT_S,
    ModelEndpoint,
    bundled_llm,
    bundled_model_title,
    endpoint_for_url,
    ollama_double,
    scripted_stand_in,
)
from .mosquitto import Mosquitto
from .paths import REPO_ROOT, demo_home_file
from .peer_servers import CommandServerProcess, peer_asr, peer_tts
from .ports import free_port
from .servers import WyomingProcess

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import TracebackType

    from .model_servers import ModelServerProcess


DEFAULT_VOICE: Final = "en_US-joe-medium"
_WARMED: Final = re.compile(r"Prompt cache of .* warmed in ([0-9.]+) s")
_WARMING: Final = "Warming the prompt cache of"
_NOT_WARMED: Final = ("was not warmed", "Could not build the prompt to warm")


class WyomingServer(Protocol):
    """A speech server process the stack starts (ours or a peer)."""

    name: str

    @property
    def port(self) -> int:
        """Its loopback port."""

    @property
    def uri(self) -> str:
        """``tcp://host:port``."""

    @property
    def pid(self) -> int | None:
        """PID while running."""

    def start(self) -> object:
        """Start and wait until it serves."""

    def stop(self) -> None:
        """Stop by PID."""


class _Named:
    """A server process with a display name."""

    def __init__(self, name: str, proc: WyomingProcess | CommandServerProcess) -> None:
        self.name = name
        self.proc = proc

    @property
    def port(self) -> int:
        return self.proc.port

    @property
    def uri(self) -> str:
        return self.proc.uri

    @property
    def pid(self) -> int | None:
        try:
            return self.proc.pid
        except AssertionError:  # WyomingProcess before start
            return None

    def start(self) -> object:
        return self.proc.start()

    def stop(self) -> None:
        self.proc.stop()


class Stoppable(Protocol):
    """Anything the stack started and must stop."""

    def stop(self) -> None:
        """Stop it (idempotent)."""


def log_progress(message: str) -> None:
    """Default progress sink: timestamped lines on stderr."""
    sys.stderr.write(f"[{time.strftime('%H:%M:%S')}] {message}\n")
    sys.stderr.flush()


@dataclass(slots=True)
class StackOptions:
    """What to start."""

    model: str = "tiny.en"
    vocabulary: bool = True
    home_file: Path = field(default_factory=demo_home_file)
    agent: str = "auto"  # auto | local_voice | builtin
    llm: str = "bundled"  # bundled | scripted | an http(s) URL of a model server
    llm_api: str = "auto"  # auto | openai | ollama: the API the agent uses (see model_servers)
    llm_threads: int | None = None  # local-voice-llm --threads (None: every core)
    llm_model: str | None = None  # local-voice-llm --model (None: the bundled default)
    servers: str = "ours"  # ours | peers
    asr_args: tuple[str, ...] = ()  # more local-voice-asr flags (ours), e.g. --pause-seconds
    satellite_options: dict[str, Any] = field(default_factory=dict)  # each satellite's, in HA
    keep_workdir: bool = False  # keep HA's config dir and the logs for troubleshooting
    debug: bool = False
    progress: Any = log_progress


def home_entity_ids(home_file: Path) -> set[str]:
    """Entity ids of the house (what "the house did" reports on)."""
    spec = yaml.safe_load(home_file.read_text(encoding="utf-8"))
    return {str(e["entity_id"]) for e in spec.get("entities", [])}


def home_vocabulary(home_file: Path) -> list[str]:
    """Names of the exposed devices and areas, to bias recognition."""
    spec = yaml.safe_load(home_file.read_text(encoding="utf-8"))
    names = [str(a) for a in spec.get("areas", [])]
    names += [str(e["name"]) for e in spec.get("entities", []) if e.get("exposed")]
    return list(dict.fromkeys(names))


@dataclass(slots=True)
class StackInfo:
    """What the running stack looks like (for output and JSON)."""

    mqtt_port: int = 0
    asr_uri: str = ""
    tts_uri: str = ""
    ha_url: str = ""
    pipeline_id: str = ""
    engines: ha_setup.PipelineEngines | None = None
    agent_note: str = ""
    llm: str = ""  # what answered open requests: "bundled ...", "scripted ...", a URL
    llm_warm_s: float | None = None  # the agent's prompt warm-up, as HA logged it
    agent_entry_id: str = ""  # the local_voice server entry (its diagnostics hold the figures)
    pids: dict[str, int] = field(default_factory=dict)
    startup_s: float = 0.0


class Stack:
    """Start with ``async with Stack(options) as stack:``; ``stack.client`` talks to HA."""

    def __init__(self, options: StackOptions | None = None) -> None:
        self.options = options or StackOptions()
        self.say = self.options.progress
        self.workdir = Path(tempfile.mkdtemp(prefix="lv-stack-"))
        self.info = StackInfo()
        self.broker: Mosquitto | None = None
        self.ha: HomeAssistantProcess | None = None
        self.client: HAClient | None = None
        self._started: list[tuple[str, Stoppable]] = []
        # A letter first: HA's auth script would read a leading "-" as an option.
        self._password = "p" + secrets.token_urlsafe(12)
        self._in_flight: asyncio.Future[Any] | None = None

    # --- processes --------------------------------------------------------------------

    def _track(self, name: str, thing: Stoppable, pid: int | None) -> None:
        self._started.append((name, thing))
        if pid is not None:
            self.info.pids[name] = pid

    def _start_servers(self) -> None:
        self.say("starting mosquitto on loopback")
        self.broker = Mosquitto(workdir=self.workdir)
        self.broker.start()
        self._track("mosquitto", self.broker, self.broker.pid)
        self.info.mqtt_port = self.broker.port

        if self.options.servers == "peers":
            asr, tts = self._peer_servers()
        else:
            asr, tts = self._our_servers()
        self.say(f"starting speech-to-text server {asr.name} (model {self.options.model})")
        self._track("asr", asr, None)
        asr.start()
        self.info.pids["asr"] = asr.pid or 0
        self.info.asr_uri = asr.uri
        self.say(f"starting text-to-speech server {tts.name} (voice {DEFAULT_VOICE})")
        self._track("tts", tts, None)
        tts.start()
        self.info.pids["tts"] = tts.pid or 0
        self.info.tts_uri = tts.uri
        self._asr, self._tts = asr, tts

    def _vocabulary_file(self) -> Path:
        vocab = self.workdir / "vocabulary.txt"
        vocab.write_text("\n".join(home_vocabulary(self.options.home_file)) + "\n")
        return vocab

    def _our_servers(self) -> tuple[WyomingServer, WyomingServer]:
        asr_args = ["--model", self.options.model, *self.options.asr_args]
        if self.options.vocabulary:
            asr_args += ["--vocabulary", str(self._vocabulary_file())]
        asr = WyomingProcess.asr(*asr_args, log_path=self.workdir / "asr.log")
        tts = WyomingProcess.tts("--voice", DEFAULT_VOICE, log_path=self.workdir / "tts.log")
        asr.env = tts.env = {"PYTHONPATH": str(REPO_ROOT)}
        return _Named("local-voice-asr", asr), _Named("local-voice-tts", tts)

    def _peer_servers(self) -> tuple[WyomingServer, WyomingServer]:
        model = resolve_whisper_model(self.options.model)
        voice = resolve_piper_voice(DEFAULT_VOICE)
        asr = peer_asr(model.path)
        if self.options.vocabulary:
            asr.argv += ["--initial-prompt", ", ".join(home_vocabulary(self.options.home_file))]
        return (
            _Named("wyoming-faster-whisper 3.8.1 (peer)", asr),
            _Named("wyoming-piper 2.5.2 (peer)", peer_tts(voice.model.parent, DEFAULT_VOICE)),
        )

    def _start_model(self) -> ModelEndpoint | None:
        """The model server behind the agent (``--llm``); None with HA's built-in agent."""
        llm, api = self.options.llm, self.options.llm_api
        if llm == "scripted":
            if api == "openai":
                raise ValueError("the scripted stand-in speaks Ollama's API only")
            self.say("starting the SCRIPTED stand-in LLM (fake Ollama; not a real model)")
            fake = self._start_process("fake_ollama", scripted_stand_in(self.workdir))
            return ModelEndpoint(
                "ollama",
                fake.url,
                "the SCRIPTED STAND-IN (fake Ollama: always 'Sorry, I can't help with that.', "
                "no tool calls), not a real model",
            )
        if llm != "bundled":
            return endpoint_for_url(llm, api)
        title = bundled_model_title(self.options.llm_model)
        self.say(f"starting local-voice-llm with the bundled {title} on loopback")
        server = self._start_process(
            "llm",
            bundled_llm(
                self.workdir,
                self.options.llm_threads,
                self.options.llm_model,
                debug=self.options.debug,
            ),
            timeout=LLM_START_TIMEOUT_S,
        )
        name = f"the bundled {title}"
        if api == "ollama":
            self.say("starting the Ollama double in front of it (Ollama's API, the same model)")
            double = self._start_process("ollama_double", ollama_double(self.workdir, server.url))
            return ModelEndpoint("ollama", double.url, f"{name} behind Ollama's API")
        return ModelEndpoint(
            "openai", f"{server.url}/v1", f"{name} (local-voice-llm, OpenAI-compatible API)"
        )

    def _start_process(
        self, name: str, process: ModelServerProcess, timeout: float = 30.0
    ) -> ModelServerProcess:
        self._track(name, process, None)
        process.start(timeout)
        self.info.pids[name] = process.pid or 0
        return process

    def _start_ha(self) -> None:
        port = free_port()
        config_dir = self.workdir / "ha"
        loggers = ("custom_components.local_voice", "homeassistant.components.assist_pipeline")
        write_config_dir(
            config_dir,
            HAConfigSpec(
                http_port=port,
                home_file=self.options.home_file,
                debug_loggers=loggers if self.options.debug else (),
                info_loggers=("custom_components.local_voice",),
            ),
        )
        self.ha = HomeAssistantProcess(config_dir, port)
        self.ha.create_user("demo", self._password)
        self.say(f"starting Home Assistant (real core, headless) in {config_dir}")
        self._track("home_assistant", self.ha, None)
        self.ha.start()
        self.info.pids["home_assistant"] = self.ha.pid or 0
        self.info.ha_url = self.ha.base_url

    # --- configuration ----------------------------------------------------------------

    async def _configure(self, model: ModelEndpoint | None) -> None:
        assert self.ha is not None
        client = self.client = HAClient(self.ha.base_url)
        await client.login("demo", self._password)
        await client.connect_ws()
        await self._wait_running(client)
        self.say("HA is running; adding integrations through the config-flow API")
        await ha_setup.add_integration(
            client, "mqtt", {"broker": "127.0.0.1", "port": self.info.mqtt_port}
        )
        if self.options.servers == "peers":  # HA's own Wyoming speech-to-text
            stt_entry = await ha_setup.add_integration(
                client, "wyoming", {"host": "127.0.0.1", "port": self._asr.port}
            )
        else:  # ours: the home's names in every request, and semantic endpointing
            stt_entry = await ha_setup.add_integration(
                client,
                "local_voice",
                {"menu:user": "speech", "asr_uri": f"tcp://127.0.0.1:{self._asr.port}"},
            )
        tts_entry = await ha_setup.add_integration(
            client, "wyoming", {"host": "127.0.0.1", "port": self._tts.port}
        )
        stt = (await ha_setup.entities_of_entry(client, stt_entry, "stt"))[0]
        tts = (await ha_setup.entities_of_entry(client, tts_entry, "tts"))[0]
        conversation = await self._add_agent(client, model)
        engines = await ha_setup.engines_for(client, stt, tts, conversation, DEFAULT_VOICE)
        self.info.engines = engines
        # Our agent runs HA's local intents itself, behind its confirmation guard
        # (opening the garage must be confirmed); the pipeline's own local-intent
        # shortcut would bypass that, so it is off with our agent.
        self.info.pipeline_id = await ha_setup.create_pipeline(
            client,
            "Local Voice",
            engines,
            prefer_local_intents=conversation == "conversation.home_assistant",
        )
        self.say(f"pipeline ready: stt={stt} tts={tts} agent={conversation}")
        self.say(self.info.agent_note)

    async def _add_agent(self, client: HAClient, model: ModelEndpoint | None) -> str:
        if self.options.agent == "builtin" or model is None:
            self.info.agent_note = (
                "HA's built-in agent (conversation.home_assistant): no LLM in this run"
            )
            self.info.llm = "none"
            return "conversation.home_assistant"
        entry = await ha_setup.add_integration(
            client,
            "local_voice",
            {"menu:user": "server", "backend": model.backend, "url": model.url},
        )
        self.info.llm = model.description
        self.info.agent_entry_id = entry
        self.info.agent_note = (
            "local_voice agent: HA's local intents first, then "
            f"{model.description} for everything they do not handle"
        )
        await self.wait_for_warm_prompt()
        return (await ha_setup.entities_of_entry(client, entry, "conversation"))[0]

    async def wait_for_warm_prompt(self, limit_s: float = 600.0) -> None:
        """Wait until every warm-up the agent started has ended (HA logs both).

        The agent warms the model's prompt cache in the background once it is
        set up, and again after a reload (``agent/warmup.py``); turns before
        that would pay for the cold prompt, so the stack waits, showing
        progress.
        """
        assert self.ha is not None
        if not self.info.agent_entry_id or self.options.llm == "scripted":
            return  # HA's own agent, or the scripted stand-in: no prompt to warm
        self.say("the agent is warming the model's prompt cache (a cold prompt takes a while)")
        began = time.monotonic()
        shown = began
        while (waited := time.monotonic() - began) < limit_s:
            log = self.ha.log_file.read_text(errors="replace")
            warmed = _WARMED.findall(log)
            ended = len(warmed) + sum(log.count(m) for m in _NOT_WARMED)
            started = log.count(_WARMING)
            if started and ended >= started:
                if warmed:
                    self.info.llm_warm_s = self.info.llm_warm_s or float(warmed[0])
                    self.say(f"prompt cache warm ({float(warmed[-1]):.1f} s)")
                else:
                    self.say("the prompt cache was not warmed (see HA's log): a cold first turn")
                return
            if time.monotonic() - shown >= 10.0:  # noqa: PLR2004 - progress every 10 s
                shown = time.monotonic()
                self.say(f"still warming the prompt cache ({waited:.0f} s)")
            await asyncio.sleep(0.5)
        self.say(f"the prompt cache was not warm after {limit_s:.0f} s; going on")

    async def stop_ha(self) -> None:
        """Stop Home Assistant only (everything else keeps running), as a crash or update does."""
        assert self.ha is not None
        if self.client is not None:
            await self.client.close()
            self.client = None
        self.say("stopping Home Assistant (the rest keeps running)")
        await self._in_thread(self.ha.stop)

    async def start_ha(self) -> None:
        """Start the same Home Assistant again (its config dir kept) and log in."""
        assert self.ha is not None
        self.say("starting Home Assistant again")
        await self._in_thread(self.ha.start)
        self.info.pids["home_assistant"] = self.ha.pid or 0
        client = self.client = HAClient(self.ha.base_url)
        await client.login("demo", self._password)
        await client.connect_ws()
        await self._wait_running(client)

    async def _wait_running(self, client: HAClient, limit_s: float = 120.0) -> None:
        deadline = time.monotonic() + limit_s
        while time.monotonic() < deadline:
            config = await client.ws("get_config")
            if config.get("state") == "RUNNING":
                return
            await asyncio.sleep(0.3)
        raise ha_setup.HASetupError(f"HA not RUNNING within {limit_s} s")

    # --- lifecycle --------------------------------------------------------------------

    async def start(self) -> Self:
        """Start and configure everything; on any failure stop what was started."""
        began = time.monotonic()
        try:
            # Process starts block (they poll readiness): keep them off the event loop.
            await self._in_thread(self._start_servers)
            model = None
            if self.options.agent != "builtin":
                model = await self._in_thread(self._start_model)
            await self._in_thread(self._start_ha)
            await self._configure(model)
        except BaseException:
            await self.stop()
            raise
        self.info.startup_s = time.monotonic() - began
        self.say(f"stack up in {self.info.startup_s:.1f} s (pids {self.info.pids})")
        return self

    async def _in_thread[T](self, func: Callable[[], T]) -> T:
        """Run a blocking start in a thread; a cancelled caller leaves it to :meth:`stop`."""
        future = asyncio.get_running_loop().run_in_executor(None, func)
        self._in_flight = future
        return await asyncio.shield(future)

    async def stop(self) -> None:
        """Stop everything in reverse order, by PID; safe to call twice."""
        if self._in_flight is not None and not self._in_flight.done():
            # Cancelled (Ctrl-C) while a process was starting: let that start
            # finish so its process is tracked, then stop it with the rest.
            await asyncio.wait([self._in_flight])
        if self.client is not None:
            with contextlib.suppress(Exception):
                await self.client.close()
            self.client = None
        while self._started:
            name, thing = self._started.pop()
            self.say(f"stopping {name}")
            try:
                thing.stop()
            except Exception as err:  # noqa: BLE001 - keep stopping the rest
                self.say(f"stopping {name} failed: {err}")
        if self.options.keep_workdir:
            self.say(f"kept the work dir (HA config, logs): {self.workdir}")
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self, _t: type[BaseException] | None, _e: BaseException | None, _tb: TracebackType | None
    ) -> None:
        await self.stop()
