"""Tooling: what ``musicbind validate``, ``diff`` and ``schema`` do, kept out of the commands."""
