"""The prompt, laid out for the server's prefix cache, and a context that fits it.

llama.cpp, vLLM and Ollama reuse the work done on a prompt's longest common
prefix. HA's own system prompt puts the speaker's area in the middle and the
time at the end of the system message, which model chat templates render
*before* the tool definitions: every new minute, and every other satellite,
re-reads the tools and the home. So the model gets:
1. a stable system message: the instructions (the user's template or ours),
   then HA's Assist guidance and static home overview built for no
   particular device (identical for every satellite until the home changes);
2. the tools, sorted by name (rendered by the server's template after the
   system message);
3. the conversation so far (without earlier turns HA's own intents handled),
   only when the sentence goes on from it (``follow_up``);
4. a short volatile system message: time, date, the speaker's area (and
   that the home's only thermostat serves it, for a sentence about warmth),
   that it can run timers (with the timer tools only), and any extra prompt
   of this conversation;
5. the user's sentence.
Only 4 and 5 are new on a cached turn.

Token counts are an estimate (characters / 4): no tokenizer of the user's
model is available here. Ollama silently cuts a prompt longer than
``num_ctx``, so the default context is sized from the prompt, and a
configured size that is too small raises a repair issue.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any, Final

from homeassistant.components import conversation
from homeassistant.components.intent import async_device_supports_timers
from homeassistant.exceptions import HomeAssistantError, TemplateError
from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers import llm, template
from homeassistant.util import dt as dt_util

from .. import compat
from ..const import DOMAIN, MAX_ANSWER_TOKENS, MAX_NUM_CTX, MIN_NUM_CTX
from ..understanding.safety import speaker_area_id
from .follow_up import continues
from .home_now import area_name, home_now, sole_thermostat
from .relevance import speaks_of_warmth

if TYPE_CHECKING:
    from collections.abc import Sequence

    from homeassistant.core import Context, HomeAssistant

    from .settings import AgentSettings

# Small models (the bundled 1.5B among them) describe a tool call in prose ("you can use
# the `HassTurnOff` function ...") unless told to answer with the call alone; with these
# words it calls the tool (tests/custom_components/local_voice/agent/test_real_model.py).
# The examples are of other homes (no name of the user's), one per kind of request a
# small model missed without them: an indirect wish, a change relative to the current
# state, unlocking (HA's tools unlock with HassTurnOff), a question answered from the
# states, two devices at once. No thermostat example: with one, the 1.5B set the
# thermostat for "too bright" and "like an oven", to the example's temperature.
VOICE_RULES: Final = """You are the voice assistant of this home.
- When the user wants something in the home changed, answer only with the tool calls, \
one per device, without any words.
- Work out what the user means: too dark or can't see means turn on the light there; \
too bright or going to sleep means turn that light off; stuffy, hot or no air means turn \
on the fan; chilly, warmer or cooler means set the thermostat relative to its current \
setting; a little dimmer or half as bright means set the brightness relative to the \
light's current brightness.
- When the user asks about the home, answer from the current states listed at the end, \
in one short sentence, without a tool call.
- Only when no device of this home could help, say that you can't do that."""
VOICE_EXAMPLES: Final = """Examples from another home:
User: it's so dark on the landing
{"name": "HassTurnOn", "arguments": {"area": "Landing", "domain": ["light"]}}
User: halve the brightness of the sofa lamp (Sofa Lamp: on at 80 percent brightness)
{"name": "HassLightSet", "arguments": {"name": "Sofa Lamp", "brightness": 40}}
User: let me in at the back (Back Gate: locked)
{"name": "HassTurnOff", "arguments": {"name": "Back Gate"}}
User: did I leave the porch light on (Porch Light: off)
No, the Porch Light is off.
User: switch off the attic lamp and the hall light
{"name": "HassTurnOff", "arguments": {"name": "Attic Lamp"}}
{"name": "HassTurnOff", "arguments": {"name": "Hall Light"}}"""
VOICE_INSTRUCTIONS: Final = f"{VOICE_RULES}\n{VOICE_EXAMPLES}"
_NO_TIMERS: Final = "This device is not able to start timers."
# HA's guidance says a question about a current state MUST call GetLiveContext. The
# states are in the volatile message (``home_now``) and the rules say to answer from
# them: told to call the tool, the 1.5B answered "I need to know the current state of
# the front door" or spent a second round on the tool's YAML and ran past the deadline;
# told in a line of its own where the states are, it read that line out as its answer.
# So that guidance is left out.
_WORDS: Final = re.compile(r"[a-z]+")
_TIME_WORDS: Final = frozenset(
    {"timer", "timers", "minute", "minutes", "min", "mins", "second", "seconds", "sec", "secs",
     "hour", "hours", "remind", "reminder", "alarm", "countdown", "long", "left", "pause",
     "resume", "cancel"}
)  # fmt: skip
CHARS_PER_TOKEN: Final = 4
ANSWER_HEADROOM: Final = 1024  # tokens kept free for history turns and the answer
STEP: Final = 1024


