"""Snapshot: the registry snapshot every generated package carries (``_registry.json``).

The bindings know types and bounds; the snapshot also knows where each fact was
stated (provenance), the cross-field rules and the pricing in the registry's own
terms. ``musicbind validate`` cites spec lines from it, ``musicbind schema`` builds
JSON Schema from it, and ``musicbind diff`` reads it like any registry JSON, all
without the specs folder (a pre-commit hook runs in the user's repository).

It is sharded, so that one changed model rewrites one small file: ``_registry.json`` is
the head (``"format": 2``, the providers, and ``model_files``: the shards' paths) and
each shard, ``_registry/<provider>/models_<group>.json``, is a JSON array of about a
hundred models, one model a line (the groups are the generated clients', see
:func:`generator.emit.client.client_groups`). A package written before the snapshot was
sharded has it all in ``_registry.json`` (registry JSON, ``"format": 1``): it is read too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from musicbind.generator.freshness import GENERATED_KEY, GENERATED_NOTE
from musicbind.generator.load.records import Level, Location, SpecProblem
from musicbind.generator.registry.model import Model, Registry
from musicbind.generator.snapshot.deserialize import (
    RegistryFormatError,
    format_problem,
    models_from_data,
    read_registry_data,
    registry_head,
)
from musicbind.generator.snapshot.serialize import model_line, registry_to_data

SNAPSHOT_NAME = "_registry.json"
SHARD_FOLDER = "_registry"
SNAPSHOT_FORMAT = 2  # the sharded head; a one-file snapshot is registry JSON (format 1)
# A shard the head may name: a plain relative path below SHARD_FOLDER (never ``..``).
_SHARD_PATH = re.compile(rf"{SHARD_FOLDER}(?:/[A-Za-z_][A-Za-z0-9_]{{0,199}})+\.json")

Read = tuple[Registry | None, list[SpecProblem]]


def shard_path(provider: str, group: str) -> str:
    """Relative path of the snapshot shard of one client group of ``provider``."""
    return f"{SHARD_FOLDER}/{provider}/models_{group}.json"


def head_text(registry: Registry, shards: Sequence[str]) -> str:
    """The head: the format, the providers and the shards' paths, one key a line (the
    build's problems are printed, not kept)."""
    data = registry_to_data(replace(registry, models=(), problems=()))
    data.pop("models")
    data["format"] = SNAPSHOT_FORMAT
    data["model_files"] = list(shards)
    data[GENERATED_KEY] = GENERATED_NOTE
    return "{" + ",\n".join(f"{_dump(k)}: {_dump(v)}" for k, v in sorted(data.items())) + "}\n"


def shard_text(models: Iterable[Model]) -> str:
    """A shard: the generated-file note and the models, one model a line (stable, diffable
    per model)."""
    lines = ",\n".join(map(model_line, models))
    return f'{{{_dump(GENERATED_KEY)}: {_dump(GENERATED_NOTE)},\n"models": [\n{lines}\n]}}\n'


def _dump(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def read_snapshot(package_dir: Path) -> Read:
    """The snapshot of a generated package folder, or the problems that stop reading it."""
    return read_snapshot_file(package_dir / SNAPSHOT_NAME)


def read_snapshot_file(path: Path, origin: str | None = None) -> Read:
    """The registry of a snapshot head at ``path`` (its shards are read beside it), of a
    one-file snapshot, or of registry JSON; ``origin`` names ``path`` in problems.

    The models come sorted by ref, as the registry keeps them. A shard that is missing
    or damaged is a problem located at the shard.
    """
    where = str(path) if origin is None else origin
    data, problem = _json(path, where)
    if problem is not None:
        return None, [problem]
    if not (isinstance(data, dict) and data.get("format") == SNAPSHOT_FORMAT):
        return read_registry_data(data, where)
    try:
        registry = registry_head(data)
        shards = _shard_paths(data)
    except RegistryFormatError as exc:
        return None, [format_problem(exc, where)]
    models: dict[str, Model] = {}
    problems: list[SpecProblem] = []
    for relative in shards:
        problems += _read_shard(path.parent / relative, models)
    if problems:
        return None, problems
    return replace(registry, models=tuple(models[ref] for ref in sorted(models))), []


def _read_shard(path: Path, models: dict[str, Model]) -> list[SpecProblem]:
    """Add the models of the shard at ``path`` to ``models`` (by ref); the problems met."""
    where = str(path)
    data, problem = _json(path, where)
    if problem is not None:
        return [problem]
    try:
        if not isinstance(data, dict):
            raise RegistryFormatError("$", "expected an object with the shard's models")
        found = models_from_data(data.get("models"), "$.models")
    except RegistryFormatError as exc:
        return [format_problem(exc, where)]
    problems = []
    for model in found:
        if models.setdefault(model.ref, model) is not model:
            problems.append(_error(where, f"{model.ref} is in another shard too"))
    return problems


def _shard_paths(head: dict[str, Any]) -> list[str]:
    paths = head.get("model_files")
    if not isinstance(paths, list):
        raise RegistryFormatError("$.model_files", "expected an array")
    for index, path in enumerate(paths):
        if not isinstance(path, str) or not _SHARD_PATH.fullmatch(path):
            raise RegistryFormatError(
                f"$.model_files[{index}]", f"expected a path {SHARD_FOLDER}/<name>/<name>.json"
            )
    return paths


def _json(path: Path, where: str) -> tuple[Any, SpecProblem | None]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, _error(where, f"cannot read: {exc}")
    try:
        return json.loads(text), None
    except ValueError as exc:
        return None, _error(where, f"not JSON: {exc}")


def _error(where: str, message: str) -> SpecProblem:
    return SpecProblem(Level.ERROR, Location(where), message)
