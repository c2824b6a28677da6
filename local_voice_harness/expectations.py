"""Check a command's ``expect`` block against what the house did and said.

The format is the one in ``local_voice_harness/data/demo_home/README.md``: ``state``,
``attributes``, ``unchanged``, ``response_contains``. An allowed value may
also be an inclusive numeric range, ``{"min": 1, "max": 254}`` (either bound
may be left out), for results that need a tolerance ("dim it a bit"). Kept
apart from the harness so it can be tested without any process running.
"""

from __future__ import annotations

import math
import re
from typing import Any

type States = dict[str, dict[str, Any]]


def _allowed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _within(actual: Any, bounds: dict[str, Any]) -> bool:
    """Inside an inclusive numeric range; a missing bound does not limit."""
    if isinstance(actual, bool):
        return False
    try:
        value = float(actual)
    except (TypeError, ValueError):
        return False
    return float(bounds.get("min", -math.inf)) <= value <= float(bounds.get("max", math.inf))


def _same(actual: Any, wanted: Any) -> bool:
    """Equal, with numbers compared as numbers (22 == 22.0 == "22"), or inside a range."""
    if isinstance(wanted, dict):
        return _within(actual, wanted)
    if isinstance(wanted, bool) or isinstance(actual, bool):
        # True == 1 in Python; a switch attribute is not the number 1.
        return type(actual) is type(wanted) and actual == wanted
    if isinstance(wanted, (int, float)):
        try:
            return math.isclose(float(actual), float(wanted), abs_tol=1e-6)
        except (TypeError, ValueError):
            return False
    return str(actual) == str(wanted)


def check(expect: dict[str, Any], before: States, after: States, answer: str) -> list[str]:
    """Return why the command failed (empty list: it succeeded)."""
    failures: list[str] = []
    for entity_id, wanted in (expect.get("state") or {}).items():
        actual = after.get(entity_id, {}).get("state")
        if not any(_same(actual, w) for w in _allowed(wanted)):
            failures.append(f"{entity_id} is {actual!r}, wanted {wanted!r}")
    for entity_id, attributes in (expect.get("attributes") or {}).items():
        have = after.get(entity_id, {}).get("attributes", {})
        for name, wanted in attributes.items():
            actual = have.get(name)
            if not any(_same(actual, w) for w in _allowed(wanted)):
                failures.append(f"{entity_id}.{name} is {actual!r}, wanted {wanted!r}")
    for entity_id in expect.get("unchanged") or []:
        old = before.get(entity_id, {}).get("state")
        new = after.get(entity_id, {}).get("state")
        if old != new:
            failures.append(f"{entity_id} changed {old!r} -> {new!r}, must not change")
    phrases = expect.get("response_contains") or []
    if phrases and not any(says(answer, p) for p in phrases):
        failures.append(f"answer {answer!r} contains none of {phrases!r}")
    return failures


def says(answer: str, phrase: str) -> bool:
    """Whether ``answer`` has ``phrase`` as whole words ("no" is not in "not" or "know")."""
    pattern = rf"(?<![\w']){re.escape(phrase.lower())}(?![\w'])"
    return re.search(pattern, answer.lower()) is not None


def changes(before: States, after: States, only: set[str] | None = None) -> list[str]:
    """What the house did: ``entity: old -> new`` for states and changed attributes.

    ``only`` limits the report to the house's own entities (HA's TTS and
    satellite entities change too, which is not the house doing anything).
    """
    lines: list[str] = []
    for entity_id in sorted(set(before) | set(after)):
        if only is not None and entity_id not in only:
            continue
        old, new = before.get(entity_id, {}), after.get(entity_id, {})
        if old.get("state") != new.get("state"):
            lines.append(f"{entity_id}: {old.get('state')} -> {new.get('state')}")
            continue
        old_attrs, new_attrs = old.get("attributes", {}), new.get("attributes", {})
        lines.extend(
            f"{entity_id}.{name}: {old_attrs.get(name)} -> {new_attrs.get(name)}"
            for name in sorted(set(old_attrs) | set(new_attrs))
            if old_attrs.get(name) != new_attrs.get(name)
        )
    return lines
