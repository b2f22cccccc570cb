"""Registry stage: the registry as stable JSON (``musicbind registry --json``, read by diff)."""

from __future__ import annotations

import dataclasses
import json
from enum import Enum
from typing import Any

from generator.registry.model import Registry

FORMAT_VERSION = 1


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
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


def registry_to_json(registry: Registry) -> str:
    """Stable JSON text: same registry, same bytes."""
    return (
        json.dumps(registry_to_data(registry), sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    )
