"""The name stage's own span finding, and the precomputed name table."""

from __future__ import annotations

import time

from custom_components.local_voice.understanding.names import NameTable, best_name
from custom_components.local_voice.understanding.spans import name_repair, unknown_runs
from custom_components.local_voice.understanding.text import hear
from custom_components.local_voice.understanding.vocabulary import Snapshot, Term

NAMES = (
    Term("Desk Lamp", "name", "light.desk_lamp", "light"),
    Term("Kitchen Light", "name", "light.kitchen", "light"),
    Term("Bedroom Light", "name", "light.bedroom", "light"),
    Term("Thermostat", "name", "climate.thermostat", "climate"),
    Term("Office Fan", "name", "fan.office_fan", "fan"),
)
AREAS = (Term("Bedroom", "area"), Term("Kitchen", "area"), Term("Office", "area"))
KNOWN = frozenset(
    [
        "turn",
        "on",
        "off",
        "the",
        "set",
        "to",
        "degrees",
        "percent",
        "in",
        "lights",
        "light",
        "lamp",
        "is",
        "what",
        "switch",
    ]
)


def table(unexposed: frozenset[str] = frozenset()) -> NameTable:
    return NameTable(Snapshot(1, NAMES, AREAS, unexposed))


def test_unknown_runs() -> None:
    words = ["turn", "on", "the", "mess", "lamp"]
    assert unknown_runs(words, KNOWN) == [(3, 4)]
    assert unknown_runs(["set", "the", "domestat", "to", "#"], KNOWN) == [(2, 3)]
    assert unknown_runs(["turn", "on", "the", "light"], KNOWN) == []
    assert unknown_runs(["foo", "bar", "the", "baz"], KNOWN) == [(0, 2), (3, 4)]


def test_unknown_span_is_replaced_by_the_closest_name() -> None:
    fixed = name_repair(hear("Turn on the mess lamp."), KNOWN, table())
    assert fixed is not None
    assert fixed[0] == "turn on the desk lamp"
    assert 0.7 < fixed[1] <= 1


def test_area_and_numbers_survive_the_repair() -> None:
    fixed = name_repair(hear("turn off the lights in the madroom"), KNOWN, table())
    assert fixed is not None
    assert fixed[0] == "turn off the lights in the bedroom"
    thermostat = name_repair(hear("set the domestat to 22 degrees"), KNOWN, table())
    assert thermostat is not None
    assert thermostat[0] == "set the thermostat to 22 degrees"


def test_no_repair_without_unknown_words_or_for_unexposed_names() -> None:
    assert name_repair(hear("turn on the light"), KNOWN, table()) is None
    # "basement" is unknown but names an unexposed entity better than any exposed one.
    guarded = table(frozenset({"basement light"}))
    assert name_repair(hear("turn on the basement light"), KNOWN, guarded) is None


def test_table_agrees_with_best_name_and_is_fast() -> None:
    names = table()
    for span in ("mess lamp", "domestat", "office and", "madroom"):
        fast, slow = names.best(span), best_name(span, (*NAMES, *AREAS), ())
        assert fast is not None
        assert slow is not None
        assert fast.term == slow.term
        assert abs(fast.confidence - slow.confidence) < 1e-9
    start = time.perf_counter()
    for _ in range(100):
        name_repair(hear("turn on the mess lamp in the madroom"), KNOWN, names)
    assert (time.perf_counter() - start) / 100 < 0.005  # well under the 20 ms budget
