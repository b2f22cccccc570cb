"""The project's import graph, read from its source with ``ast`` (nothing is imported).

Every import counts: at module level, deferred into a function, or under
``TYPE_CHECKING``, because each one is a dependency a reader has to follow and a
cycle hidden in a function is still a cycle. ``from pkg import name`` counts as
importing ``pkg.name`` when that is a module of the project, else as importing ``pkg``.

The parts of the project, from the bottom up, and what each may import:

- ``runtime``: itself only (generated bindings and users' code stand on it).
- ``generated``: the runtime and itself (the safety gate also holds it to that).
- ``generator``: the runtime (to know what generated code will import) and itself.
- ``emulator``: the runtime and itself; the generator and the bindings only at run
  time, through ``importlib`` (a user's package name is not known before).
- ``cli``: everything else under ``musicbind/``, which may import any part.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

PARTS = ("runtime", "generated", "generator", "emulator")
ALLOWED: Mapping[str, frozenset[str]] = {
    "runtime": frozenset({"runtime"}),
    "generated": frozenset({"generated", "runtime"}),
    "generator": frozenset({"generator", "runtime"}),
    "emulator": frozenset({"emulator", "runtime"}),
    "cli": frozenset({"cli", *PARTS}),
}


def module_names(root: Path) -> dict[str, Path]:
    """``musicbind.<dotted name>`` -> source file, for every module under ``root``."""
    modules: dict[str, Path] = {}
    sources: list[tuple[Path, tuple[str, ...]]] = [
        (root / part, ("musicbind", part)) for part in PARTS
    ]
    sources.append((root / "musicbind", ("musicbind",)))
    for folder, prefix in sources:
        for path in sorted(folder.rglob("*.py")):
            relative = path.relative_to(folder).with_suffix("").parts
            if prefix == ("musicbind",) and relative and relative[0] in PARTS:
                continue  # the symlinks into the other parts
            if "__pycache__" in relative:
                continue
            names = relative[:-1] if relative[-1] == "__init__" else relative
            modules[".".join((*prefix, *names))] = path
    return modules


def _imported(node: ast.AST, module: str, is_package: bool) -> Iterable[tuple[str, ...]]:
    """Each import statement's candidates: (``pkg.name``, ``pkg``) most specific first."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield (alias.name,)
    elif isinstance(node, ast.ImportFrom):
        if node.level:
            package = module.split(".") if is_package else module.split(".")[:-1]
            base = package[: len(package) - (node.level - 1)]
            target = ".".join([*base, *([node.module] if node.module else [])])
        else:
            target = node.module or ""
        for alias in node.names:
            yield (f"{target}.{alias.name}", target)


def module_graph(root: Path) -> dict[str, set[str]]:
    """Module -> the project modules it imports anywhere in its source."""
    modules = module_names(root)
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        imports: set[str] = set()
        for node in ast.walk(tree):
            for candidates in _imported(node, name, path.name == "__init__.py"):
                found = _closest_module(candidates, modules)
                if found is not None and found != name:
                    imports.add(found)
        graph[name] = imports
    return graph


def _closest_module(candidates: tuple[str, ...], modules: Mapping[str, Path]) -> str | None:
    """The first candidate that is a project module, else its nearest enclosing package."""
    for candidate in candidates:
        if candidate in modules:
            return candidate
    name = candidates[-1]
    while "." in name:
        name = name.rsplit(".", 1)[0]
        if name in modules and name != "musicbind":
            return name
    return None


def part_of(module: str) -> str:
    """``runtime``, ``generated``, ``generator``, ``emulator`` or ``cli``."""
    pieces = module.split(".")
    return pieces[1] if len(pieces) > 1 and pieces[1] in PARTS else "cli"


def cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Every strongly connected group of two or more modules (Tarjan), each sorted."""
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * len(graph) + 100))
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group: list[str] = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def upward_imports(graph: Mapping[str, Iterable[str]]) -> list[str]:
    """``a -> b`` for every import a part is not allowed to make (see the module docstring)."""
    return sorted(
        f"{module} -> {target}"
        for module, targets in graph.items()
        for target in targets
        if part_of(target) not in ALLOWED[part_of(module)]
    )
