"""Checks of single add-on option values, each error naming its option.

Kept apart from ``addon_options`` (which knows the add-on's options) so that
both stay small; these know only types, ranges and safe text.
"""

from __future__ import annotations

import math
import re
from typing import Final

_CONTROL_RE: Final = re.compile(r"[\x00-\x1f\x7f]")


class AddonOptionError(ValueError):
    """One option is wrong; the message names it and says what is accepted."""

    def __init__(self, option: str, why: str) -> None:
        super().__init__(f"option {option!r}: {why}")
        self.option = option


def int_value(name: str, value: object, bounds: tuple[int, int]) -> int:
    """A whole number within ``bounds`` (bools are not numbers here)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise AddonOptionError(name, f"must be a whole number, got {value!r}")
    low, high = bounds
    if not low <= value <= high:
        raise AddonOptionError(name, f"must be between {low} and {high}, got {value}")
    return value


def float_value(name: str, value: object, bounds: tuple[float, float]) -> float:
    """A finite number within ``bounds`` (bools are not numbers here)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise AddonOptionError(name, f"must be a number, got {value!r}")
    low, high = bounds
    number = float(value)
    if not math.isfinite(number) or not low <= number <= high:
        raise AddonOptionError(name, f"must be between {low} and {high}, got {value}")
    return number


def text_value(name: str, value: object) -> str:
    """Text without control characters (the s6 scripts read one argument per line)."""
    if not isinstance(value, str):
        raise AddonOptionError(name, f"must be text, got {value!r}")
    if _CONTROL_RE.search(value):
        raise AddonOptionError(name, "must not hold control characters (newlines, tabs, NUL)")
    return value


def text_list_value(name: str, value: object, limit: int) -> list[str]:
    """A list of at most ``limit`` texts."""
    if not isinstance(value, list):
        raise AddonOptionError(name, f"must be a list, got {value!r}")
    if len(value) > limit:
        raise AddonOptionError(name, f"holds {len(value)} entries, at most {limit} allowed")
    return [text_value(name, item) for item in value]


def bool_value(name: str, value: object) -> bool:
    """True or false, not a string or number that looks like one."""
    if not isinstance(value, bool):
        raise AddonOptionError(name, f"must be true or false, got {value!r}")
    return value
