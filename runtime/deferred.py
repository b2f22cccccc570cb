"""Runtime: a third-party module imported on first use, not when the runtime is imported.

httpx costs about 100 ms to import; a generated client module imports the runtime's
client, which uses httpx only once it sends a request. Modules that use httpx write::

    if TYPE_CHECKING:
        import httpx
    else:
        httpx = deferred_module("httpx")

so type checkers see the module and the first attribute read at run time imports it.
"""

from __future__ import annotations

import importlib
from typing import Any


class _DeferredModule:
    """Stands for a module until an attribute is read, then takes on the module's names."""

    def __init__(self, name: str) -> None:
        self.__name = name

    def __getattr__(self, attribute: str) -> Any:
        # Called only for names not yet copied: the first read imports the module and
        # copies its namespace here, so later reads are plain attribute lookups.
        module = importlib.import_module(self.__name)
        self.__dict__.update(vars(module))
        return getattr(module, attribute)

    def __repr__(self) -> str:
        return f"<module {self.__name!r}, imported on first use>"


def deferred_module(name: str) -> Any:
    """A stand-in for module ``name`` that imports it when an attribute is first read."""
    return _DeferredModule(name)
