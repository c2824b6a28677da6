"""Tool calls from a model's answer: recovered, repaired and checked before anything runs.

Small models often write a tool call as JSON in the answer text instead of
in the API's ``tool_calls`` field (Qwen2.5-Coder does, through Ollama and
llama.cpp alike): ``{"name": "HassTurnOn", "arguments": {...}}``, sometimes
in a code fence or Qwen's ``<tool_call>`` tags (or tags it makes up:
``<tools>``), sometimes several. Such text
is recovered as calls, but only when every object names a tool the model was
given; anything else that looks like JSON is an unreadable answer, never
speech. Arguments are repaired the way small models get them wrong (JSON
sent as a string, empty values) and then checked against the tool's schema
(names, types, enums, required keys): a call that does not fit is refused
with a reason the model can act on, and nothing runs.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any, Final

from .backend import ToolCall

if TYPE_CHECKING:
    from collections.abc import Mapping

_FENCE: Final = re.compile(r"^```(?:json|tool_call)?\s*(.*?)\s*```$", re.DOTALL)
# Qwen's own tag, and the ones the 1.5B made up ("<tools>" when told about the states).
_TAG_NAMES: Final = r"(?:tool_calls?|tools?|function_calls?|functioncall)"
_TAGGED: Final = re.compile(rf"<({_TAG_NAMES})>\s*(.*?)\s*</\1>", re.DOTALL | re.IGNORECASE)
_OPENED: Final = re.compile(rf"^<{_TAG_NAMES}>\s*(.*?)\s*$", re.DOTALL | re.IGNORECASE)
_CALL_STARTS: Final = ("{", "[", "```", "<")
_TYPES: Final[dict[str, tuple[type, ...]]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}
MAX_CALL_CHARS: Final = 4000
_NOTHING: Final = frozenset({"", "none", "null", "n/a"})


def may_be_call(text: str) -> bool:
    """True while the answer so far could still be a tool call written as text."""
    stripped = text.lstrip()
    if not stripped:
        return True
    return any(stripped.startswith(start) or start.startswith(stripped) for start in _CALL_STARTS)


def recover_calls(text: str, tools: Mapping[str, dict[str, Any]]) -> tuple[ToolCall, ...] | None:
    """The calls written as ``text``, or None when it is not (only) tool calls.

    ``tools`` maps each tool's name to its parameter schema.
    """
    objects = _call_objects(text)
    if objects is None:
        return None
    calls = [_known(_as_call(obj), tools) for obj in objects]
    if not calls or any(c is None for c in calls):
        return None
    return tuple(c for c in calls if c is not None)


def unknown_tools(text: str, tools: Mapping[str, Any]) -> list[str]:
    """The names of tools ``tools`` lacks that calls written as ``text`` ask for.

    Asked to "call a cab to take me to the station", the 1.5B wrote a call of
    ``HassCall``, a tool it was never offered: it means "I can't do that".
    """
    objects = _call_objects(text) or []
    calls = [_as_call(obj) for obj in objects]
    return [c.name for c in calls if c is not None and _known(c, tools) is None]


def _call_objects(text: str) -> list[Any] | None:
    """The JSON values of ``text`` written as calls (tagged, fenced or bare), or None."""
    stripped = text.strip()
    if not stripped or len(stripped) > MAX_CALL_CHARS:
        return None
    if tagged := _TAGGED.findall(stripped):
        bodies = [body for _tag, body in tagged]
    elif opened := _OPENED.match(stripped):  # the closing tag never came (cut off)
        bodies = [opened.group(1)]
    elif fenced := _FENCE.match(stripped):
        bodies = [fenced.group(1)]
    else:
        bodies = [stripped]
    objects: list[Any] = []
    for body in bodies:
        parsed = _json_values(body)
        if parsed is None:
            return None
        objects.extend(parsed)
    return objects


def _known(call: ToolCall | None, tools: Mapping[str, Any]) -> ToolCall | None:
    """The call, under the name of a given tool: "HassGetLiveContext" is "GetLiveContext".

    Small models add or drop HA's "Hass" prefix on a tool's name (the 1.5B
    wrote ``HassGetLiveContext``); any other unknown name is not a call.
    """
    if call is None or call.name in tools:
        return call
    for name in (call.name.removeprefix("Hass"), f"Hass{call.name}"):
        if name in tools:
            return ToolCall(name, call.arguments)
    return None


def _json_values(body: str) -> list[Any] | None:
    """One JSON value, a list of objects, or objects one after another; None if not JSON.

    Objects may follow each other on one line, a line each, or pretty-printed
    over several lines (the 1.5B writes two calls that way in a code fence).
    """
    decoder = json.JSONDecoder()
    values: list[Any] = []
    position = 0
    while (position := _skip_space(body, position)) < len(body):
        try:
            value, position = decoder.raw_decode(body, position)
        except json.JSONDecodeError:
            return None
        values.extend(value if isinstance(value, list) else [value])
    return values or None


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and (text[position].isspace() or text[position] == ","):
        position += 1
    return position


def embedded_calls(text: str, tools: Mapping[str, dict[str, Any]]) -> tuple[ToolCall, ...]:
    """Every ``{"name": <a tool>, "arguments": {...}}`` object inside prose, in order.

    For an answer that introduces its calls in words ("you can use the
    following commands:") and then writes them out in full: each object
    names its tool, so nothing is guessed. Objects that are not calls to one
    of ``tools`` are skipped.
    """
    decoder = json.JSONDecoder()
    calls: list[ToolCall] = []
    position = text.find("{")
    while 0 <= position < min(len(text), MAX_CALL_CHARS):
        try:
            value, end = decoder.raw_decode(text, position)
        except json.JSONDecodeError:
            position = text.find("{", position + 1)
            continue
        if (call := _known(_as_call(value), tools)) is not None:
            calls.append(call)
        position = text.find("{", end)
    return tuple(calls)


def _as_call(obj: Any) -> ToolCall | None:
    if not isinstance(obj, dict):
        return None
    if isinstance(obj.get("function"), dict):  # {"type": "function", "function": {...}}
        obj = obj["function"]
    name = obj.get("name")
    arguments = obj.get("arguments", obj.get("parameters", {}))
    if not isinstance(name, str) or not name:
        return None
    return ToolCall(name, repair_arguments(arguments))


def repair_value(value: Any) -> Any:
    """Decode a JSON list/object that a model sent as a string."""
    if isinstance(value, str):
        text = value.strip()
        if (text.startswith("[") and text.endswith("]")) or (
            text.startswith("{") and text.endswith("}")
        ):
            try:
                return json.loads(text)
            except json.JSONDecodeError:
                return value
    return value


def repair_arguments(arguments: Any) -> dict[str, Any]:
    """Arguments as a dict: decode JSON strings, drop empty values ("None" included)."""
    arguments = repair_value(arguments)
    if not isinstance(arguments, dict):
        return {}
    return {str(k): repair_value(v) for k, v in arguments.items() if not _empty(v)}


def _empty(value: Any) -> bool:
    """Nothing given: ``None``, empty, or the word a model writes for it ("None", "null")."""
    if isinstance(value, str):
        return value.strip().lower() in _NOTHING
    return value is None or value in ([], {})


def schema_problem(arguments: dict[str, Any], schema: Mapping[str, Any]) -> str | None:
    """Why ``arguments`` do not fit the tool's JSON schema, or None when they do."""
    properties: Mapping[str, Any] = schema.get("properties") or {}
    if properties and (unknown := sorted(set(arguments) - set(properties))):
        return f"unknown arguments {unknown}; allowed: {sorted(properties)}"
    if missing := sorted(set(schema.get("required") or ()) - set(arguments)):
        return f"missing required arguments {missing}"
    for key, value in arguments.items():
        if (problem := _value_problem(value, properties.get(key) or {})) is not None:
            return f"argument {key!r}: {problem}"
    return None


def _value_problem(value: Any, spec: Mapping[str, Any]) -> str | None:  # noqa: PLR0911
    if "anyOf" in spec or "oneOf" in spec:
        options = spec.get("anyOf") or spec.get("oneOf") or []
        if any(_value_problem(value, option) is None for option in options):
            return None
        return "matches none of the allowed forms"
    kind = spec.get("type")
    if isinstance(kind, str) and kind in _TYPES:
        if isinstance(value, bool) and kind in {"integer", "number"}:
            return f"expected {kind}, got a boolean"
        if not isinstance(value, _TYPES[kind]):
            return f"expected {kind}, got {type(value).__name__}"
    if (enum := spec.get("enum")) is not None and value not in enum:
        return f"must be one of {list(enum)[:20]}"
    if kind == "array" and isinstance(value, list) and isinstance(spec.get("items"), dict):
        for item in value:
            if (problem := _value_problem(item, spec["items"])) is not None:
                return f"item {item!r}: {problem}"
    return None
