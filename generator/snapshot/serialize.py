"""Snapshot: the registry as stable JSON (``musicbind registry --json``, read by diff)."""

from __future__ import annotations

import dataclasses
import json
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
    """One model as compact JSON with sorted keys: a line of a registry snapshot shard.

    Each model goes through the C encoder on its own (an indent forces the pure-Python
    one, 20x slower on a thousand models).
    """
    return json.dumps(_plain(model), sort_keys=True, ensure_ascii=False)


def registry_to_json(registry: Registry) -> str:
    """Stable JSON text: same registry, same bytes."""
    return (
        json.dumps(registry_to_data(registry), sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    )
