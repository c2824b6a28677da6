"""Shared fixtures: real HA core, a real mosquitto, free ports, the demo material.

Everything here is the real thing: HA's core through
pytest-homeassistant-custom-component's ``hass`` fixture, a mosquitto
process on loopback, the demo home and dev audio bundled in
``local_voice_harness/data`` (``LOCAL_VOICE_SHARED`` may point elsewhere).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any
from unittest.mock import patch

import pytest

# The custom component must be importable before the ``hass`` fixture runs.
import custom_components.local_voice  # noqa: F401
from local_voice_harness import paths
from local_voice_harness.commands import (
    SpokenCommand,
    Transcribed,
    load_commands,
    load_transcripts,
)
from local_voice_harness.mosquitto import Mosquitto
from local_voice_harness.ports import free_port

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Iterator
    from pathlib import Path

    from full_loop import FullLoop
    from homeassistant.core import HomeAssistant

# The demo_home test integration lives under local_voice_harness/ha_config;
# adding that folder to sys.path merges its custom_components namespace with
# the repo's, exactly as HA merges a config dir's custom_components.
if str(paths.HA_CONFIG_TEMPLATE) not in sys.path:
    sys.path.insert(0, str(paths.HA_CONFIG_TEMPLATE))


@pytest.fixture(autouse=True)
def _auto_enable_custom_integrations(enable_custom_integrations: Any) -> None:
    """Let HA load custom_components/local_voice in every test."""


@pytest.fixture(autouse=True)
def _tts_cache_in_tmp(tmp_path: Path) -> Iterator[None]:
    """Keep HA's TTS cache out of the working tree."""
    with patch("homeassistant.components.tts.DEFAULT_CACHE_DIR", str(tmp_path / "tts")):
        yield


@pytest.fixture
async def hass_core(hass: HomeAssistant) -> HomeAssistant:
    """``hass`` with the ``homeassistant`` integration set up (exposure settings need it)."""
    from homeassistant.setup import async_setup_component

    assert await async_setup_component(hass, "homeassistant", {})
    await hass.async_block_till_done()
    return hass


@pytest.fixture
async def demo_home(hass_core: HomeAssistant) -> AsyncIterator[HomeAssistant]:
    """``hass`` with the demo home realised as real entities."""
    from homeassistant.setup import async_setup_component

    assert await async_setup_component(
        hass_core, "demo_home", {"demo_home": {"home": str(paths.demo_home_file())}}
    )
    await hass_core.async_block_till_done()
    yield hass_core


@pytest.fixture(scope="session")
def mosquitto_broker() -> Iterator[Mosquitto]:
    """One real broker for the whole session (tests that restart it use their own)."""
    with Mosquitto() as broker:
        yield broker


@pytest.fixture
def private_broker() -> Iterator[Mosquitto]:
    """A broker of this test's own, for tests that stop or restart it."""
    with Mosquitto() as broker:
        yield broker


@pytest.fixture
def unused_port() -> int:
    """A TCP port free on loopback right now."""
    return free_port()


@pytest.fixture(scope="session")
def dev_commands() -> list[SpokenCommand]:
    """The dev spoken commands."""
    return load_commands(paths.dev_commands_dir())


@pytest.fixture(scope="session")
def dev_real_speech() -> list[Transcribed]:
    """The recorded human speech with reference transcripts."""
    return load_transcripts(paths.dev_real_speech_dir())


@pytest.fixture(scope="session")
def full_loop(
    tmp_path_factory: pytest.TempPathFactory, dev_commands: list[SpokenCommand]
) -> FullLoop:
    """One ``local-voice-eval`` run of the whole loop, offline where possible (``full_loop.py``).

    The end-to-end and the no-egress tests check the same run: it starts every
    part with the bundled LLM and takes more than a minute.
    """
    from full_loop import run_full_loop

    return run_full_loop(tmp_path_factory.mktemp("full_loop"), dev_commands)


@pytest.fixture(scope="session")
def demo_home_path() -> Path:
    """Path of the demo home."""
    return paths.demo_home_file()


@pytest.fixture(scope="session")
def tts_voice() -> Any:
    """The bundled piper voice loaded in this process, streaming, once per session."""
    from wyoming_servers.models import resolve_piper_voice
    from wyoming_servers.tts.voices import load_voice

    return load_voice(resolve_piper_voice("en_US-joe-medium"))


@pytest.fixture(scope="session")
def tts_server() -> Iterator[Any]:
    """Our text-to-speech server (bundled voice) as a real process, once per session.

    Yields a ``local_voice_harness.servers.WyomingProcess`` (``.host``,
    ``.port``, ``.uri``); tests that connect need the ``socket_enabled`` fixture.
    """
    import pytest_socket

    from local_voice_harness.servers import WyomingProcess

    pytest_socket.enable_socket()  # readiness is a real describe over loopback
    with WyomingProcess.tts("--max-chars", "2000", "--max-clients", "16") as server:
        yield server


@pytest.fixture(scope="session")
def asr_server() -> Iterator[Any]:
    """Our speech-to-text server (bundled tiny.en) as a real process, once per session.

    Yields a ``local_voice_harness.servers.WyomingProcess`` (``.host``,
    ``.port``, ``.uri``, ``.info``); tests that connect need ``socket_enabled``.
    Short idle/read timeouts keep the robustness tests quick; 16 clients is
    more than any test opens at once.
    """
    import pytest_socket

    from local_voice_harness.servers import WyomingProcess

    pytest_socket.enable_socket()  # readiness is a real describe over loopback
    server = WyomingProcess.asr(
        "--max-clients", "16", "--idle-timeout", "3", "--read-timeout", "1", "--max-seconds", "20"
    )
    with server:
        yield server


@pytest.fixture(scope="session")
def llm_server_factory() -> Callable[[], Any]:
    """Makes new, not yet started servers of the bundled LLM, each on a free loopback port.

    For tests that need a server whose prompt cache no other test has touched.
    Fails (never skips) when the llm extra is not installed.
    """
    import importlib.util

    from wyoming_servers.llm import bundled
    from wyoming_servers.llm.server import LlmServer, ServerSettings

    if importlib.util.find_spec("xllamacpp") is None:
        pytest.fail("the llm extra is not installed: pip install -e '.[llm]'")
    model = bundled.resolve(bundled.DEFAULT_MODEL)
    return lambda: LlmServer(ServerSettings(model=model, port=0))


@pytest.fixture(scope="session")
def llm_server(llm_server_factory: Callable[[], Any]) -> Iterator[Any]:
    """The bundled LLM (Qwen2.5-Coder-1.5B) behind llama.cpp's server, loaded once per session.

    Listens on a free loopback port; tests reach it with ``socket_enabled``.
    """
    with llm_server_factory() as server:
        yield server
