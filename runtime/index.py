"""Runtime: the lazy ref -> binding lookup behind ``generated.list_bindings`` / ``get_binding``.

Kept free of pydantic imports so that importing a generated package costs
almost nothing; a model's module is imported the first time its binding is asked for.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from musicbind.runtime.binding import Binding

API_VERSIONS = frozenset({1})
"""The runtime APIs generated packages may be written against (``api=`` of BindingIndex).

A generated package names the API it was emitted for; a runtime that dropped that API
refuses it on import, instead of failing later on a missing name.
"""


class RuntimeMismatchError(ImportError):
    """A generated package needs a runtime API the installed musicbind does not have."""


class BindingIndex:
    """Refs of one generated package, resolved to bindings on demand."""

    def __init__(self, package: str, modules: Mapping[str, str], *, api: int = 1) -> None:
        if api not in API_VERSIONS:
            from musicbind.runtime.version import __version__

            supported = ", ".join(str(v) for v in sorted(API_VERSIONS))
            raise RuntimeMismatchError(
                f"{package} was generated for musicbind runtime API {api}; the installed "
                f"musicbind {__version__} supports runtime API {supported}. Regenerate it "
                "(musicbind generate) or install the musicbind version that generated it."
            )
        self._package = package
        self._modules = dict(modules)

    def list_bindings(self) -> list[str]:
        """Every ref this package binds, sorted."""
        return sorted(self._modules)

    def get_binding(self, ref: str) -> Binding:
        """The binding for ``ref``; an unknown ref raises LookupError naming the closest refs."""
        module = self._modules.get(ref)
        if module is None:
            raise LookupError(self._unknown(ref))
        loaded = importlib.import_module(f"{self._package}.{module}")
        binding: Binding = loaded.BINDING
        return binding

    def _unknown(self, ref: str) -> str:
        import difflib  # only for an unknown ref: importing it costs a bindings import ~15 ms

        refs = self.list_bindings()
        close = difflib.get_close_matches(ref, refs, n=3, cutoff=0.5)
        if not close:
            # Also match on the model id alone, so "sonilo/v1.1/video-to-music" finds "fal:...".
            by_id = {r.split(":", 1)[-1]: r for r in refs}
            close = [by_id[m] for m in difflib.get_close_matches(ref, list(by_id), n=3, cutoff=0.5)]
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        return f"no binding for {ref!r}{hint} (known: {len(refs)} refs, see list_bindings())"
