"""Diff: what changed between two registries (``musicbind diff``, ``check``, ``sync``)."""
