"""Registry stage: merged models kept between runs, so a model nothing changed for is reused.

A model's merge reads only its own documents (and a gateway endpoint template's), the
overlay's facts about it and the generator's code; :func:`model_key` hashes exactly
those, so a key that matches means the merge would give the same record and the same
problems. Module names are not part of a cached record's key: they depend on the
provider's other models and are claimed afresh on every build
(:func:`generator.registry.build.build_registry`). Kept like the load cache, one folder
of shard files per specs folder in the user's cache folder; a missing, stale or
unreadable file only costs time.

A model read back is a :class:`CachedModel`: the fields that name and place it are
restored at once, the rest (its fields, shapes, rules, pricing: most of its objects) only
when first asked for. A regeneration after one change of 10,000 models asks for them of
the changed models alone (every other file they appear in is reused), and restoring
every model whole cost a quarter of that run.
"""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from musicbind.generator.load.cache import PickleCache, cache_dir, folder_name, pickled
from musicbind.generator.load.records import SpecProblem
from musicbind.generator.project_files.overlay import ModelFacts
from musicbind.generator.registry.model import Model

__all__ = ["CachedModel", "MergedModel", "ModelCache", "model_key"]

_FORMAT = 3
# A merge's result: the model (None: not generated, the problems say why) and its problems.
MergedModel = tuple[Model | None, tuple[SpecProblem, ...]]
# As stored: the model's light fields (None: no model), the whole model pickled, problems.
_Stored = tuple[tuple[Any, ...] | None, bytes, tuple[SpecProblem, ...]]
_FIELDS: tuple[str, ...] = Model.__slots__  # a slotted dataclass's slots: its fields, in order
# What names and places a model: every run reads these of every model.
_LIGHT = (
    "ref",
    "provider",
    "model_id",
    "module_name",
    "method_name",
    "input_class",
    "input_fields_class",
    "output_class",
    "title",
    "description",
    "category",
    "capabilities",
    "sources",
    "operation",
)
_HEAVY = tuple(name for name in _FIELDS if name not in _LIGHT)


class CachedModel(Model):
    """A model read back from the cache: equal to, and used as, the model it was stored
    from; its heavy fields (:data:`_HEAVY`) are unpickled on first access."""

    __slots__ = ("_whole",)

    @classmethod
    def restore(cls, light: tuple[Any, ...], whole: bytes) -> CachedModel:
        """The model whose light fields are ``light`` and whole pickle ``whole``."""
        model = object.__new__(cls)
        for name, value in zip(_LIGHT, light, strict=True):
            object.__setattr__(model, name, value)
        object.__setattr__(model, "_whole", whole)
        return model

    def __getattr__(self, name: str) -> Any:
        # Only called for a slot not set yet: a heavy field of a model restored light.
        if name not in _HEAVY:
            raise AttributeError(name)
        whole = object.__getattribute__(self, "_whole")
        model = pickle.loads(whole)  # noqa: S301 - our own cache, read with its shard
        if not isinstance(model, Model) or model.ref != self.ref:
            raise ValueError(f"the model cache's entry for {self.ref} is damaged")
        for heavy in _HEAVY:
            object.__setattr__(self, heavy, getattr(model, heavy))
        return object.__getattribute__(self, name)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Model):
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n) for n in _FIELDS)

    __hash__ = Model.__hash__

    def __repr__(self) -> str:
        return repr(self._plain())

    def __reduce__(self) -> tuple[type, tuple[Any, ...]]:
        return Model, tuple(getattr(self, name) for name in _FIELDS)

    def _plain(self) -> Model:
        return Model(*(getattr(self, name) for name in _FIELDS))


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
        self._cache: PickleCache[str, _Stored] = PickleCache(
            folder, (_FORMAT, generator_hash), lambda key: key[:1], _is_stored
        )

    @classmethod
    def for_specs(cls, specs: Path, generator_hash: str) -> ModelCache:
        """The cache of one specs folder, in the user's cache folder."""
        return cls(cache_dir() / f"models-{folder_name(specs)}", generator_hash)

    def get(self, key: str) -> MergedModel | None:
        """The merge stored under ``key``, if any (its model a :class:`CachedModel`)."""
        found = self._cache.get(key)
        if found is None:
            return None
        light, whole, problems = found
        return (None if light is None else CachedModel.restore(light, whole)), problems

    def put(self, key: str, merged: MergedModel) -> None:
        """Store a fresh merge under ``key``."""
        model, problems = merged
        if model is None:
            self._cache.put(key, (None, b"", problems))
        else:
            light = tuple(getattr(model, name) for name in _LIGHT)
            self._cache.put(key, (light, pickled(model), problems))

    def save(self) -> None:
        """Write the shards this run added to or used fewer entries of."""
        self._cache.save()


def _is_stored(found: object) -> bool:
    if not (isinstance(found, tuple) and len(found) == 3):
        return False
    light, whole, problems = found
    named = light is None or (isinstance(light, tuple) and len(light) == len(_LIGHT))
    return named and isinstance(whole, bytes) and isinstance(problems, tuple)