async def async_stable_prompt(
    hass: HomeAssistant, settings: AgentSettings, language: str, context: Context | None = None
) -> str:
    """The system message that stays the same across turns, satellites and minutes."""
    try:
        instructions: str = template.Template(
            settings.prompt or VOICE_INSTRUCTIONS, hass
        ).async_render(
            {"ha_name": hass.config.location_name, "user_name": None}, parse_result=False
        )
    except TemplateError as err:
        raise HomeAssistantError(
            f"The agent's instructions are not a valid template: {err}"
        ) from err
    if not settings.control:
        return instructions
    llm_context = llm.LLMContext(
        platform=DOMAIN,
        context=context,
        language=language,
        assistant=conversation.DOMAIN,
        device_id=None,  # no device: the same text for every satellite
    )
    api = await llm.async_get_api(hass, llm.LLM_API_ASSIST, llm_context)
    guidance = api.api_prompt.replace(llm.DYNAMIC_CONTEXT_PROMPT, "")
    guidance = "\n".join(line for line in guidance.splitlines() if line.strip() != _NO_TIMERS)
    return f"{instructions}\n{guidance}"


def volatile_context(hass: HomeAssistant, user_input: conversation.ConversationInput) -> str:
    """The system message that changes: time, the speaker's area, timers, extra prompt."""
    now = dt_util.now()
    parts = [states] if (states := home_now(hass)) else []
    parts.append(f"Current time is {now:%H:%M}. Today is {now:%A, %Y-%m-%d}.")
    area_id = speaker_area_id(hass, user_input.device_id, user_input.satellite_id)
    if area_id and (area := ar.async_get(hass).async_get_area(area_id)):
        parts.append(
            f"The user is speaking in the area {area.name}; generic commands like "
            "'turn on the lights' target this area."
        )
        # Told where the user is, the 1.5B answered "make it three degrees cooler in here"
        # from the kitchen with "I can't do that": the thermostat is in the living room.
        # Only for a request about warmth: heard before "I need caffeine" or "order a
        # pizza" from the kitchen, the line made the 1.5B call the thermostat.
        sole = sole_thermostat(hass)
        if (
            sole is not None
            and area_name(hass, sole.entity_id) != area.name
            and speaks_of_warmth(user_input.text)
        ):
            parts.append(f"{sole.name} is the home's only thermostat; it serves {area.name} too.")
    # HA's "This device is not able to start timers." is left out: such a device gets no
    # timer tools anyway, and the 1.5B answered requests it could not do with that line.
    # "This device can run timers." goes with the timer tools, only for a sentence that
    # speaks of time (``mentions_time``): before "I'd love a cup of coffee, start the
    # machine" the 1.5B answered "The device can run timers, so ...".
    if (
        user_input.device_id
        and mentions_time(user_input.text)
        and async_device_supports_timers(hass, user_input.device_id)
    ):
        parts.append("This device can run timers.")
    if user_input.extra_system_prompt:
        parts.append(user_input.extra_system_prompt)
    return "\n".join(parts)


def messages_for_model(
    chat_log: conversation.ChatLog, stable: str, volatile: str, max_turns: int
) -> list[dict[str, Any]]:
    """The chat log as neutral messages in the cache-friendly order (see the module)."""
    contents = [c for c in chat_log.content[1:] if not isinstance(c, conversation.SystemContent)]
    history = _answered_calls_only([_message(c) for c in _without_local_turns(contents)])
    history = _last_turns(history, max_turns)
    last_user = max((i for i, m in enumerate(history) if m["role"] == "user"), default=None)
    volatile_message = {"role": "system", "content": volatile}
    if last_user is None:
        return [{"role": "system", "content": stable}, *history, volatile_message]
    if not continues(history[last_user]["content"], _last_answer(history[:last_user])):
        history, last_user = history[last_user:], 0  # it says all it means (``follow_up``)
    return [
        {"role": "system", "content": stable},
        *history[:last_user],
        volatile_message,
        *history[last_user:],
    ]


