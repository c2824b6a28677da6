"""The home right now: one short line per exposed entity, for the model's volatile message.

HA's Assist API lists the exposed entities without their states and offers
``GetLiveContext`` for them. A small model asked "is the office fan still
blowing" must then call that tool and read its YAML (several hundred tokens
of every entity's attributes) in a second round: on 2 cores the bundled 1.5B
took more than 15 s, or answered without calling it at all. With the states
in the prompt, a question is answered in one round, and a relative change
("a couple of degrees warmer", "halve the brightness") has the value it is
relative to. The lines are short (``Office Fan (Office): off``), sorted so
that the server's prefix cache keeps the lines before the first change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from homeassistant.components.homeassistant.exposed_entities import async_should_expose
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er

from ..const import ASSISTANT

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from homeassistant.core import HomeAssistant, State

MAX_LINES: Final = 200  # a home with more exposed entities gets the first 200 (sorted)
FULL_BRIGHTNESS: Final = 255
_EXACT: Final = 1e15  # floats below this show an integer exactly
# binary_sensor device classes whose "on" reads as "open" (HA's own wording in its UI).
_OPENINGS: Final = frozenset({"door", "garage_door", "opening", "window"})
_BINARY_WORDS: Final = {
    "motion": ("motion detected", "no motion"),
    "occupancy": ("occupied", "clear"),
    "presence": ("home", "away"),
    "moisture": ("wet", "dry"),
    "smoke": ("smoke detected", "clear"),
    "lock": ("unlocked", "locked"),
}


def describe(state: State, temperature_unit: str = "°") -> str:
    """How the state reads: 'on at 40 percent', 'heat, set to 20 °C', 'closed'.

    ``temperature_unit`` is the home's (climate entities state theirs only as
    numbers).
    """
    if state.state in {STATE_UNAVAILABLE, STATE_UNKNOWN}:
        return state.state
    if state.domain == "climate":
        return _climate(state, temperature_unit)
    if words := _DESCRIBE.get(state.domain, _plain)(state):
        return words
    return state.state.replace("_", " ")


def _plain(_state: State) -> str | None:
    return None


def _light(state: State) -> str | None:
    brightness = state.attributes.get("brightness")
    if state.state == "on" and isinstance(brightness, int | float) and brightness > 0:
        return f"on at {round(brightness * 100 / FULL_BRIGHTNESS)} percent brightness"
    return None


def _climate(state: State, unit: str) -> str:
    # The setting only: given the room's temperature too, the 1.5B made "a degree
    # warmer" relative to it. Temperature sensors give that.
    parts = [state.state.replace("_", " ")]
    if (target := state.attributes.get("temperature")) is not None:
        parts.append(f"set to {spoken_number(str(target))} {unit}")
    return ", ".join(parts)


def _sensor(state: State) -> str:
    unit = state.attributes.get("unit_of_measurement")
    value = spoken_number(state.state)
    return f"{value} {unit}" if unit else value


def spoken_number(text: str) -> str:
    """'45.0' reads as '45' (as HA shows it); anything else as it is."""
    try:
        number = float(text)
    except ValueError:
        return text
    return str(int(number)) if number.is_integer() and abs(number) < _EXACT else text


def _binary_sensor(state: State) -> str | None:
    device_class = state.attributes.get("device_class")
    if device_class in _OPENINGS:
        return "open" if state.state == "on" else "closed"
    if (words := _BINARY_WORDS.get(str(device_class))) is not None:
        return words[0] if state.state == "on" else words[1]
    return None


def _fan(state: State) -> str | None:
    percentage = state.attributes.get("percentage")
    if state.state == "on" and isinstance(percentage, int | float) and percentage > 0:
        return f"on at {round(percentage)} percent speed"
    return None


def _cover(state: State) -> str | None:
    position = state.attributes.get("current_position")
    if isinstance(position, int) and 0 < position < 100:  # noqa: PLR2004
        return f"{state.state}, {position} percent open"
    return None


def _lock(state: State) -> str | None:
    # HA's tools lock with HassTurnOn and unlock with HassTurnOff; its guidance says so
    # once, far up the prompt, and the 1.5B still unlocked with HassTurnOn ("let me in":
    # "Front Door is still locked"). Beside the state it is asked about, it is read.
    if state.state == "locked":
        return "locked (HassTurnOff unlocks it)"
    if state.state == "unlocked":
        return "unlocked (HassTurnOn locks it)"
    return None


_DESCRIBE: Final[dict[str, Callable[[State], str | None]]] = {
    "lock": _lock,
    "light": _light,
    "sensor": _sensor,
    "binary_sensor": _binary_sensor,
    "fan": _fan,
    "cover": _cover,
}


def _line(name: str, area: str | None, words: str) -> str:
    return f"- {name} ({area}): {words}" if area else f"- {name}: {words}"


def home_now(hass: HomeAssistant) -> str:
    """'Current states:' and a line per exposed entity, or '' when none is exposed."""
    return _text(sorted(line for _domain, line in _lines(hass)))


def live_context(hass: HomeAssistant, arguments: Mapping[str, Any]) -> str:
    """``GetLiveContext``'s answer: the lines of ``home_now`` the call's arguments point at.

    HA's tool takes no arguments and answers with every exposed entity's
    attributes in YAML (several hundred tokens: on 2 cores a second round
    past the deadline). The states are in the prompt already; the 1.5B still
    calls the tool, with an area, a name or domains it made up. The lines
    that match every one of those it gave (case-insensitively) are the
    answer; when none does, all of them.
    """
    area = _lower(arguments.get("area"))
    name = _lower(arguments.get("name"))
    domains = arguments.get("domain") or ()
    domains = {domains} if isinstance(domains, str) else {str(d) for d in domains}
    lines = sorted(_lines(hass), key=lambda found: found[1])
    chosen = [
        line
        for domain, line in lines
        if (area is None or f"({area})" in line.lower())
        and (name is None or name in line.lower())
        and (not domains or domain in domains)
    ]
    return _text(chosen or [line for _domain, line in lines])


def sole_thermostat(hass: HomeAssistant) -> State | None:
    """The home's only exposed climate entity, or None (none, or several)."""
    found = [
        state
        for state in hass.states.async_all("climate")
        if async_should_expose(hass, ASSISTANT, state.entity_id)
    ]
    return found[0] if len(found) == 1 else None


