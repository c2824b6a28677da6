"""No import cycles between the project's own modules.

Every Python module of each source tree is parsed with :mod:`ast` (nothing is
imported), each ``import``/``from ... import`` of a project module becomes an
edge, and the strongly connected components of that graph are the cycles.
Imports under ``if TYPE_CHECKING:`` and inside functions count too: they
only hide a cycle from the interpreter, not from the reader.

The graph spans every tree at once (a cycle may cross two of them); each
tree has its own test case, reporting the cycles that touch it, so one tree
can be checked alone::

    pytest tests/test_imports.py -k wyoming_servers
    pytest tests/test_imports.py -k custom_components
    python tests/test_imports.py custom_components/local_voice   (lists them)

``importlib.import_module`` with a computed name is not seen; the project
has none.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True, slots=True)
class SourceTree:
    """Modules found under ``root / package``, importable with ``root`` on ``sys.path``.

    ``package`` empty means a folder of scripts (``benchmarks/``): each file is
    a top-level module, visible only to the scripts beside it.
    """

    label: str
    root: Path
    package: str = ""

    @property
    def folder(self) -> Path:
        """Where the tree's files are."""
        return self.root / self.package

    @property
    def scripts(self) -> bool:
        """Whether this is a folder of scripts rather than a package."""
        return not self.package


TREES: tuple[SourceTree, ...] = (
    SourceTree("wyoming_servers", REPO, "wyoming_servers"),
    SourceTree("custom_components/local_voice", REPO, "custom_components/local_voice"),
    SourceTree("local_voice_satellite", REPO / "satellites/pi", "local_voice_satellite"),
    SourceTree("local_voice_harness", REPO, "local_voice_harness"),
    # The harness's test integration, importable as custom_components.demo_home.
    SourceTree(
        "local_voice_harness", REPO / "local_voice_harness/ha_config", "custom_components/demo_home"
    ),
    SourceTree("addon", REPO / "addon/rootfs/usr/local/lib", "local_voice_addon"),
    SourceTree("benchmarks", REPO / "benchmarks"),
)
LABELS: tuple[str, ...] = tuple(dict.fromkeys(tree.label for tree in TREES))
# Trees with cycles that are known and owned elsewhere: their case is a strict
# xfail, so it fails (XPASS) the day the last cycle goes and the entry must go too.
KNOWN_CYCLES: dict[str, str] = {
    "local_voice_harness": "fake_ollama <-> fake_ollama_cli",
}


@dataclass(frozen=True, slots=True)
class Module:
    """One source file: its dotted name, its tree, and its path as reports name it."""

    name: str
    path: Path
    tree: SourceTree
    label: str

    @property
    def is_package(self) -> bool:
        """Whether this is a package's ``__init__.py``."""
        return self.path.name == "__init__.py"


def _files(tree: SourceTree, trees: Iterable[SourceTree]) -> Iterator[Path]:
    if tree.scripts:
        yield from sorted(tree.folder.glob("*.py"))
        return
    inner = [
        other.folder
        for other in trees
        if other.folder != tree.folder and other.folder.is_relative_to(tree.folder)
    ]
    for path in sorted(tree.folder.rglob("*.py")):
        # A file inside a more specific tree (the harness's demo_home) belongs to that one.
        if not any(path.is_relative_to(folder) for folder in inner):
            yield path