def _last_answer(messages: list[dict[str, Any]]) -> str | None:
    """What the assistant last said in words, or None."""
    return next(
        (m["content"] for m in reversed(messages) if m["role"] == "assistant" and m["content"]),
        None,
    )


def _message(content: conversation.Content) -> dict[str, Any]:
    if isinstance(content, conversation.ToolResultContent):
        return {
            "role": "tool",
            "content": json.dumps(compat.tool_result_data(content), default=str),
            "tool_call_id": content.tool_call_id,
            "name": content.tool_name,
        }
    if isinstance(content, conversation.AssistantContent):
        message: dict[str, Any] = {"role": "assistant", "content": content.content or ""}
        if content.tool_calls:
            message["tool_calls"] = [
                {"id": c.id, "name": c.tool_name, "arguments": c.tool_args}
                for c in content.tool_calls
            ]
        return message
    return {"role": content.role, "content": content.content or ""}


def _answered_calls_only(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The messages without tool calls that no tool result follows.

    A call HA's own intents tried and gave up on can be left in the chat log
    without its result ("what temperature is the heating aiming for");
    llama.cpp then refuses the whole request ("Cannot continue an assistant
    message that contains tool calls", HTTP 400). Such a call is dropped,
    and its message too when it says nothing else.
    """
    answered = {m.get("tool_call_id") for m in messages if m["role"] == "tool"}
    kept: list[dict[str, Any]] = []
    for message in messages:
        calls = message.get("tool_calls")
        if calls and not all(call["id"] in answered for call in calls):
            if message.get("content"):
                kept.append({k: v for k, v in message.items() if k != "tool_calls"})
            continue
        kept.append(message)
    return kept


def _without_local_turns(contents: Sequence[conversation.Content]) -> list[conversation.Content]:
    """The conversation without its earlier turns that HA's own intents handled.

    HA writes each matched intent into the chat log as a tool call with its
    JSON result: about 150 prompt tokens a turn, seconds per turn for a small
    CPU server, for turns the model had no part in. Left in as they were
    spoken ("turn on the kitchen light", "Turned on the light") they teach a
    small model to answer the next command in words, without the tool (the
    1.5B did). The current turn is always kept.
    """
    turns: list[list[conversation.Content]] = []
    for content in contents:
        if isinstance(content, conversation.UserContent) or not turns:
            turns.append([])
        turns[-1].append(content)
    kept = [t for t in turns[:-1] if not _handled_by_ha(t)]
    return [c for turn in [*kept, *turns[-1:]] for c in turn]


def _handled_by_ha(turn: Sequence[conversation.Content]) -> bool:
    return any(
        isinstance(c, conversation.AssistantContent)
        and any(call.external for call in c.tool_calls or ())
        for c in turn
    )


def _last_turns(messages: list[dict[str, Any]], max_turns: int) -> list[dict[str, Any]]:
    """Keep at most ``max_turns`` earlier user turns plus this one (0 keeps all).

    The oldest turns are dropped ``max_turns`` at a time, not one per turn: a
    window that slid by one turn each time would change the prompt right
    after its stable part on every turn, and the server would read all of
    the history again each time (through a satellite, whose turns share one
    conversation for five minutes, every model turn then ran past the
    deadline on 2 cores). Dropped in blocks, the prefix stays the same for
    ``max_turns`` turns in a row and only one turn in ``max_turns`` reads
    the history it keeps again.
    """
    if max_turns < 1:
        return messages
    user_positions = [i for i, m in enumerate(messages) if m["role"] == "user"]
    earlier = len(user_positions) - 1
    if earlier <= max_turns:
        return messages
    dropped = (earlier - 1) // max_turns * max_turns
    return messages[user_positions[dropped] :]


def estimate_tokens(messages: Sequence[dict[str, Any]], tools: Sequence[Any] | None) -> int:
    """Estimated prompt tokens of the messages plus the tool schemas."""
    chars = sum(len(str(m.get("content") or "")) for m in messages)
    chars += len(json.dumps(list(tools or []), default=str))
    return chars // CHARS_PER_TOKEN + 4 * len(messages)


def auto_num_ctx(prompt_tokens: int) -> int:
    """The smallest multiple of 1024 that holds the prompt plus headroom."""
    need = prompt_tokens + ANSWER_HEADROOM
    size = -(-need // STEP) * STEP
    return max(MIN_NUM_CTX, min(MAX_NUM_CTX, size))


def context_size(base_tokens: int, prompt_tokens: int) -> int:
    """The context for a request: sized from the prompt's stable part, larger only when needed.

    Ollama reloads the model (seconds, and the prefix cache is lost) whenever
    ``num_ctx`` changes, so the warm-up and every turn ask for the size that
    the stable system message and the tools (``base_tokens``) need with the
    headroom; only a request whose own prompt leaves less than an answer's
    room in it gets the larger size it needs. Sized from each request alone,
    the demo home's warm-up asked for 3072 and its turns for 4096.
    """
    size = auto_num_ctx(base_tokens)
    if prompt_tokens + MAX_ANSWER_TOKENS > size:
        size = auto_num_ctx(prompt_tokens)
    return size


def base_tokens(stable: str, tools: Sequence[Any] | None) -> int:
    """Estimated tokens of the stable system message and the tools."""
    return estimate_tokens([{"role": "system", "content": stable}], tools)


def choose_num_ctx(
    hass: HomeAssistant, issue_key: str, configured: int, prompt_tokens: int, base: int
) -> int:
    """The context to request; raises or clears the 'prompt truncated' repair issue.

    ``base`` is ``base_tokens`` of the request's prompt (``context_size``).
    """
    issue_id = f"prompt_truncated_{issue_key}"
    if configured > 0 and prompt_tokens > configured:
        ir.async_create_issue(
            hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key="prompt_truncated",
            translation_placeholders={
                "tokens": str(prompt_tokens),
                "num_ctx": str(configured),
                "suggested": str(auto_num_ctx(prompt_tokens)),
            },
        )
    else:
        ir.async_delete_issue(hass, DOMAIN, issue_id)
    return configured if configured > 0 else context_size(base, prompt_tokens)


async def async_estimate_home_prompt(
    hass: HomeAssistant, settings: AgentSettings, language: str
) -> int:
    """Estimated tokens of the system prompt + Assist tools for the exposed entities now."""
    stable = await async_stable_prompt(hass, settings, language)
    tools = await async_home_tools(hass, language) if settings.control else []
    return estimate_tokens([{"role": "system", "content": stable}], tools)


async def async_home_tools(hass: HomeAssistant, language: str) -> list[dict[str, Any]]:
    """The tools of a turn that names no time, as the warm-up reads them (no device)."""
    context = llm.LLMContext(
        platform=DOMAIN,
        context=None,
        language=language,
        assistant=conversation.DOMAIN,
        device_id=None,
    )
    api = await llm.async_get_api(hass, llm.LLM_API_ASSIST, context)
    return model_tools(api, timers=False)


def model_tools(api: llm.APIInstance, *, timers: bool = True) -> list[dict[str, Any]]:
    """The API's tools as the model gets them: sorted by name, the timer tools last.

    HA lists its intents in the order the integrations happened to register
    them, which changes from one start to the next; in a fixed order the
    tools read the same after every restart, and so do the server's cached
    prompt and the model's answers. HA offers the timer tools only to a
    device that can run timers (a satellite, not a chat in HA's UI), so they
    come last: the tools before them are the same prefix either way.
    ``timers=False`` leaves them out (``mentions_time``).
    """
    offered = [t for t in api.tools if timers or not is_timer_tool(t.name)]
    ordered = sorted(offered, key=lambda t: (is_timer_tool(t.name), t.name))
    return [format_tool(t, api.custom_serializer) for t in ordered]


def mentions_time(sentence: str) -> bool:
    """Does the sentence speak of a timer or a length of time? Only then the timer tools.

    Offered HA's eight timer tools on every satellite turn, the bundled 1.5B
    started a timer of no length named "Coffee Maker" for "start the
    machine", and they are about 700 prompt tokens the server read again
    whenever a satellite's turn followed a chat in HA's UI. HA's own
    sentences set, cancel and read timers before the model is asked; the
    model gets the tools only for a sentence that names time ("remind me in
    ten minutes", "how long is left").
    """
    return bool(set(_WORDS.findall(sentence.lower())) & _TIME_WORDS)


def is_timer_tool(name: str) -> bool:
    """HA's timer intents (HassStartTimer, HassTimerStatus, ...), offered per device."""
    return "Timer" in name.rsplit("__", 1)[-1]


def format_tool(tool: llm.Tool, serializer: Any) -> dict[str, Any]:
    """An LLM tool as the OpenAI function schema both backends take."""
    spec: dict[str, Any] = {
        "name": tool.name,
        "parameters": compat.tool_schema(tool.parameters, serializer),
    }
    if tool.description:
        spec["description"] = tool.description
    return {"type": "function", "function": spec}
