"""musicbind: typed, validated bindings for paid music-generation APIs."""

__version__ = "0.1.0"
