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

from homeassistant.components.homeassistant.exposed_entities import async_should_expose

from ..const import ASSISTANT
from .home_now import area_name

if TYPE_CHECKING:
    from collections.abc import Iterable

    from homeassistant.core import HomeAssistant, State

    from ..understanding.safety import Effect

MIN_STEM: Final = 3  # shorter words of a name ("tv" aside) say nothing on their own
_WORD: Final = re.compile(r"[a-z0-9]+")
# Words of names and areas too common to tie a request to one entity.
_COMMON: Final = frozenset(
    {"the", "and", "main", "big", "small", "left", "right", "front", "back", "room", "all"}
)
_FILLER: Final = frozenset({"the", "and", "all", "room"})
_WARMTH: Final = (
    "heat",
    "warm",
    "cool",
    "cold",
    "chill",
    "freez",
    "froz",
    "hot",
    "degree",
    "temperature",
    "thermostat",
    "sweat",
    "jumper",
    "sweater",
    "coat",
    "nippy",
    "toasty",
)
_DAMP: Final = ("damp", "muggy", "humid", "moist", "wet", "dry", "sticky", "clammy")
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
    "dehumidifier": _DAMP,
    "humidifier": _DAMP,
}

# Words for what a sensor measures, by its device class.
CLASS_WORDS: Final[dict[str, tuple[str, ...]]] = {
    "temperature": _WARMTH,
    "humidity": _DAMP,
    "moisture": _DAMP,
    "door": ("door", "open", "close", "shut"),
    "garage_door": ("garage", "door", "open", "close", "shut"),
    "window": ("window", "open", "close", "shut", "draught", "draft"),
    "battery": ("battery", "charge", "flat"),
    "illuminance": ("bright", "dark", "light"),
}
# Words that ask for a change or say what is wrong, by their start ("dimmer" is "dim");
# a request with none of them ("I'll dump this a bedroom", tiny.en's "how damp is the
# bedroom") is not run at once (``asks_for_change``). They lean wide, like the lists above.
_CHANGE_STEMS: Final = (
    # doing
    "turn", "switch", "set", "make", "put", "get", "start", "stop", "open", "close",
    "shut", "lock", "unlock", "let", "raise", "lower", "dim", "bright", "light", "kill",
    "cut", "halv", "half", "double", "bump", "knock", "crank", "warm", "cool", "heat",
    "boost", "increas", "decreas", "reduc", "drop", "run", "brew", "boil", "play", "paus",
    "resum", "mute", "vacuum", "clean", "hoover", "fire", "power", "kick", "flip",
    "toggl", "enabl", "disabl", "activat", "deactivat", "chang", "adjust", "arm", "disarm",
    "silenc", "quiet", "loud", "soft", "keep", "leav", "hit", "go", "went", "fix", "help",
    "bring", "move", "lift", "push", "pull", "tone", "take", "give", "need", "want",
    "like", "love", "fancy", "wish", "prefer", "pleas", "mind", "rather", "use", "crav",
    "time", "enough",
    # what is wrong
    "dark", "black", "see", "read", "glar", "hot", "cold", "chill", "freez", "froz",
    "stuffy", "muggy", "humid", "damp", "sticky", "stifl", "oven", "sweat", "toasty",
    "nippy", "sleep", "tired", "night", "movie", "film", "watch", "cook", "work",
    "ready", "locked", "parcel", "courier", "guest", "caffein", "thirst", "breez", "air",
    "faint", "degree", "percent", "temperatur", "brightness", "mood", "cosy", "cozy",
    "home", "away", "back", "late", "early", "morning", "evening",
)  # fmt: skip
# Short words that ask on their own ("lamp on", "heating up a bit"), matched whole.
_CHANGE_WORDS: Final = frozenset({"on", "off", "up", "down", "out", "bed", "more", "less", "too"})
# A request to open (unlock) rather than to lock: "open up the front door", "let me in".
_OPENING: Final = frozenset({"open", "unlock", "unlocked"})
_LOCKING: Final = frozenset({"lock", "locked", "secure", "shut", "close", "bolt"})


def words(text: str) -> list[str]:
    """The words of ``text``, lower case."""
    return _WORD.findall(text.lower())


def related(hass: HomeAssistant, request: str, effects: Iterable[Effect]) -> bool:
    """True when the request has a word for at least one of the entities the call changes."""
    heard = words(request)
    return any(_connected(heard, _words_for(hass, effect)) for effect in effects)


def pointed_at(
    hass: HomeAssistant, request: str, here: str | None = None, *, whole_area: bool = True
) -> list[str]:
    """The exposed entities a question's words are about, in HA's order; [] when none.

    The entities the request names (every word of the name that says
    something is heard); else those of the areas it names (or of ``here``,
    the speaker's area, when it names none) with a word for their kind or
    what they measure, not counting the area's own words: "how damp is the
    bedroom" is the Bedroom Humidity (not the Bedroom Light, though "bed" is
    a word for lights), "do I need a jumper in the living room" the
    thermostat and the temperature there; with no such word, all of a named
    area ("is anything running in the kitchen"), unless ``whole_area`` is
    False.
    """
    heard = words(request)
    exposed = [
        state
        for state in hass.states.async_all()
        if async_should_expose(hass, ASSISTANT, state.entity_id)
    ]
    named = [s for s in exposed if _all_heard(heard, _significant(s.name))]
    # every word of a name, "back" and "front" too: "the back door", not the Front Door
    whole = [s for s in named if _all_heard(heard, words(s.name))]
    if named:
        return [s.entity_id for s in whole or named]
    areas = {eid: area_name(hass, eid) for eid in (s.entity_id for s in exposed)}
    spoken = {a for a in areas.values() if a and _all_heard(heard, _significant(a))}
    if not spoken and (partly := _partly_named(heard, exposed, areas)):
        return partly
    if not (spoken := spoken or ({here} if here else set())):
        return []
    area_words = {w for area in spoken for w in words(area)}
    rest = [w for w in heard if w not in area_words]
    in_area = [s for s in exposed if areas[s.entity_id] in spoken]
    kinds = [
        s.entity_id
        for s in in_area
        if _connected(rest, _kind_words(s.domain, s.name, s.attributes.get("device_class")))
    ]
    if kinds or here in spoken or not whole_area:
        return kinds
    # An area it names, and no word for a kind of thing there ("is anything running in
    # the kitchen"): the question is about the area, all of it.
    return [s.entity_id for s in in_area]


