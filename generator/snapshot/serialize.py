"""Snapshot: the registry as stable JSON (``musicbind registry --json``, read by diff)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import replace
from enum import Enum
from typing import Any

from musicbind.generator.registry.model import Model, Registry

FORMAT_VERSION = 1


def _names(cls: type) -> tuple[tuple[str, bool], ...]:
    """(field name, left out when None) of a record class."""
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(
            (f.name, bool(f.metadata.get("omit_when_none"))) for f in dataclasses.fields(cls)
        )
    return names


_FIELD_NAMES: dict[type, tuple[tuple[str, bool], ...]] = {}


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float):
        return value.value if isinstance(value, Enum) else value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            name: _plain(item)
            for name, omit in _names(type(value))
            if (item := getattr(value, name)) is not None or not omit
        }
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def registry_to_data(registry: Registry) -> dict[str, Any]:
    """Plain data: providers and models sorted, fields in document order, problems sorted."""
    data: dict[str, Any] = _plain(registry)
    data["problems"] = [str(p) for p in registry.problems]
    data["format"] = FORMAT_VERSION
    for provider in data["providers"]:
        provider["statuses"] = dict(provider["statuses"])
    return data


def model_line(model: Model) -> str:
    """One model's line of :func:`registry_to_lines` (compact JSON, sorted keys)."""
    return json.dumps(_plain(model), sort_keys=True, ensure_ascii=False)


def registry_to_lines(registry: Registry, line_of: Callable[[Model], str] = model_line) -> str:
    """The same JSON as :func:`registry_to_json`, laid out one model a line.

    Stable and diffable per model, and fast: each model goes through the C encoder
    (an indent forces the pure-Python one, 20x slower on a thousand models).
    ``line_of``: :func:`model_line`, or a cache of its results (a regeneration after one
    change serialises one model).
    """
    data = registry_to_data(replace(registry, models=()))
    data.pop("models")

    def dump(value: Any) -> str:
        return json.dumps(value, sort_keys=True, ensure_ascii=False)

    head = ",\n".join(f"{dump(k)}: {dump(v)}" for k, v in sorted(data.items()))
    # One join over every piece: the text of a large catalogue (about 12 KB a model) is
    # built once, not once for the models and again with the head around them.
    parts = [f'{{{head},\n"models": [\n']
    for index, model in enumerate(registry.models):
        parts += (",\n", line_of(model)) if index else (line_of(model),)
    parts.append("\n]}\n")
    return "".join(parts)


def registry_to_json(registry: Registry) -> str:
    """Stable JSON text: same registry, same bytes."""
    return (
        json.dumps(registry_to_data(registry), sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    )
