"""The home's vocabulary: the names, aliases and areas that Assist may act on.

Speech recognition hears device names best when it is told them, and repair
of misheard commands can only map a misheard word onto a name it knows. Both
need the same list, current at every request: the friendly names and aliases
of the entities exposed to Assist, and the names and aliases of the areas.
Names of entities that are NOT exposed are kept apart, so that repair can
recognise a sentence about them and leave it alone rather than "correct" it
into an exposed entity.

The list is rebuilt lazily: registry, exposure and naming changes only mark
it stale, and the next reader rebuilds it (a few hundred microseconds for a
home of a hundred entities). Listeners are registered once per ``hass``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from homeassistant.components.homeassistant.exposed_entities import (
    async_listen_entity_updates,
    async_should_expose,
)
from homeassistant.const import ATTR_FRIENDLY_NAME, EVENT_STATE_CHANGED
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import entity_registry as er

from ..const import ASSISTANT

if TYPE_CHECKING:
    from collections.abc import Callable

# The ASR server accepts at most 200 names of at most 64 characters each.
MAX_NAMES: Final = 200
MAX_NAME_CHARS: Final = 64


@dataclass(frozen=True, slots=True)
class Term:
    """One name Assist understands: an entity name or alias, or an area name or alias."""

    text: str
    kind: str  # "name" or "area"
    entity_id: str | None = None
    domain: str | None = None
    area_id: str | None = None


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The vocabulary at one moment; ``version`` grows with every rebuild."""

    version: int
    names: tuple[Term, ...]  # exposed entities' names and aliases
    areas: tuple[Term, ...]
    unexposed: frozenset[str]  # lower-case names of entities that are not exposed

    def phrases(self) -> list[str]:
        """Names then areas, unique case-insensitively, capped for the ASR server."""
        seen: set[str] = set()
        out: list[str] = []
        for term in (*self.names, *self.areas):
            key = term.text.casefold()
            if key not in seen and len(term.text) <= MAX_NAME_CHARS:
                seen.add(key)
                out.append(term.text)
        return out[:MAX_NAMES]


class HomeVocabulary:
    """Keeps the vocabulary of one ``hass`` current; read ``snapshot`` per request."""

    def __init__(self, hass: HomeAssistant) -> None:
        self.hass = hass
        self._snapshot: Snapshot | None = None
        self._version = 0
        self._unsubs: list[Callable[[], None]] = []

    @callback
    def async_start(self) -> None:
        """Listen to everything that changes a name, an area or what is exposed."""
        bus = self.hass.bus
        self._unsubs = [
            bus.async_listen(er.EVENT_ENTITY_REGISTRY_UPDATED, self._stale),
            bus.async_listen(ar.EVENT_AREA_REGISTRY_UPDATED, self._stale),
            bus.async_listen(EVENT_STATE_CHANGED, self._stale, event_filter=_renamed),
            async_listen_entity_updates(self.hass, ASSISTANT, self.invalidate),
        ]

    @callback
    def async_stop(self) -> None:
        """Stop listening."""
        for unsub in self._unsubs:
            unsub()
        self._unsubs.clear()

    @callback
    def _stale(self, _event: Event[Any]) -> None:
        self.invalidate()

    @callback
    def invalidate(self) -> None:
        """Forget the current list; the next reader rebuilds it."""
        self._snapshot = None

    @property
    def snapshot(self) -> Snapshot:
        """The current vocabulary (rebuilt if anything changed since the last read)."""
        if self._snapshot is None:
            self._version += 1
            self._snapshot = _build(self.hass, self._version)
        return self._snapshot


@callback
def _renamed(data: EventStateChangedData) -> bool:
    """State changes that add, remove or rename an entity (not ordinary updates)."""
    old, new = data["old_state"], data["new_state"]
    if old is None or new is None:
        return True
    return old.attributes.get(ATTR_FRIENDLY_NAME) != new.attributes.get(ATTR_FRIENDLY_NAME)


def _build(hass: HomeAssistant, version: int) -> Snapshot:
    """Read names, aliases and areas from the state machine and the registries."""
    entities = er.async_get(hass)
    areas = ar.async_get(hass)
    names: list[Term] = []
    unexposed: set[str] = set()
    for state in hass.states.async_all():
        entry = entities.async_get(state.entity_id)
        spoken = [state.name, *(sorted(entry.aliases) if entry else [])]
        if not async_should_expose(hass, ASSISTANT, state.entity_id):
            unexposed.update(s.casefold() for s in spoken if s)
            continue
        area_id = entry.area_id if entry else None
        names.extend(
            Term(text, "name", state.entity_id, state.domain, area_id)
            for text in spoken
            if text and text.strip()
        )
    area_terms = [
        Term(text, "area", area_id=area.id)
        for area in areas.async_list_areas()
        for text in (area.name, *sorted(area.aliases))
        if text.strip()
    ]
    exposed = {t.text.casefold() for t in names}
    return Snapshot(version, tuple(names), tuple(area_terms), frozenset(unexposed - exposed))