def _partly_named(
    heard: list[str], exposed: list[State], areas: dict[str, str | None]
) -> list[str]:
    """The entities a heard word names alone: a word of one exposed name, not an area's.

    "have I locked up the front for the night" is the Front Door, asked from
    the kitchen (whose light "night" is a word for).
    """
    area_words = {w for area in areas.values() if area for w in words(area)}
    owners: dict[str, set[str]] = {}
    for state in exposed:
        # "front" says nothing on its own (``_COMMON``), unless one name has it
        for word in words(state.name):
            if len(word) >= MIN_STEM and word not in area_words | _FILLER:
                owners.setdefault(word, set()).add(state.entity_id)
    kinds = {
        s.entity_id: _kind_words(s.domain, s.name, s.attributes.get("device_class"))
        for s in exposed
    }
    found: set[str] = set()
    for word in heard:
        ids = owners.get(word, set())
        if len(ids) != 1:
            continue
        owner = next(iter(ids))
        # not a word for another one's kind: "what temperature is the heating aiming
        # for" is not about the Living Room Temperature alone
        if not any(_connected([word], stems) for o, stems in kinds.items() if o != owner):
            found.add(owner)
    return [s.entity_id for s in exposed if s.entity_id in found]


READ_ONLY_DOMAINS: Final = frozenset({"sensor", "binary_sensor"})  # what nothing changes


def meant_by_word(hass: HomeAssistant, name: str) -> str | None:
    """The one exposed device a one-word made-up name is a word for, by its name; else None.

    The 1.5B takes a noun of the request for a name: "a parcel is here, let
    the courier in" came as ``HassTurnOn(name: Courier)``, which HA matches
    to nothing. "Courier" is a word for a lock, and the home has one exposed
    lock: the Front Door is meant. Two devices of the kind, or none: None.
    Sensors are never meant (a made-up name comes with a call that changes
    something).
    """
    heard = words(name)
    if len(heard) != 1:
        return None
    found = [
        state
        for state in hass.states.async_all()
        if state.domain not in READ_ONLY_DOMAINS
        and async_should_expose(hass, ASSISTANT, state.entity_id)
        and _connected(
            heard,
            _kind_words(state.domain, state.name, state.attributes.get("device_class")),
        )
    ]
    return found[0].name if len(found) == 1 else None


# "I'm locked out", "I locked myself out": a reason to open, not a wish to lock.
_LOCKED_OUT: Final = re.compile(r"\block(?:ed)?\s+(?:(?:my|our|them)sel(?:f|ves)\s+)?out\b")


def opens(request: str) -> bool:
    """True when a request asks to open or let in ("open up the front door", "let me in")."""
    heard = set(words(_LOCKED_OUT.sub(" ", request.lower())))
    asks = bool(heard & _OPENING) or ("let" in heard and bool(heard & {"in", "into", "inside"}))
    return asks and not heard & _LOCKING


def asks_for_change(request: str) -> bool:
    """True when the request has a word that asks for a change or says what is wrong.

    A state-changing call for a request without one is asked about first
    (``guard``): tiny.en heard "how damp is the bedroom" as "I'll dump this a
    bedroom.", which is no question, and the 1.5B switched off the Bedroom
    Light for it ("bedroom" relates the call to the light).
    """
    heard = words(request)
    return any(word in _CHANGE_WORDS for word in heard) or any(
        word.startswith(_CHANGE_STEMS) for word in heard
    )


def says(request: str, name: str) -> bool:
    """True when the request has every word of a name or area that says something."""
    return _all_heard(words(request), _significant(name))


def speaks_of_warmth(request: str) -> bool:
    """True when the request has a word for warmth ("chilly", "degrees", "heating")."""
    return _connected(words(request), set(_WARMTH))


def _significant(name: str) -> list[str]:
    """The words of a name or area that say something on their own."""
    return [w for w in words(name) if w not in _COMMON and (len(w) >= MIN_STEM or w in NAME_WORDS)]


def _all_heard(heard: list[str], stems: list[str]) -> bool:
    return bool(stems) and all(_connected(heard, {stem}) for stem in stems)


def _kind_words(domain: str, name: str, device_class: object) -> set[str]:
    """Words for a kind of device, for what its name says it is, for what it measures."""
    found = set(DOMAIN_WORDS.get(domain, ()))
    found |= {word for w in words(name) for word in NAME_WORDS.get(w, ())}
    if isinstance(device_class, str):
        found |= set(CLASS_WORDS.get(device_class, ()))
    return found


def _words_for(hass: HomeAssistant, effect: Effect) -> set[str]:
    """The words that point at one entity: its name, its area, its kind of device."""
    found = set(_significant(effect.name))
    if area := area_name(hass, effect.entity_id):
        found |= set(_significant(area))
    return found | _kind_words(effect.domain, effect.name, effect.device_class)


def _connected(heard: list[str], stems: set[str]) -> bool:
    return any(
        word == stem or (word.startswith(stem) and len(stem) >= MIN_STEM)
        for word in heard
        for stem in stems
    )
