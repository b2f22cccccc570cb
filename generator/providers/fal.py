"""Generator: fal's unit: the generic rules plus fal's file-field convention.

fal takes file inputs as public URLs in string fields named ``*_url`` / ``*_urls`` (its
documents type them as plain strings), so those are file inputs too: the runtime checks
them and uploads a local path given there (``runtime/providers/fal.py``).
"""

from __future__ import annotations

from musicbind.generator.load.records import SpecType
from musicbind.generator.providers.generic import is_file_input as generic_is_file_input

NAME = "fal"
URL_SUFFIXES = ("_url", "_urls")


def is_file_input(wire_name: str, spec_type: SpecType) -> bool:
    """The generic rule, or a field named ``*_url`` / ``*_urls``."""
    return generic_is_file_input(wire_name, spec_type) or wire_name.endswith(URL_SUFFIXES)
