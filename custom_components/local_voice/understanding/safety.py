"""What would an intent do, and to what? The safety assessment before anything runs.

Both paths (HA's local intents and the model's tool calls) end in an intent
handler. Before it runs, ``assess`` resolves the targets exactly as HA's
service intent handlers do (same slot validation, same ``async_match_targets``
constraints) and names the effect on each entity ("unlock", "open", ...), so
the agent can refuse actions on unexposed entities, keep questions read-only
and hold risky actions for a spoken confirmation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

import voluptuous as vol
from homeassistant.core import Context, HomeAssistant, State
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import intent

from ..const import (
    ASSISTANT,
    DOMAIN,
    RISK_DISARM,
    RISK_LOCK,
    RISK_OPEN_ANY_COVER,
    RISK_OPEN_GARAGE_GATE,
    RISK_UNLOCK,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Collection

# Intents (and LLM tools) that only read. Everything else may change the home.
READ_ONLY: Final = frozenset(
    {
        intent.INTENT_GET_STATE,
        intent.INTENT_GET_TEMPERATURE,
        intent.INTENT_GET_CURRENT_DATE,
        intent.INTENT_GET_CURRENT_TIME,
        intent.INTENT_NEVERMIND,
        intent.INTENT_RESPOND,
        intent.INTENT_TIMER_STATUS,
        "HassGetWeather",
        "GetLiveContext",
        "calendar_get_events",
    }
)
_ENTITY_ID: Final = re.compile(r"^[a-z_]+\.[a-z0-9_]+$")
_ON_OFF: Final = {intent.INTENT_TURN_ON: True, intent.INTENT_TURN_OFF: False}
UNKNOWN: Final = "unknown"  # the action of an intent with no service for the entity's domain


@dataclass(frozen=True, slots=True)
class Effect:
    """One entity and what the intent would do to it."""

    entity_id: str
    name: str
    domain: str
    action: str  # "unlock", "open", "turn_on", or the service name
    device_class: str | None = None


@dataclass(slots=True)
class Assessment:
    """The outcome of ``assess``: effects, risky ones, and reasons to refuse."""

    intent_type: str
    changes_state: bool
    effects: list[Effect] = field(default_factory=list)
    risky: list[Effect] = field(default_factory=list)
    unexposed: list[str] = field(default_factory=list)  # names of unexposed targets
    invalid: str | None = None  # why the arguments cannot be used

    @property
    def target_ids(self) -> list[str]:
        """Entity ids that would change (or be read)."""
        return [e.entity_id for e in self.effects]


def risk_of(effect: Effect) -> str | None:
    """Which confirmation kind (``const.RISK_*``) an effect falls under, if any."""
    if effect.domain == "lock":
        return {"unlock": RISK_UNLOCK, "open": RISK_UNLOCK, "lock": RISK_LOCK}.get(effect.action)
    if effect.domain == "cover" and effect.action == "open":
        if effect.device_class in {"garage", "gate"}:
            return RISK_OPEN_GARAGE_GATE
        return RISK_OPEN_ANY_COVER
    if effect.domain == "alarm_control_panel" and "disarm" in effect.action:
        return RISK_DISARM
    return None


def needs_confirmation(effect: Effect, confirm: Collection[str]) -> bool:
    """True when the user asked to confirm this kind of action."""
    risk = risk_of(effect)
    if risk is None:
        return False
    if risk == RISK_OPEN_ANY_COVER:
        return RISK_OPEN_ANY_COVER in confirm
    return risk in confirm or (risk == RISK_OPEN_GARAGE_GATE and RISK_OPEN_ANY_COVER in confirm)


def speaker_area_id(
    hass: HomeAssistant, device_id: str | None, satellite_id: str | None = None
) -> str | None:
    """The area of the satellite or device that heard the sentence (HA prefers it)."""
    if satellite_id and (entry := er.async_get(hass).async_get(satellite_id)):
        device_id = entry.device_id or device_id
        if entry.area_id and ar.async_get(hass).async_get_area(entry.area_id):
            return entry.area_id
    device = dr.async_get(hass).async_get(device_id) if device_id else None
    if device and device.area_id and ar.async_get(hass).async_get_area(device.area_id):
        return device.area_id
    return None


def base_name(tool_name: str) -> str:
    """An intent type from its LLM tool name (HA 2026.3+ names it ``intent__HassTurnOn``)."""
    return tool_name.rsplit("__", 1)[-1]


def is_read_only(intent_type: str) -> bool:
    """True for intents and tools that only read."""
    return base_name(intent_type) in READ_ONLY


def find_handler(hass: HomeAssistant, name: str) -> intent.IntentHandler | None:
    """The intent handler for an intent type or its LLM tool name."""
    name = base_name(name)
    for handler in intent.async_get(hass):
        if handler.intent_type == name or handler.intent_type.replace(" ", "_") == name:
            return handler
    return None


def assess(
    hass: HomeAssistant,
    intent_type: str,
    values: dict[str, Any],
    *,
    language: str,
    device_id: str | None,
    confirm: Collection[str],
    preferred_area_id: str | None = None,
) -> Assessment:
    """Resolve what ``intent_type`` with slot ``values`` would do, without doing it."""
    handler = find_handler(hass, intent_type)
    changes = not is_read_only(intent_type)
    result = Assessment(intent_type=intent_type, changes_state=changes)
    result.unexposed = _unexposed_entity_ids(hass, values)
    if handler is None or not _targets_by_slots(handler):
        return result
    try:
        slots = handler.async_validate_slots({k: {"value": v} for k, v in values.items()})
    except vol.Invalid as err:
        result.invalid = str(err)
        return result
    constraints = _constraints(handler, slots)
    if not constraints.has_constraints:
        result.invalid = "no target given"
        return result
    preferences = intent.MatchTargetsPreferences(area_id=preferred_area_id)
    match = intent.async_match_targets(hass, constraints, preferences)
    if not match.is_match:
        constraints.assistant = None
        everywhere = intent.async_match_targets(hass, constraints, preferences)
        if everywhere.is_match:
            result.unexposed += [s.name for s in everywhere.states]
        return result
    intent_obj = intent.Intent(
        hass,
        DOMAIN,
        handler.intent_type,
        slots,
        None,
        Context(),
        language,
        assistant=ASSISTANT,
        device_id=device_id,
    )
    for state in match.states:
        effect = (
            _effect(handler, intent_obj, state)
            if isinstance(handler, intent.DynamicServiceIntentHandler)
            else _set_effect(handler, state)
        )
        result.effects.append(effect)
        if changes and needs_confirmation(effect, confirm):
            result.risky.append(effect)
    if result.effects and all(e.action == UNKNOWN for e in result.effects):
        # HA has no service of this intent for these domains ("HassStopMoving" on a light,
        # which the 1.5B made): the call would fail, so it is never held or asked about.
        names = ", ".join(e.name for e in result.effects)
        result.invalid = f"{intent_type} cannot act on {names}"
        result.risky = []
    return result


def fit_place(
    hass: HomeAssistant,
    intent_type: str,
    values: dict[str, Any],
    preferred_area_id: str | None = None,
    *,
    heard: Callable[[str], bool] | None = None,
) -> dict[str, Any]:
    """``values`` without a floor or area that keeps a named device from matching.

    Small models fill every optional slot: "kill the lamp in the living room"
    comes as ``name: Living Room Lamp, area: Living Room, floor: Living Room``,
    which matches nothing because there is no such floor. When the values match
    no exposed entity, the floor is dropped; then, when a name is given, the
    area too, but only if the name alone picks exactly one entity; else a
    made-up name becomes the one entity of the area whose name has the
    made-up name's last word (``_kind``). Anything else is returned
    unchanged (and fails, or runs, as it would have).

    ``heard`` tells whether the request has the words of a name or area. When
    it has the area's and not the name's, the area wins over the name: for "I
    want coffee and light in the kitchen" the 1.5B called the Bedroom Light
    with area Kitchen, and the one entity of the Kitchen whose name has the
    name's last word ("light") is meant. A made-up name that begins with an
    area the request says is that area's entity of its kind: "Office Lamp"
    (area Kitchen, the speaker's) for "get the office ready for work, lamp
    and fan on" is the Office's Desk Lamp.
    """
    handler = find_handler(hass, intent_type)
    if handler is None or not _targets_by_slots(handler) or not {"floor", "area"} & set(values):
        return values
    preferences = intent.MatchTargetsPreferences(area_id=preferred_area_id)

    def states(candidate: dict[str, Any]) -> list[State] | None:
        try:
            slots = handler.async_validate_slots({k: {"value": v} for k, v in candidate.items()})
        except vol.Invalid:
            return None
        constraints = _constraints(handler, slots)
        if not constraints.has_constraints:
            return None
        match = intent.async_match_targets(hass, constraints, preferences)
        return match.states if match.is_match else None

    if states(values) is not None:
        return values
    no_floor = {k: v for k, v in values.items() if k != "floor"}
    if "floor" in values and states(no_floor) is not None:
        return no_floor
    if "name" in values and "area" in values:
        return _fit_name_or_area(hass, states, values, no_floor, heard) or values
    return values


def _fit_name_or_area(
    hass: HomeAssistant,
    states: Callable[[dict[str, Any]], list[State] | None],
    values: dict[str, Any],
    no_floor: dict[str, Any],
    heard: Callable[[str], bool] | None,
) -> dict[str, Any] | None:
    """For a name and an area that match nothing together: the values that fit, or None."""
    area_said = (
        heard is not None
        and isinstance(values["area"], str)
        and isinstance(values["name"], str)
        and heard(values["area"])
        and not heard(values["name"])
    )
    if area_said and (fitting := _of_its_kind(states, no_floor, _kind(values["name"]))):
        return {**no_floor, "name": fitting}
    name_only = {k: v for k, v in no_floor.items() if k != "area"}
    found = states(name_only)
    if found is not None and len(found) == 1:
        return name_only
    # "get the office ready for work, lamp and fan on" from the kitchen came as "Office
    # Lamp" with area Kitchen: the name begins with an area the request says.
    named = _area_of_name(hass, values["name"])
    if (
        named is not None
        and heard is not None
        and heard(named)
        and (fitting := _of_its_kind(states, {**no_floor, "area": named}, _kind(values["name"])))
    ):
        return {**no_floor, "area": named, "name": fitting}
    if (kind := _kind(values["name"], values["area"], _place_words(hass))) and (
        fitting := _of_its_kind(states, no_floor, kind)
    ):
        return {**no_floor, "name": fitting}
    return None


def _area_of_name(hass: HomeAssistant, name: object) -> str | None:
    """The area (or alias) a made-up name begins with: "Office" of "Office Lamp"."""
    if not isinstance(name, str):
        return None
    lowered = name.lower()
    return next(
        (area for area, said in _area_names(hass) if lowered.startswith(said.lower() + " ")),
        None,
    )


def _of_its_kind(
    states: Callable[[dict[str, Any]], list[State] | None],
    values: dict[str, Any],
    kind: str | None,
) -> str | None:
    """The name of the one entity of ``values``' area with the word ``kind`` in its name."""
    if kind is None:
        return None
    in_area = states({k: v for k, v in values.items() if k != "name"})
    fitting = [s for s in in_area or [] if kind in s.name.lower().split()]
    return fitting[0].name if len(fitting) == 1 else None


def _kind(
    name: object, area: object = None, place_words: frozenset[str] = frozenset()
) -> str | None:
    """The last word of a made-up name, which says what it is ("Office Lamp": "lamp").

    The 1.5B named the office's Desk Lamp "Office Lamp" (``name`` and ``area``
    Office): the one entity in that area whose name has the word is meant.
    Not when another word of the name is a word of another area's name: for
    "the main room light" it called "Main Room Light" with the speaker's
    area, Kitchen, and the Kitchen Light is not what was asked for.
    """
    words = name.lower().split() if isinstance(name, str) else []
    if not words or not words[-1].isalpha():  # not "2" of "Lamp 2"
        return None
    own = set(area.lower().split()) if isinstance(area, str) else set()
    return None if (set(words[:-1]) - own) & place_words else words[-1]


def _place_words(hass: HomeAssistant) -> frozenset[str]:
    """Every word of the home's area names and aliases, lower case."""
    return frozenset(word for _, said in _area_names(hass) for word in said.lower().split())


def _area_names(hass: HomeAssistant) -> list[tuple[str, str]]:
    """(area name, a name it is called by: its own or an alias) for every area."""
    areas = ar.async_get(hass).async_list_areas()
    return [(a.name, said) for a in areas for said in (a.name, *a.aliases)]


def _targets_by_slots(handler: intent.IntentHandler) -> bool:
    """Whether the handler finds its targets from name, area and floor slots we can resolve.

    HA's on/off/set handlers (``DynamicServiceIntentHandler``) do; so do
    handlers of one platform that take a name, such as the climate
    integration's ``HassClimateSetTemperature`` (one thermostat: its
    ``platforms`` are its domains).
    """
    if isinstance(handler, intent.DynamicServiceIntentHandler):
        return True
    schema = handler.slot_schema or {}
    names = {str(getattr(key, "schema", key)) for key in schema}
    return bool(handler.platforms) and "name" in names


def _set_effect(handler: intent.IntentHandler, state: State) -> Effect:
    """What a one-platform handler does to ``state``: it sets it (never a risky action)."""
    device_class = state.attributes.get("device_class")
    return Effect(
        entity_id=state.entity_id,
        name=state.name,
        domain=state.domain,
        action=f"set ({base_name(handler.intent_type)})",
        device_class=str(device_class) if device_class else None,
    )


def _constraints(
    handler: intent.IntentHandler, slots: dict[str, Any]
) -> intent.MatchTargetsConstraints:
    """The same constraints the handler's ``async_handle`` builds."""
    if not isinstance(handler, intent.DynamicServiceIntentHandler):
        return intent.MatchTargetsConstraints(
            name=slots.get("name", {}).get("value"),
            area_name=slots.get("area", {}).get("value"),
            floor_name=slots.get("floor", {}).get("value"),
            domains=handler.platforms,
            assistant=ASSISTANT,
        )
    name = slots.get("name", {}).get("value")
    domains = handler.required_domains
    if "domain" in slots:
        domains = set(slots["domain"]["value"])
    device_classes = set(slots["device_class"]["value"]) if "device_class" in slots else None
    return intent.MatchTargetsConstraints(
        name=None if name == "all" else name,
        area_name=slots.get("area", {}).get("value"),
        floor_name=slots.get("floor", {}).get("value"),
        domains=domains,
        device_classes=device_classes,
        assistant=ASSISTANT,
        features=handler.required_features,
        states=handler.required_states,
    )


def _effect(
    handler: intent.DynamicServiceIntentHandler, intent_obj: intent.Intent, state: State
) -> Effect:
    """Name what the handler would do to ``state`` (mirrors HA's on/off translation)."""
    device_class = state.attributes.get("device_class")
    action: str
    turn_on = _ON_OFF.get(handler.intent_type)
    if turn_on is not None and state.domain == "lock":
        action = "lock" if turn_on else "unlock"
    elif turn_on is not None and state.domain in {"cover", "valve"}:
        action = "open" if turn_on else "close"
    elif turn_on is not None:
        action = "turn_on" if turn_on else "turn_off"
    else:
        try:
            _domain, action = handler.get_domain_and_service(intent_obj, state)
        except HomeAssistantError:
            action = UNKNOWN
        position = intent_obj.slots.get("position", {}).get("value")
        if action.startswith("set_") and state.domain == "cover" and position:
            action = "open"
    return Effect(
        entity_id=state.entity_id,
        name=state.name,
        domain=state.domain,
        action=action,
        device_class=str(device_class) if device_class else None,
    )


def _unexposed_entity_ids(hass: HomeAssistant, values: dict[str, Any]) -> list[str]:
    """Entity ids written straight into the arguments that are not exposed."""
    from homeassistant.components.homeassistant.exposed_entities import (  # noqa: PLC0415
        async_should_expose,
    )

    items = [i for v in values.values() for i in (v if isinstance(v, list) else [v])]
    return [
        item
        for item in items
        if isinstance(item, str)
        and _ENTITY_ID.match(item)
        and hass.states.get(item) is not None
        and not async_should_expose(hass, ASSISTANT, item)
    ]
