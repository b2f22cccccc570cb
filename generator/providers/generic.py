"""Generator: the generic OpenAPI provider's unit, the default every provider specialises.

Every hook a provider unit may define has its default here:

- ``is_file_input``: an input is a file when its type is a file (OpenAPI ``format: binary``
  or Swagger ``type: file``, Scenario's ``file`` rows, a fal file type), or an array of files.
- ``endpoint_operation``: None. A generic provider's calls are read per operation by
  ``generator/load/openapi_generic.py`` (a job, by ``openapi_generic_jobs.py``, when the
  document shows its status answer); only a unit whose document leaves that out (the
  gateway's) builds them here.
"""

from __future__ import annotations

from collections.abc import Mapping

from musicbind.generator.load.records import JsonValue, SpecOperation, SpecType, TypeKind

NAME = "openapi"


def is_file_input(wire_name: str, spec_type: SpecType) -> bool:
    """A file, or an array of files, by its type alone (the name says nothing here)."""
    if spec_type.kind is TypeKind.ARRAY and spec_type.items is not None:
        return spec_type.items.kind is TypeKind.FILE
    return spec_type.kind is TypeKind.FILE


def endpoint_operation(paths: Mapping[str, JsonValue], submit_path: str) -> SpecOperation | None:
    """No shared-endpoint job protocol: see the module docstring."""
    return None
