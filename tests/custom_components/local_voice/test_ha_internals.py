"""The integration uses HA's public API only, but in the one documented module.

HA changes its private attributes (``_name``) and other integrations' keys
in ``hass.data`` without notice. This test reads every module of the
integration and fails on:
- an underscore attribute read from anything but ``self``/``cls`` (our own
  objects' private fields are ours; an HA object's are not) or through
  ``super()``;
- a ``hass.data`` key that is not one of our own ``HassKey`` constants.
``understanding/recognizer.py`` is the one module allowed to use what HA has
no public API for (docs/ha-internals.md); its own test
(``understanding/test_recognizer.py``) fails on the day HA changes it.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from local_voice_harness.paths import REPO_ROOT

if TYPE_CHECKING:
    from pathlib import Path

PACKAGE = REPO_ROOT / "custom_components" / "local_voice"
ALLOWED_MODULE = PACKAGE / "understanding" / "recognizer.py"
OUR_KEYS = {"_KEY"}  # runtime.py: HassKey(DOMAIN)


def _findings(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    where = path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path.name
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _private(node.attr):
            owner = node.value
            ours = isinstance(owner, ast.Name) and owner.id in {"self", "cls"}
            if not ours or _is_super(owner):
                found.append(f"{where}:{node.lineno}: .{node.attr}")
        if isinstance(node, ast.Subscript) and _is_hass_data(node.value):
            key = node.slice
            if not (isinstance(key, ast.Name) and key.id in OUR_KEYS):
                found.append(f"{where}:{node.lineno}: hass.data[...]")
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in {"get", "setdefault", "pop"}
            and _is_hass_data(node.func.value)
        ):
            key = node.args[0] if node.args else None
            if not (isinstance(key, ast.Name) and key.id in OUR_KEYS):
                found.append(f"{where}:{node.lineno}: hass.data.{node.func.attr}")
    return found


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _is_super(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "super"
    )


def _is_hass_data(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "data"
        and (
            (isinstance(node.value, ast.Name) and node.value.id == "hass")
            or (isinstance(node.value, ast.Attribute) and node.value.attr == "hass")
        )
    )


def test_no_private_ha_internals_outside_the_documented_module() -> None:
    found = [
        f
        for path in sorted(PACKAGE.rglob("*.py"))
        if path != ALLOWED_MODULE
        for f in _findings(path)
    ]
    assert found == []


def test_the_scan_finds_what_it_looks_for(tmp_path: Path) -> None:
    """The scan is not blind: each kind of access is reported."""
    sample = tmp_path / "probe_for_the_scan.py"
    sample_text = (
        "def f(self, hass, agent):\n"
        "    agent._intent_cache.clear()\n"
        "    super()._resolve_vad_sensitivity()\n"
        "    hass.data['conversation']\n"
        "    hass.data.get(DATA_DEFAULT_ENTITY)\n"
        "    self._mine = hass.data[_KEY]\n"
    )
    sample.write_text(sample_text)
    found = _findings(sample)
    assert sorted(f.split(": ", 1)[1] for f in found) == [
        "._intent_cache",
        "._resolve_vad_sensitivity",
        "hass.data.get",
        "hass.data[...]",
    ]


def test_the_documented_module_is_written_down() -> None:
    doc = (REPO_ROOT / "docs" / "ha-internals.md").read_text()
    assert "understanding/recognizer.py" in doc
    assert "async_recognize_intent" in doc
