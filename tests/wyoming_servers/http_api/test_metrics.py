"""Metric names are stable and shared: the dashboard only uses names that are exported."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

import aiohttp
import pytest

from local_voice_harness.paths import REPO_ROOT

if TYPE_CHECKING:
    from .conftest import Stack

pytestmark = pytest.mark.slow

DASHBOARD = REPO_ROOT / "deploy" / "grafana" / "local-voice.json"
_NAME = re.compile(r"\b(local_voice_[a-z_]+)")
_SUFFIXES = ("_bucket", "_count", "_sum", "_total", "_created")


def _exported(text: str) -> set[str]:
    names = set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            name, kind = line.split()[2:4]
            names.add(name)
            if kind == "histogram":
                names.update({f"{name}_bucket", f"{name}_count", f"{name}_sum"})
            if kind == "counter":
                names.add(f"{name}_total")
        elif line and not line.startswith("#"):
            names.add(line.split("{", 1)[0].split(" ", 1)[0])
    return names


async def _scrape(port: int) -> str:
    url = f"http://127.0.0.1:{port}/metrics"
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return await response.text()


def _dashboard_names() -> set[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    exprs = [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]
    exprs += [
        variable.get("query", {}).get("query", "")
        if isinstance(variable.get("query"), dict)
        else str(variable.get("query", ""))
        for variable in dashboard.get("templating", {}).get("list", [])
    ]
    return {name for expr in exprs for name in _NAME.findall(expr)}


async def test_dashboard_uses_only_exported_names(api_url: str, api_stack: Stack) -> None:
    # Exercise every path once so that labelled series exist.
    async with aiohttp.ClientSession() as session:
        body = {"model": "tts-1", "voice": "alloy", "input": "Done.", "response_format": "wav"}
        async with session.post(f"{api_url}/v1/audio/speech", json=body) as response:
            audio = await response.read()
        form = aiohttp.FormData()
        form.add_field("file", audio, filename="a.wav", content_type="audio/wav")
        form.add_field("model", "whisper-1")
        async with session.post(f"{api_url}/v1/audio/transcriptions", data=form) as response:
            assert response.status == 200
        async with session.post(f"{api_url}/v1/audio/speech", json={}) as response:
            assert response.status == 400
        async with session.get(f"{api_url}/metrics") as response:
            assert response.headers["Content-Type"].startswith("text/plain")
            exported = _exported(await response.text())
    for port in (api_stack.asr_metrics_port, api_stack.tts_metrics_port):
        exported |= _exported(await _scrape(port))
    used = _dashboard_names()
    assert len(used) >= 7
    assert used <= exported, sorted(used - exported)


async def test_every_server_labels_its_series(api_url: str, api_stack: Stack) -> None:
    """All three processes export under one set of names, told apart by ``server``."""
    texts = {}
    async with aiohttp.ClientSession() as session, session.get(f"{api_url}/metrics") as response:
        texts["api"] = await response.text()
    for server, port in (("asr", api_stack.asr_metrics_port), ("tts", api_stack.tts_metrics_port)):
        texts[server] = await _scrape(port)
    for server, text in texts.items():
        assert f'local_voice_active_sessions{{server="{server}"}}' in text
        assert f'local_voice_queue_depth{{server="{server}"}}' in text
    for server in ("asr", "tts"):
        assert f'local_voice_model_load_seconds{{server="{server}"}}' in texts[server]
