"""Generator: what the generator knows of each provider, one module per provider.

The generic OpenAPI provider (:mod:`generator.providers.generic`) is the default unit; a
provider with its own module (:mod:`generator.providers.fal`) specialises it. The load and
emit stages ask through the functions here, never by testing a provider's name themselves.
The runtime's side of each unit is ``runtime/providers/<name>.py``, the emulator's
``emulator/providers/<name>.py``; docs/providers.md lists every quirk and where it is handled.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any

from musicbind.generator.load.records import JsonValue, SpecOperation, SpecType
from musicbind.generator.providers import aigateway, fal, generic

GENERIC = generic.NAME
# Providers whose generator knowledge differs from the generic unit's; any other name
# (Scenario, every provider bound from its OpenAPI document) is generic here. A unit
# defines only the hooks it specialises; the others are the generic unit's.
UNITS: dict[str, ModuleType] = {fal.NAME: fal, aigateway.NAME: aigateway}


def unit_for(provider: str) -> ModuleType:
    """The generator unit of ``provider``: its own module, else the generic one."""
    return UNITS.get(provider, generic)


def _hook(provider: str, name: str) -> Callable[..., Any]:
    """The unit's hook ``name``, else the generic unit's."""
    found: Callable[..., Any] = getattr(unit_for(provider), name, getattr(generic, name))
    return found


def is_file_input(provider: str, wire_name: str, spec_type: SpecType) -> bool:
    """Whether the input ``wire_name`` of type ``spec_type`` takes a file (uploaded, or the
    URL of one) at ``provider``: the file-field rule of the provider's unit."""
    return bool(_hook(provider, "is_file_input")(wire_name, spec_type))


def endpoint_operation(
    provider: str, paths: Mapping[str, JsonValue], submit_path: str
) -> SpecOperation | None:
    """How a model served by the shared endpoint ``POST submit_path`` of ``provider``'s
    document is called and its job read (the gateway's unit knows; the generic one does not)."""
    found: SpecOperation | None = _hook(provider, "endpoint_operation")(paths, submit_path)
    return found
