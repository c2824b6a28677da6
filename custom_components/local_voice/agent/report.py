"""Say what actually happened: read the targets' new states after acting.

A model may claim "done" when a tool failed, and a service may be refused by
a device. The spoken report therefore comes from the state machine, never
from the model's words.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .home_now import describe, spoken_number

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from homeassistant.core import HomeAssistant, State

_WORDS: dict[str, str] = {"on": "on", "off": "off", "unavailable": "unavailable"}


def snapshot(hass: HomeAssistant, entity_ids: Iterable[str]) -> dict[str, str | None]:
    """How each entity's state reads now (None when it does not exist).

    The words, not the state string: a lamp dimmed from full to half stays
    "on" but now reads "on at 50 percent", and the report says "now".
    """
    return {eid: (_describe(s) if (s := hass.states.get(eid)) else None) for eid in entity_ids}


def _describe(state: State) -> str:
    """How a state reads aloud: 'on', 'unlocked', 'heat, set to 21 °C'."""
    if state.domain == "climate" and (target := state.attributes.get("temperature")) is not None:
        unit = state.attributes.get("temperature_unit") or ""
        number = spoken_number(str(target))  # 20, not 20.0
        return f"{state.state.replace('_', ' ')}, set to {number}{(' ' + unit) if unit else ''}"
    if state.domain == "light" and state.state == "on":
        brightness = state.attributes.get("brightness")
        if isinstance(brightness, int | float) and 0 < brightness < 255:  # noqa: PLR2004
            return f"on at {round(brightness * 100 / 255)} percent"
    if state.domain in {"sensor", "binary_sensor"}:  # "45 %" (not 45.0), "closed" (not off)
        return describe(state)
    return _WORDS.get(state.state, state.state.replace("_", " "))


def report(hass: HomeAssistant, before: Mapping[str, str | None]) -> str:
    """One sentence per entity, such as 'Kitchen Light is now on.'."""
    sentences: list[str] = []
    for entity_id, old in before.items():
        state = hass.states.get(entity_id)
        if state is None:
            sentences.append(f"I can no longer find {entity_id}.")
            continue
        words = _describe(state)
        sentences.append(f"{state.name} is {'still' if words == old else 'now'} {words}.")
    return " ".join(sentences)


def describe_current(hass: HomeAssistant, entity_ids: Iterable[str]) -> str:
    """Answer a question about entities from their current state."""
    parts = [
        f"{state.name} is {_describe(state)}."
        for eid in entity_ids
        if (state := hass.states.get(eid)) is not None
    ]
    return " ".join(parts)
