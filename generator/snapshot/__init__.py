"""Snapshot: the registry as JSON (``musicbind registry --json``, ``_registry.json``) and back."""
