"""Registry stage: merged models kept between runs, so a model nothing changed for is reused.

A model's merge reads only its own documents (and a gateway endpoint template's), the
overlay's facts about it and the generator's code; :func:`model_key` hashes exactly
those, so a key that matches means the merge would give the same record and the same
problems. Module names are not part of a cached record's key: they depend on the
provider's other models and are claimed afresh on every build
(:func:`generator.registry.build.build_registry`). Kept like the load cache, one folder
of shard files per specs folder in the user's cache folder; a missing, stale or
unreadable file only costs time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

from musicbind.generator.load.cache import PickleCache, cache_dir, folder_name
from musicbind.generator.load.records import SpecProblem
from musicbind.generator.project_files.overlay import ModelFacts
from musicbind.generator.registry.model import Model

__all__ = ["MergedModel", "ModelCache", "model_key"]

_FORMAT = 2
# A merge's result: the model (None: not generated, the problems say why) and its problems.
MergedModel = tuple[Model | None, tuple[SpecProblem, ...]]


def model_key(ref: str, sources: Iterable[tuple[str, str, str]], facts: ModelFacts | None) -> str:
    """The key of one model's merge: its ref, its sources (role, display path, sha256 of
    the document's bytes) in merge order, and the overlay's facts about it (their repr
    holds every value and location, so an edit elsewhere in the overlay leaves it)."""
    digest = hashlib.sha256(f"{ref}\0{facts!r}".encode())
    for role, path, sha256 in sources:
        digest.update(f"\0{role}\0{path}\0{sha256}".encode())
    return digest.hexdigest()


class ModelCache:
    """Merged models by :func:`model_key`, valid for one generator hash.

    A :class:`~generator.load.cache.PickleCache` in 16 shard files by the key's first hex
    digit: saving after one change pickles one model and rewrites one shard.
    """

    def __init__(self, folder: Path, generator_hash: str) -> None:
        self._cache: PickleCache[str, MergedModel] = PickleCache(
            folder, (_FORMAT, generator_hash), lambda key: key[:1], _is_merged
        )

    @classmethod
    def for_specs(cls, specs: Path, generator_hash: str) -> ModelCache:
        """The cache of one specs folder, in the user's cache folder."""
        return cls(cache_dir() / f"models-{folder_name(specs)}", generator_hash)

    def get(self, key: str) -> MergedModel | None:
        """The merge stored under ``key``, if any."""
        return self._cache.get(key)

    def put(self, key: str, merged: MergedModel) -> None:
        """Store a fresh merge under ``key``."""
        self._cache.put(key, merged)

    def save(self) -> None:
        """Write the shards this run added to or used fewer entries of."""
        self._cache.save()


def _is_merged(found: object) -> bool:
    if not (isinstance(found, tuple) and len(found) == 2):
        return False
    model, problems = found
    return (model is None or isinstance(model, Model)) and isinstance(problems, tuple)
