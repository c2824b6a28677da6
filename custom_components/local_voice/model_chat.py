"""The model path: stream Ollama's answer into HA's chat log, with a capped tool loop.

Modelled on HA 2025.4's own Ollama agent (``components/ollama/conversation.py``),
plus what a voice agent that controls a home needs: one deadline for the
whole answer (never a hang), errors turned into a short sentence, tool calls
routed through ``ToolGuard``, and the answer built from the states the tools
really left behind.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import ollama
from homeassistant.components import conversation
from homeassistant.helpers import llm
from voluptuous_openapi import convert  # type: ignore[import-untyped]  # HA ships no stubs

from .const import LOGGER, MAX_TOOL_ITERATIONS
from .ollama_api import BAD_ANSWER_ERRORS, UNREACHABLE_ERRORS
from .prompt_budget import choose_num_ctx, estimate_tokens
from .state_report import report
from .tool_guard import repair_arguments

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, AsyncIterator

    from .agent_data import AgentRuntimeData
    from .tool_guard import ToolGuard

SPOKEN_TIMEOUT = "Sorry, the language model did not answer in time."
SPOKEN_UNREACHABLE = "Sorry, I can't reach the language model right now."
SPOKEN_BROKEN = "Sorry, the language model sent an answer I could not read."
SPOKEN_FAILING = "Sorry, the language model is not available right now."


@dataclass(slots=True)
class ModelOutcome:
    """The spoken answer and whether it is an error."""

    speech: str
    error: str | None = None
    cap_hit: bool = False


def format_tool(tool: llm.Tool, serializer: Any) -> dict[str, Any]:
    """An LLM tool as Ollama's function schema."""
    spec: dict[str, Any] = {
        "name": tool.name,
        "parameters": convert(tool.parameters, custom_serializer=serializer),
    }
    if tool.description:
        spec["description"] = tool.description
    return {"type": "function", "function": spec}


def to_message(content: conversation.Content) -> dict[str, Any]:
    """One chat-log entry as an Ollama message."""
    if isinstance(content, conversation.ToolResultContent):
        return {"role": "tool", "content": json.dumps(content.tool_result)}
    if isinstance(content, conversation.AssistantContent):
        message: dict[str, Any] = {"role": "assistant", "content": content.content or ""}
        if content.tool_calls:
            message["tool_calls"] = [
                {"function": {"name": c.tool_name, "arguments": c.tool_args}}
                for c in content.tool_calls
            ]
        return message
    return {"role": content.role, "content": content.content}


def trim_history(messages: list[dict[str, Any]], max_turns: int) -> list[dict[str, Any]]:
    """Keep the system prompt and the last ``max_turns`` user turns (0 keeps all)."""
    if max_turns < 1:
        return messages
    user_positions = [i for i, m in enumerate(messages) if m["role"] == "user"]
    if len(user_positions) <= max_turns + 1:
        return messages
    start = user_positions[-(max_turns + 1)]
    return [messages[0], *messages[start:]]


async def _deltas(
    stream: AsyncIterator[ollama.ChatResponse],
) -> AsyncGenerator[conversation.AssistantContentDeltaDict]:
    """Ollama chunks as chat-log deltas (role once, then content and tool calls)."""
    first = True
    async for response in stream:
        message = response.message
        chunk: conversation.AssistantContentDeltaDict = {}
        if first:
            chunk["role"] = "assistant"
            first = False
        if message.tool_calls:
            chunk["tool_calls"] = [
                llm.ToolInput(
                    tool_name=call.function.name,
                    tool_args=repair_arguments(dict(call.function.arguments)),
                )
                for call in message.tool_calls
            ]
        if message.content:
            chunk["content"] = message.content
        yield chunk


async def async_run_model(
    hass_entry_id: str,
    data: AgentRuntimeData,
    user_input: conversation.ConversationInput,
    chat_log: conversation.ChatLog,
    guard: ToolGuard,
) -> ModelOutcome:
    """Ask the model (with tools when control is on) and return what to say."""
    settings = data.settings
    api = chat_log.llm_api
    tools = [format_tool(t, api.custom_serializer) for t in api.tools] if api else None
    try:
        async with asyncio.timeout(settings.timeout):
            cap_hit = await _tool_loop(hass_entry_id, data, user_input, chat_log, guard, tools)
    except TimeoutError:
        return _failed(guard, SPOKEN_TIMEOUT, "timeout")
    except UNREACHABLE_ERRORS as err:
        return _failed(guard, SPOKEN_UNREACHABLE, f"unreachable: {err}")
    except ollama.ResponseError as err:
        return _failed(guard, SPOKEN_FAILING, f"status {err.status_code}: {err.error}")
    except BAD_ANSWER_ERRORS as err:
        return _failed(guard, SPOKEN_BROKEN, f"bad answer: {type(err).__name__}: {err}")
    last = chat_log.content[-1]
    model_text = last.content if isinstance(last, conversation.AssistantContent) else None
    return ModelOutcome(speech=_compose(guard, model_text, cap_hit), cap_hit=cap_hit)


async def _tool_loop(  # noqa: PLR0917
    entry_id: str,
    data: AgentRuntimeData,
    user_input: conversation.ConversationInput,
    chat_log: conversation.ChatLog,
    guard: ToolGuard,
    tools: list[dict[str, Any]] | None,
) -> bool:
    """Stream turns until the model stops calling tools; True when the cap stopped it."""
    settings = data.settings
    for _ in range(MAX_TOOL_ITERATIONS):
        messages = trim_history([to_message(c) for c in chat_log.content], settings.max_history)
        tokens = estimate_tokens(messages, tools)
        data.stats.last_prompt_tokens_estimate = tokens
        num_ctx = choose_num_ctx(chat_log.hass, entry_id, settings.num_ctx, tokens)
        stream = await data.client.chat(
            model=settings.model,
            messages=messages,
            tools=tools,
            stream=True,
            keep_alive=f"{settings.keep_alive}s",
            options={"num_ctx": num_ctx, "temperature": settings.temperature},
        )
        async for _content in chat_log.async_add_delta_content_stream(
            user_input.agent_id, _deltas(stream)
        ):
            pass
        if guard.held is not None or not chat_log.unresponded_tool_results:
            return False
    LOGGER.warning("Model kept calling tools; stopped after %s rounds", MAX_TOOL_ITERATIONS)
    return True


def _compose(guard: ToolGuard, model_text: str | None, cap_hit: bool) -> str:
    """The answer: our confirmation question, refusals, and the real new states."""
    if guard.held is not None:
        return guard.held.question
    parts = list(dict.fromkeys(guard.refusals))
    if cap_hit:
        parts.append("Sorry, I could not finish that.")
    if guard.acted:
        parts.append(report(guard.hass, guard.before))
    elif not parts:
        parts.append(model_text or "")
    return " ".join(p for p in parts if p).strip()


def _failed(guard: ToolGuard, spoken: str, detail: str) -> ModelOutcome:
    LOGGER.warning("Model request failed: %s", detail)
    speech = spoken
    if guard.acted:
        speech = f"{spoken} {report(guard.hass, guard.before)}"
    return ModelOutcome(speech=speech, error=detail)
