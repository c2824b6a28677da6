"""Fixtures for the satellite tests: the package on sys.path, wake word audio, a secure broker."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import pytest

from local_voice_harness.paths import REPO_ROOT

PI_DIR = REPO_ROOT / "satellites" / "pi"
if str(PI_DIR) not in sys.path:
    sys.path.insert(0, str(PI_DIR))

from satellite_helpers import SecureBroker, make_tls_material, synthesize_wake_word  # noqa: E402

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator
    from pathlib import Path


@pytest.fixture(scope="session")
def wake_word_pcm() -> bytes:
    """ "okay nabu" spoken by espeak-ng (en-us, 160 wpm), 16 kHz mono s16le."""
    return synthesize_wake_word()


@pytest.fixture(scope="session")
def tls_material(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A test CA and a server certificate for 127.0.0.1/localhost, made by openssl now."""
    return make_tls_material(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def secure_broker(
    tls_material: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SecureBroker]:
    """mosquitto running satellites/broker/mosquitto.conf + acl, users made by add_satellite.sh."""
    broker = SecureBroker(tls_material, tmp_path_factory.mktemp("broker"))
    try:
        broker.start()
        yield broker
    finally:
        broker.close()


@pytest.fixture
async def agent_entry(demo_home: object, socket_enabled: None) -> AsyncIterator[object]:
    """Our agent (a server entry on the scripted model server) in the demo home."""
    from agent_helpers import server_entry

    from local_voice_harness.fake_ollama import FakeOllama

    hass: Any = demo_home
    async with FakeOllama(models=["llama3.2:latest"]) as server:
        entry = server_entry(server.url, {"request_timeout": 3.0})
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        yield entry
        await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()
