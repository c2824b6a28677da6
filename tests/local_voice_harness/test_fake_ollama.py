"""The fake Ollama server answers the official client exactly as Ollama would."""

from __future__ import annotations

import asyncio

import httpx
import ollama
import pytest

from local_voice_harness.fake_ollama import FakeOllama, ScriptedTurn, tool_call


async def test_official_client_reads_every_endpoint(socket_enabled: None) -> None:
    async with FakeOllama(models=["llama3.2:latest"], pullable=["qwen2.5:3b"]) as server:
        client = ollama.AsyncClient(host=server.url)
        listed = await client.list()
        assert [m.model for m in listed.models] == ["llama3.2:latest"]
        shown = await client.show("llama3.2:latest")
        assert shown.details is not None
        assert shown.details.family == "llama"
        progress = [p async for p in await client.pull("qwen2.5:3b", stream=True)]
        assert progress[0].status == "pulling manifest"
        assert progress[-1].status == "success"
        assert any(p.total and p.completed == p.total for p in progress)
        assert "qwen2.5:3b" in server.models
        server.add_turns(
            ScriptedTurn(
                text="Turning it on.", tool_calls=[tool_call("HassTurnOn", name="Desk Lamp")]
            )
        )
        answer = await client.chat("llama3.2:latest", messages=[{"role": "user", "content": "hi"}])
        assert answer.message.content == "Turning it on."
        assert answer.message.tool_calls is not None
        assert answer.message.tool_calls[0].function.arguments == {"name": "Desk Lamp"}
        assert answer.done
        async with httpx.AsyncClient(base_url=server.url) as raw:
            assert (await raw.get("/api/version")).json()["version"]
        with pytest.raises(ollama.ResponseError):
            await client.show("missing:latest")
        with pytest.raises(ollama.ResponseError):
            async for _ in await client.pull("missing:latest", stream=True):
                pass
        assert server.chat_requests[0]["messages"] == [{"role": "user", "content": "hi"}]
    await asyncio.sleep(0.05)  # let the client's aborted stream generator finalise


def test_script_validates_turns() -> None:
    with pytest.raises(ValueError, match="unknown fault"):
        ScriptedTurn(fault="explode")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="delays"):
        ScriptedTurn(first_token_delay_s=-1)
    turn = ScriptedTurn.from_dict({"text": "hi", "tool_calls": [{"name": "X", "arguments": {}}]})
    assert turn.text == "hi"
    assert turn.tool_calls[0]["name"] == "X"
