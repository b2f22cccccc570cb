"""musicbind: typed, validated bindings for paid music-generation APIs."""

from musicbind.runtime.version import __version__

__all__ = ["__version__"]
