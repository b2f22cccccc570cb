"""The import graph: no cycles between modules, no part importing one above it.

A maintainer reads the project bottom-up (runtime, then generator and emulator, then
the CLI); a cycle or an upward arrow, even one deferred into a function, means a module
cannot be understood without the one that uses it.
"""

from __future__ import annotations

from pathlib import Path

from import_graph import cycles, module_graph, part_of, upward_imports

ROOT = Path(__file__).resolve().parents[2]


def test_no_module_imports_itself_back_through_others() -> None:
    assert cycles(module_graph(ROOT)) == []


def test_no_part_imports_a_part_above_it() -> None:
    assert upward_imports(module_graph(ROOT)) == []


def test_the_graph_covers_every_part_of_the_project() -> None:
    graph = module_graph(ROOT)
    assert {part_of(module) for module in graph} == {
        "runtime",
        "generated",
        "generator",
        "emulator",
        "cli",
    }
    # Generated code stands on the runtime's public API, as users' code does.
    assert "musicbind.runtime" in graph["musicbind.generated.fal.client"]


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for part in ("runtime", "generated", "generator", "emulator", "musicbind"):
        (root / part).mkdir(exist_ok=True)
    return root


def test_a_cycle_hidden_in_a_function_or_under_type_checking_is_found(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "runtime/__init__.py": "",
            "runtime/a.py": "def f():\n    from musicbind.runtime import b\n",
            "runtime/b.py": (
                "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .c import C\n"
            ),
            "runtime/c.py": "import musicbind.runtime.a\n",
            "runtime/d.py": "from . import a\n",
        },
    )
    assert cycles(module_graph(root)) == [
        ["musicbind.runtime.a", "musicbind.runtime.b", "musicbind.runtime.c"]
    ]


def test_an_upward_import_is_named_with_both_ends(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "runtime/__init__.py": "",
            "runtime/version.py": "def v():\n    from musicbind import __version__\n",
            "generator/__init__.py": "",
            "generator/emit.py": "from musicbind.emulator.server import Server\n",
            "emulator/__init__.py": "",
            "emulator/server.py": "from musicbind.runtime.version import v\nServer = 1\n",
            "musicbind/__init__.py": "__version__ = '1'\n",
            "musicbind/cli.py": "from musicbind.generator import emit\n",
        },
    )
    assert upward_imports(module_graph(root)) == [
        "musicbind.generator.emit -> musicbind.emulator.server",
        "musicbind.runtime.version -> musicbind",
    ]
