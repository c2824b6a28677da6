"""Whether a model's call has anything to do with the words of the request.

A small model sometimes acts on a device the request never points at: the
bundled 1.5B switched on the Kitchen Light for "order a pizza" and set the
thermostat to 25 for "the office feels like an oven". Such a call is not
run at once; the user is asked first (``guard``), as for a risky action.

A call is *related* when, for at least one entity it changes, a word of the
request is a word of the entity's name or area, or a word people use for
that kind of device or for what it changes (``DOMAIN_WORDS``: "dark" for a
light, "chilly" for a thermostat, "let me in" for a lock). Words match by
their start ("heating" is "heat", "lamps" is "lamp"). The lists are
English, like the question words, and the check is made for English
requests only. They lean wide: a related call missed costs a "yes"; a
wrong one let through costs a change nobody asked for ("oven" is a word for
a fan, not for a thermostat: the 1.5B set the thermostat for it). A request
spoken in the target's own area ("it's too dark in here" from the kitchen)
still needs a word for the device or what it does ("dark").
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

from .home_now import area_name

if TYPE_CHECKING:
    from collections.abc import Iterable

    from homeassistant.core import HomeAssistant

    from ..understanding.safety import Effect

MIN_STEM: Final = 3  # shorter words of a name ("tv" aside) say nothing on their own
_WORD: Final = re.compile(r"[a-z0-9]+")
# Words of names and areas too common to tie a request to one entity.
_COMMON: Final = frozenset(
    {"the", "and", "main", "big", "small", "left", "right", "front", "back", "room", "all"}
)
_WARMTH: Final = (
    "heat",
    "warm",
    "cool",
    "cold",
    "chill",
    "freez",
    "hot",
    "degree",
    "temperature",
    "thermostat",
    "sweat",
)
DOMAIN_WORDS: Final[dict[str, tuple[str, ...]]] = {
    "light": (
        "light",
        "lamp",
        "bright",
        "dark",
        "dim",
        "see",
        "lit",
        "glare",
        "read",
        "bulb",
        "pitch",
        "black",
        "night",
        "sleep",
        "bed",
    ),
    "fan": ("fan", "air", "stuffy", "hot", "breeze", "blow", "muggy", "oven", "sweat", "stifling"),
    "climate": _WARMTH,
    "water_heater": _WARMTH,
    "lock": ("lock", "door", "let", "key", "open", "courier", "parcel", "guest"),
    "cover": (
        "garage",
        "door",
        "open",
        "close",
        "shut",
        "car",
        "raise",
        "lower",
        "blind",
        "curtain",
        "shade",
        "shutter",
        "gate",
        "driveway",
    ),
    "media_player": ("play", "music", "song", "volume", "loud", "quiet", "pause", "tv", "radio"),
    "vacuum": ("vacuum", "clean", "hoover", "dust"),
    "valve": ("valve", "water", "open", "close", "shut"),
    "switch": ("switch", "plug", "power", "socket"),
}

# Words for what common appliances are for, by a word of their name.
NAME_WORDS: Final[dict[str, tuple[str, ...]]] = {
    "coffee": ("caffeine", "espresso", "brew", "latte", "cappuccino", "cup"),
    "kettle": ("tea", "boil", "cup"),
    "tv": ("watch", "show", "film", "movie", "news"),
    "television": ("watch", "show", "film", "movie", "news"),
    "heater": _WARMTH,
    "dehumidifier": ("damp", "muggy", "humid", "wet"),
    "humidifier": ("dry", "humid"),
}


def words(text: str) -> list[str]:
    """The words of ``text``, lower case."""
    return _WORD.findall(text.lower())


def related(hass: HomeAssistant, request: str, effects: Iterable[Effect]) -> bool:
    """True when the request has a word for at least one of the entities the call changes."""
    heard = words(request)
    return any(_connected(heard, _words_for(hass, effect)) for effect in effects)


def _words_for(hass: HomeAssistant, effect: Effect) -> set[str]:
    """The words that point at one entity: its name, its area, its kind of device."""
    named = [w for w in words(effect.name) if w not in _COMMON]
    found = {w for w in named if len(w) >= MIN_STEM or w in NAME_WORDS}
    found |= {word for w in named for word in NAME_WORDS.get(w, ())}
    if area := area_name(hass, effect.entity_id):
        found |= {w for w in words(area) if len(w) >= MIN_STEM and w not in _COMMON}
    found |= set(DOMAIN_WORDS.get(effect.domain, ()))
    return found


def _connected(heard: list[str], stems: set[str]) -> bool:
    return any(
        word == stem or (word.startswith(stem) and len(stem) >= MIN_STEM)
        for word in heard
        for stem in stems
    )
