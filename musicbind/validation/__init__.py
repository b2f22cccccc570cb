"""Payload validation as the CLI does it: files -> payloads -> findings -> a report.

``musicbind validate`` and ``musicbind run`` share this: reading payload files with
positions, validating them against a bindings package, and wording pydantic's errors
as located findings that cite the spec.
"""
