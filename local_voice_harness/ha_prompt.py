"""A chat request shaped as Home Assistant's Assist API builds it, for the demo home.

The LLM tests and ``benchmarks/llm_bench.py`` send this to the bundled model:
HA 2026.2's system prompt (default instructions, the Assist API's preamble
and live-context paragraph, the static context listing the exposed entities
as YAML, the date and time last) and four of its intent tools
(``HassTurnOn``, ``HassTurnOff``, ``HassLightSet``, ``GetLiveContext``) in
the OpenAI/Ollama tool format, as ``voluptuous_openapi`` renders their
schemas. The texts are copied from ``homeassistant.helpers.llm``; the
entities come from the shared demo home.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Final

import yaml

from .paths import demo_home_file

INSTRUCTIONS: Final = """You are a voice assistant for Home Assistant.
Answer questions about the world truthfully.
Answer in plain text. Keep it simple and to the point.
"""
PREAMBLE: Final = (
    "When controlling Home Assistant always call the intent tools. "
    "Use HassTurnOn to lock and HassTurnOff to unlock a lock. "
    "When controlling a device, prefer passing just name and domain. "
    "When controlling an area, prefer passing just area name and domain."
)
AREA_HINT: Final = (
    "When a user asks to turn on all devices of a specific type, "
    "ask user to specify an area, unless there is only one device of that type."
)
LIVE_CONTEXT: Final = """You ARE equipped to answer questions about the current state of
the home using the `GetLiveContext` tool. This is a primary function. Do not state you lack the
functionality if the question requires live data.
If the user asks about device existence/type (e.g., "Do I have lights in the bedroom?"): Answer
from the static context below.
If the user asks about the CURRENT state, value, or mode (e.g., "Is the lock locked?",
"Is the fan on?", "What mode is the thermostat in?", "What is the temperature outside?"):
    1.  Recognize this requires live data.
    2.  You MUST call `GetLiveContext`. This tool will provide the needed real-time information (like temperature from the local weather, lock status, etc.).
    3.  Use the tool's response** to answer the user accurately (e.g., "The temperature outside is [value from tool].").
For general knowledge questions not about the home: Answer truthfully from internal knowledge.
"""  # noqa: E501 - HA's text, verbatim

_DOMAINS: Final = ["climate", "cover", "fan", "light", "lock", "sensor", "switch", "binary_sensor"]
_TARGET: Final[dict[str, Any]] = {
    "name": {"type": "string"},
    "area": {"type": "string"},
    "floor": {"type": "string"},
    "domain": {"type": "array", "items": {"type": "string", "enum": _DOMAINS}},
    "device_class": {
        "type": "array",
        "items": {"type": "string", "enum": ["door", "garage", "humidity", "temperature"]},
    },
}


def _tool(name: str, description: str, properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {"type": "object", "properties": properties, "required": []},
        },
    }


TOOLS: Final = [
    _tool(
        "HassTurnOn",
        "Turns on/opens/presses a device or entity. For locks, this performs a 'lock' action. "
        "Use for requests like 'turn on', 'activate', 'enable', or 'lock'.",
        _TARGET,
    ),
    _tool(
        "HassTurnOff",
        "Turns off/closes a device or entity. For locks, this performs an 'unlock' action. "
        "Use for requests like 'turn off', 'deactivate', 'disable', or 'unlock'.",
        _TARGET,
    ),
    _tool(
        "HassLightSet",
        "Sets the brightness percentage or color of a light",
        {
            **{k: v for k, v in _TARGET.items() if k != "device_class"},
            "color": {"type": "string"},
            "temperature": {"type": "integer", "minimum": 0},
            "brightness": {
                "type": "integer",
                "minimum": 0,
                "maximum": 100,
                "description": "The brightness percentage of the light between 0 and 100, "
                "where 0 is off and 100 is fully lit",
            },
        },
    ),
    _tool(
        "GetLiveContext",
        "Provides real-time information about the CURRENT state, value, or mode of devices, "
        "sensors, entities, or areas. Use this tool for: 1. Answering questions about current "
        "conditions (e.g., 'Is the light on?'). 2. As the first step in conditional actions "
        "(e.g., 'If the weather is rainy, turn off sprinklers' requires checking the weather "
        "first).",
        {},
    ),
]
TOOL_NAMES: Final = frozenset(t["function"]["name"] for t in TOOLS)


def exposed_entities() -> list[dict[str, str]]:
    """The demo home's exposed entities as HA's static context lists them (by name)."""
    home = yaml.safe_load(demo_home_file().read_text(encoding="utf-8"))
    entities = []
    for entity in sorted(home["entities"], key=lambda e: str(e["name"])):
        if not entity.get("exposed"):
            continue
        info = {"names": str(entity["name"]), "domain": str(entity["entity_id"]).split(".")[0]}
        if entity.get("area"):
            info["areas"] = str(entity["area"])
        entities.append(info)
    return entities


def system_prompt(now: dt.datetime | None = None) -> str:
    """HA 2026.2's system prompt for the demo home; the time line comes last, as in HA."""
    now = now or dt.datetime(2026, 12, 6, 18, 30, 0)  # noqa: DTZ001 - HA renders local time
    static = yaml.dump(exposed_entities(), default_flow_style=False, sort_keys=False)
    api_prompt = (
        f"{PREAMBLE}\n{AREA_HINT}\nThis device is not able to start timers.\n{LIVE_CONTEXT}\n"
        "Static Context: An overview of the areas and the devices in this smart home:\n"
        f"{static}"
    )
    date_time = f"Current time is {now:%H:%M:%S}. Today's date is {now:%Y-%m-%d}.\n"
    return f"{INSTRUCTIONS}\n{api_prompt}\n{date_time}"


def messages(user_text: str, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """System prompt plus one user turn."""
    return [
        {"role": "system", "content": system_prompt(now)},
        {"role": "user", "content": user_text},
    ]


def find_tool_call(
    content: str | None, tool_calls: list[dict[str, Any]] | None = None
) -> dict[str, Any] | None:
    """The first call of a known tool: from ``tool_calls``, else a JSON object in the text.

    These models usually write the call as bare JSON in the message text
    (sometimes inside ``<tool_call>`` tags or a code fence); a client has to
    accept an object naming a known tool as a call. Returns
    ``{"name": ..., "arguments": {...}}`` or None.
    """
    for call in tool_calls or []:
        function = call.get("function", call)
        arguments = function.get("arguments")
        if isinstance(arguments, str):
            arguments = json.loads(arguments)
        if function.get("name") in TOOL_NAMES and isinstance(arguments, dict):
            return {"name": function["name"], "arguments": arguments}
    decoder = json.JSONDecoder()
    text = content or ""
    start = text.find("{")
    while start != -1:
        try:
            value, _ = decoder.raw_decode(text, start)
        except ValueError:
            value = None
        if (
            isinstance(value, dict)
            and value.get("name") in TOOL_NAMES
            and isinstance(value.get("arguments", {}), dict)
        ):
            return {"name": value["name"], "arguments": value.get("arguments", {})}
        start = text.find("{", start + 1)
    return None
