"""The ESP32 config, validated by the real ``esphome config`` (ESPHome from PyPI).

ESPHome lives in ``.venv-esphome`` (its pins clash with HA's), created by
``satellites/esp32/setup_esphome.sh`` when missing. ``esphome config``
checks every schema offline (the wake word model comes from a local
manifest); it does not compile the lambdas, and nothing here can compile
firmware (ESP-IDF cannot be downloaded).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from typing import TYPE_CHECKING, Any

import local_voice_protocol as protocol
import pytest
import yaml
from local_voice_satellite.wakeword import BUILTIN_MODELS_DIR

if TYPE_CHECKING:
    from pathlib import Path

from local_voice_harness.paths import REPO_ROOT

ESP32_DIR = REPO_ROOT / "satellites" / "esp32"
CONFIG = ESP32_DIR / "local-voice-satellite.yaml"
ESPHOME = REPO_ROOT / ".venv-esphome" / "bin" / "esphome"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def esphome() -> Path:
    if not ESPHOME.exists():
        result = subprocess.run(
            [str(ESP32_DIR / "setup_esphome.sh")],
            capture_output=True,
            text=True,
            timeout=400,
            check=False,
        )
        if result.returncode != 0 or not ESPHOME.exists():
            pytest.skip(f".venv-esphome could not be created: {result.stderr.strip()[-400:]}")
    return ESPHOME


def _workdir(tmp_path: Path, text: str | None = None) -> Path:
    (tmp_path / "models").mkdir()
    for suffix in (".json", ".tflite"):
        shutil.copy(BUILTIN_MODELS_DIR / f"okay_nabu{suffix}", tmp_path / "models")
    shutil.copy(ESP32_DIR / "secrets.example.yaml", tmp_path / "secrets.yaml")
    config = tmp_path / CONFIG.name
    config.write_text(text if text is not None else CONFIG.read_text())
    return config


def _esphome_config(esphome: Path, config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(esphome), "config", str(config)],
        cwd=config.parent,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_esphome_config_validates(esphome: Path, tmp_path: Path) -> None:
    started = time.monotonic()
    result = _esphome_config(esphome, _workdir(tmp_path))
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-3000:]
    assert "Configuration is valid!" in out
    # The resolved config carries the protocol's topics for this satellite id.
    for topic in (
        "availability",
        "announce",
        "event",
        "command",
        "state",
        "audio/in/",
        "audio/out/#",
    ):
        assert f"local_voice/esp32_kitchen/{topic}" in out, topic
    assert "bits_per_sample: 32\n" in out  # INMP441 delivers 32-bit slots, converted in on_data
    assert time.monotonic() - started < 120


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("model: models/okay_nabu.json", "model: models/missing.json"),
        ("bits_per_sample: 32bit", "bits_per_sample: 12bit"),
        ("  broker: !secret mqtt_broker\n", ""),
    ],
    ids=["missing-wake-word-model", "bad-sample-width", "no-broker"],
)
def test_esphome_rejects_a_broken_config(esphome: Path, tmp_path: Path, old: str, new: str) -> None:
    """The validation is real: each of these edits must fail it."""
    text = CONFIG.read_text()
    assert old in text
    result = _esphome_config(esphome, _workdir(tmp_path, text.replace(old, new, 1)))
    assert result.returncode != 0


def _load(text: str) -> dict[str, Any]:
    class _Loader(yaml.SafeLoader):
        pass

    _Loader.add_multi_constructor("!", lambda _loader, _suffix, _node: None)
    data = yaml.load(text, Loader=_Loader)
    assert isinstance(data, dict)
    return data


def test_announce_matches_the_protocol() -> None:
    """The announce the ESP32 publishes parses with the shared protocol module."""
    data = _load(CONFIG.read_text())
    subs = {k: str(v) for k, v in data["substitutions"].items()}
    publish = data["mqtt"]["on_connect"][0]["mqtt.publish"]
    payload = str(publish["payload"])
    for _ in range(3):
        payload = re.sub(r"\$\{(\w+)\}", lambda m: subs[m.group(1)], payload)
    assert subs["topic"] == "local_voice/${satellite_id}"
    announce = protocol.parse_announce(payload, subs["satellite_id"])
    assert announce.protocol == 2  # reports its wake-up signal, obeys dismiss
    assert announce.vad is False  # no endpointing VAD on the device: HA's detector ends sessions
    assert announce.wake_word is True
    assert publish["retain"] is True
    assert data["mqtt"]["will_message"] == {
        "topic": "${topic}/availability",
        "payload": "offline",
        "qos": 1,
        "retain": True,
    }
    manifest = json.loads((BUILTIN_MODELS_DIR / "okay_nabu.json").read_text())
    assert manifest["wake_word"] == "Okay Nabu"