def exposed_named(hass: HomeAssistant, name: object) -> list[str]:
    """The exposed entities called ``name`` (case-insensitively), whatever their domain."""
    wanted = _lower(name)
    return [
        state.entity_id
        for state in hass.states.async_all()
        if wanted is not None
        and state.name.lower() == wanted
        and async_should_expose(hass, ASSISTANT, state.entity_id)
    ]


def _lower(value: object) -> str | None:
    return value.strip().lower() if isinstance(value, str) and value.strip() else None


def _text(lines: list[str]) -> str:
    if not lines:
        return ""
    return "Current states:\n" + "\n".join(lines[:MAX_LINES])


def _lines(hass: HomeAssistant) -> list[tuple[str, str]]:
    """(domain, line) of every exposed entity."""
    unit = hass.config.units.temperature_unit
    return [
        (state.domain, _line(state.name, area_name(hass, state.entity_id), describe(state, unit)))
        for state in hass.states.async_all()
        if async_should_expose(hass, ASSISTANT, state.entity_id)
    ]


def area_name(hass: HomeAssistant, entity_id: str) -> str | None:
    """The entity's area, or its device's area, as HA resolves it for intents."""
    entry = er.async_get(hass).async_get(entity_id)
    if entry is None:
        return None
    area_id = entry.area_id
    if area_id is None and entry.device_id is not None:
        device = dr.async_get(hass).async_get(entry.device_id)
        area_id = device.area_id if device else None
    if area_id is None:
        return None
    area = ar.async_get(hass).async_get_area(area_id)
    return area.name if area else None
