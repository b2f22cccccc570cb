"""Snapshot: the registry snapshot every generated package carries (``_registry.json``).

The bindings know types and bounds; the snapshot also knows where each fact was
stated (provenance), the cross-field rules and the pricing in the registry's own
terms. ``musicbind validate`` cites spec lines from it, ``musicbind schema`` builds
JSON Schema from it, and ``musicbind diff`` reads it like any registry JSON, all
without the specs folder (a pre-commit hook runs in the user's repository).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from musicbind.generator.load.records import Level, Location, SpecProblem
from musicbind.generator.registry.model import Model, Registry
from musicbind.generator.snapshot.deserialize import read_registry
from musicbind.generator.snapshot.serialize import model_line, registry_to_lines

SNAPSHOT_NAME = "_registry.json"


def snapshot_text(registry: Registry, line_of: Callable[[Model], str] = model_line) -> str:
    """The snapshot of ``registry``: its JSON without the build's problems (they are printed).

    ``line_of``: each model's line (:func:`~generator.snapshot.serialize.model_line` or a
    cache of it)."""
    return registry_to_lines(replace(registry, problems=()), line_of)


def read_snapshot(package_dir: Path) -> tuple[Registry | None, list[SpecProblem]]:
    """The snapshot of a generated package folder, or the problem that stops reading it."""
    path = package_dir / SNAPSHOT_NAME
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [SpecProblem(Level.ERROR, Location(str(path)), f"cannot read: {exc}")]
    return read_registry(text, str(path))
