"""Every benchmark imports what exists: the project's names it takes are still there.

Benchmarks run by hand, outside the test suite, so a moved module would
only show the next time someone measures. This reads each script with
:mod:`ast` and imports every project module and name it takes.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PROJECT = ("custom_components", "local_voice_harness", "wyoming_servers")
SCRIPTS = sorted((REPO / "benchmarks").glob("*.py"))


def _project_imports(path: Path) -> list[tuple[str, str | None]]:
    """(module, name) for each project import; name None for ``import module``."""
    found: list[tuple[str, str | None]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] in PROJECT:
                found += [(node.module, alias.name) for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [(a.name, None) for a in node.names if a.name.split(".")[0] in PROJECT]
    return found


def test_there_are_benchmarks() -> None:
    assert len(SCRIPTS) >= 10


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_the_project_names_a_benchmark_imports_exist(script: Path) -> None:
    for module_name, name in _project_imports(script):
        module = importlib.import_module(module_name)
        if name is not None and not hasattr(module, name):
            importlib.import_module(f"{module_name}.{name}")  # a submodule, or it fails