def _module_name(tree: SourceTree, path: Path) -> str:
    parts = list(path.relative_to(tree.root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def find_modules(trees: Iterable[SourceTree] = TREES, base: Path = REPO) -> list[Module]:
    """Every module of every tree (raises if a tree is missing: a typo must not pass)."""
    trees = tuple(trees)
    modules: list[Module] = []
    for tree in trees:
        if not tree.folder.is_dir():
            raise FileNotFoundError(f"source tree {tree.folder} does not exist")
        modules.extend(
            Module(_module_name(tree, path), path, tree, path.relative_to(base).as_posix())
            for path in _files(tree, trees)
        )
    return modules


def strongly_connected(edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm: components of more than one node, or a node importing itself."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(edges[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = stack[stack.index(node) :]
            del stack[stack.index(node) :]
            if len(component) > 1 or node in edges[node]:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return sorted(found)


class ImportGraph:
    """Modules and the project modules each one imports."""

    def __init__(self, modules: Iterable[Module]) -> None:
        self.modules = {module.label: module for module in modules}
        self._packages = {m.name: m for m in self.modules.values() if not m.tree.scripts}
        self._scripts = {m.name: m for m in self.modules.values() if m.tree.scripts}
        self.edges: dict[str, set[str]] = {
            label: self._imports(module) for label, module in self.modules.items()
        }

    def _lookup(self, name: str, importer: Module) -> Module | None:
        if importer.tree.scripts and name in self._scripts:
            return self._scripts[name]
        return self._packages.get(name)

    def _base(self, importer: Module, node: ast.ImportFrom) -> str:
        """The absolute module a ``from`` import starts from."""
        if node.level == 0:
            return node.module or ""
        package = importer.name.split(".")
        if not importer.is_package:
            package.pop()
        if node.level - 1 > len(package) - 1:
            raise ImportError(f"{importer.label}:{node.lineno}: relative import beyond the top")
        package = package[: len(package) - (node.level - 1)]
        return ".".join([*package, *([node.module] if node.module else [])])

    def _imports(self, module: Module) -> set[str]:
        tree = ast.parse(module.path.read_bytes(), filename=str(module.path))
        targets: set[str] = set()
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = self._base(module, node)
                # ``from pkg import sub`` imports the submodule when there is one,
                # otherwise a name defined in ``pkg`` itself.
                names = [
                    f"{base}.{alias.name}"
                    if self._lookup(f"{base}.{alias.name}", module) is not None
                    else base
                    for alias in node.names
                ]
            for name in names:
                target = self._lookup(name, module)
                if target is not None:
                    targets.add(target.label)
        return targets

    def cycles(self) -> list[list[str]]:
        """Strongly connected components that are cycles, each sorted."""
        return strongly_connected(self.edges)

    def describe(self, component: list[str]) -> str:
        """A cycle and the imports that close it, one ``a -> b`` per line."""
        members = set(component)
        lines = [f"cycle of {len(component)} module(s):"]
        lines.extend(
            f"  {source} -> {target}"
            for source in component
            for target in sorted(self.edges[source] & members)
        )
        return "\n".join(lines)


def cycles_touching(graph: ImportGraph, label: str) -> list[list[str]]:
    """The cycles with at least one module of the trees called ``label``."""
    return [
        component
        for component in graph.cycles()
        if any(graph.modules[member].tree.label == label for member in component)
    ]


@pytest.fixture(scope="module")
def graph() -> ImportGraph:
    """The import graph of the whole repository."""
    return ImportGraph(find_modules())


@pytest.mark.parametrize(
    "label",
    [
        pytest.param(
            label,
            marks=pytest.mark.xfail(reason=KNOWN_CYCLES[label], strict=True)
            if label in KNOWN_CYCLES
            else (),
        )
        for label in LABELS
    ],
)
def test_no_import_cycles(graph: ImportGraph, label: str) -> None:
    cycles = cycles_touching(graph, label)
    assert not cycles, "\n".join(graph.describe(component) for component in cycles)


def test_every_tree_has_modules_and_edges(graph: ImportGraph) -> None:
    """The scan sees the code: each tree has modules and the servers import each other."""
    for label in LABELS:
        assert any(m.tree.label == label for m in graph.modules.values()), label
    assert set(KNOWN_CYCLES) <= set(LABELS)
    assert "wyoming_servers/core/server.py" in graph.edges["wyoming_servers/core/cli.py"]


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_the_detector_finds_hidden_and_relative_cycles(tmp_path: Path) -> None:
    """A cycle closed under TYPE_CHECKING, in a function, or by a relative import is found."""
    _write(tmp_path / "pkg/__init__.py", "")
    _write(tmp_path / "pkg/a.py", "from .b import thing\n")
    _write(
        tmp_path / "pkg/b.py",
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import a\n",
    )
    _write(tmp_path / "pkg/sub/__init__.py", "")
    _write(tmp_path / "pkg/sub/c.py", "def f():\n    from ..sub import d\n")
    _write(tmp_path / "pkg/sub/d.py", "import pkg.sub.c\nimport json\n")
    _write(tmp_path / "pkg/e.py", "from pkg.a import thing\n")  # into a cycle, not in it
    _write(tmp_path / "pkg/f.py", "from . import f\n")  # imports itself
    _write(tmp_path / "scripts/run.py", "import helper\nimport pkg.e\n")
    _write(tmp_path / "scripts/helper.py", "import run\n")
    trees = (SourceTree("pkg", tmp_path, "pkg"), SourceTree("scripts", tmp_path / "scripts"))
    graph = ImportGraph(find_modules(trees, tmp_path))
    assert graph.edges["scripts/run.py"] == {"scripts/helper.py", "pkg/e.py"}
    assert graph.cycles() == [
        ["pkg/a.py", "pkg/b.py"],
        ["pkg/f.py"],
        ["pkg/sub/c.py", "pkg/sub/d.py"],
        ["scripts/helper.py", "scripts/run.py"],
    ]
    assert cycles_touching(graph, "scripts") == [["scripts/helper.py", "scripts/run.py"]]


if __name__ == "__main__":
    whole = ImportGraph(find_modules())
    wanted = sys.argv[1:] or list(LABELS)
    for each in wanted:
        if each not in LABELS:
            raise SystemExit(f"unknown tree {each!r}; known: {', '.join(LABELS)}")
        found = cycles_touching(whole, each)
        print(f"{each}: {len(found)} cycle(s)")
        for component in found:
            print(whole.describe(component))
