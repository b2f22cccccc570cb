"""Registry stage: the registry snapshot every generated package carries (``_registry.json``).

The bindings know types and bounds; the snapshot also knows where each fact was
stated (provenance), the cross-field rules and the pricing in the registry's own
terms. ``musicbind validate`` cites spec lines from it, ``musicbind schema`` builds
JSON Schema from it, and ``musicbind diff`` reads it like any registry JSON, all
without the specs folder (a pre-commit hook runs in the user's repository).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from musicbind.generator.load.records import Level, Location, SpecProblem
from musicbind.generator.registry.deserialize import read_registry
from musicbind.generator.registry.model import Registry
from musicbind.generator.registry.serialize import registry_to_lines

SNAPSHOT_NAME = "_registry.json"


def snapshot_text(registry: Registry) -> str:
    """The snapshot of ``registry``: its JSON without the build's problems (they are printed)."""
    return registry_to_lines(replace(registry, problems=()))


def read_snapshot(package_dir: Path) -> tuple[Registry | None, list[SpecProblem]]:
    """The snapshot of a generated package folder, or the problem that stops reading it."""
    path = package_dir / SNAPSHOT_NAME
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [SpecProblem(Level.ERROR, Location(str(path)), f"cannot read: {exc}")]
    return read_registry(text, str(path))
