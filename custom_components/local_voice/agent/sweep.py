"""Everything in one area at once: "turn on everything in the office".

HA's sentences have no such command, and the bundled 1.5B, asked for it,
switched on the office fan alone (three voices of three) and ended its turn.
The sentence is plain enough to read without a model: a verb, on or off,
"everything" (or "all the devices", "all the things", "all"), and an area
HA knows, by name or alias ("in here": the speaker's area). It becomes one
``HassTurnOn`` or ``HassTurnOff`` call with that area and the domains that
switch without harm (lights, switches, fans) that the area has exposed. The
call goes through the ``ToolGuard`` like a model's call, and HA matches
exposed entities only. Covers, locks, alarms and climate are never part of
"everything", so nothing in it needs a "yes". Anything else ("turn on
everything in the garage", which has only a door) goes to the model.
English only, like the question words.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

from homeassistant.components.homeassistant.exposed_entities import async_should_expose
from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import llm

from ..const import ASSISTANT
from ..understanding.safety import base_name, speaker_area_id
from .home_now import area_name

if TYPE_CHECKING:
    from collections.abc import Iterable

    from homeassistant.core import HomeAssistant

    from ..understanding.text import Heard

SWEPT_DOMAINS: Final = ("fan", "light", "switch")
_ALL: Final = r"(?:everything|all (?:the )?(?:things|devices|stuff)|all)"
_VERB: Final = r"(?:please )?(?:(?:can|could|would|will) you )?(?:turn|switch|power|shut)"
_SENTENCES: Final = tuple(
    re.compile(pattern)
    for pattern in (
        rf"^{_VERB} (?P<way>on|off) {_ALL} (?:in|of) (?P<area>.+?)(?: please)?$",
        rf"^{_VERB} {_ALL} (?:in|of) (?P<area>.+?) (?P<way>on|off)(?: please)?$",
        rf"^{_VERB} {_ALL} (?P<way>on|off) (?:in|of) (?P<area>.+?)(?: please)?$",
    )
)
_HERE: Final = frozenset({"here", "this room"})


def sweep_call(
    hass: HomeAssistant,
    heard: Heard,
    tool_names: Iterable[str],
    device_id: str | None,
    satellite_id: str | None,
) -> llm.ToolInput | None:
    """The one call that does "turn on/off everything in <area>", or None for anything else.

    ``tool_names`` are the Assist API's tools (HA 2026.3+ prefixes intent tools).
    """
    if heard.question:
        return None
    for sentence in _SENTENCES:
        if found := sentence.match(heard.normalized):
            break
    else:
        return None
    area = _area(hass, found["area"].removeprefix("the "), device_id, satellite_id)
    if area is None:
        return None
    domains = sorted(
        {
            state.domain
            for state in hass.states.async_all(SWEPT_DOMAINS)
            if area_name(hass, state.entity_id) == area.name
            and async_should_expose(hass, ASSISTANT, state.entity_id)
        }
    )
    if not domains:
        return None
    wanted = "HassTurnOn" if found["way"] == "on" else "HassTurnOff"
    tool = next((name for name in tool_names if base_name(name) == wanted), None)
    if tool is None:
        return None
    return llm.ToolInput(tool_name=tool, tool_args={"area": area.name, "domain": domains})


def _area(
    hass: HomeAssistant, words: str, device_id: str | None, satellite_id: str | None
) -> ar.AreaEntry | None:
    areas = ar.async_get(hass)
    if words in _HERE:
        area_id = speaker_area_id(hass, device_id, satellite_id)
        return areas.async_get_area(area_id) if area_id else None
    for area in areas.async_list_areas():
        if words in {area.name.lower(), *(alias.lower() for alias in area.aliases)}:
            return area
    return None
