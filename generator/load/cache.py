"""Load stage: a cache of loaded documents, so regenerating after one change reloads one file.

Keyed by (display path, sha256 of the bytes, generator hash): a document is
reloaded whenever its bytes or the generator change. Kept in the user's cache
directory (``$MUSICBIND_CACHE_DIR``, else ``$XDG_CACHE_HOME/musicbind``, else
``~/.cache/musicbind``), one folder per specs folder, spread over 16 shard files by a
hash of the key: a shard is read when a key in it is first asked for and written again
only when this run changed it, so one changed document among 10,000 rewrites one shard
(about 1.5 MB), not the whole cache (25 MB). More shards would cost a cold run a file
creation each for little gain. A missing, stale,
unreadable or unwritable cache only costs time, never correctness.
"""

from __future__ import annotations

import contextlib
import hashlib
import pickle
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Generic, TypeVar

from musicbind.generator.freshness import cache_dir, write_cache_file
from musicbind.generator.load.records import SpecDocument, SpecModel

__all__ = [
    "LoadCache",
    "PickleCache",
    "cache_dir",
    "folder_name",
    "pickled",
    "summary",
]

_FORMAT = 4
_K = TypeVar("_K", bound=Hashable)
_V = TypeVar("_V")
# What unpickling a damaged or outdated entry raises (ImportError: a record class moved).
_UNREADABLE = (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, ImportError)
_ERRORS = (OSError, *_UNREADABLE)


@dataclass(slots=True)
class _Shard(Generic[_K, _V]):
    entries: dict[_K, _V]  # as read
    used: dict[_K, _V] = field(default_factory=dict)  # asked for or added in this run
    changed: bool = False  # added to in this run


class _ShardedStore(Generic[_K, _V]):
    """Entries in shard files named by a hex digit of a key's hash; each shard is read
    on first use and, on :meth:`save`, written again only when this run added to it or
    used fewer of its entries than it holds (those are dropped)."""

    def __init__(self, folder: Path, tag: object, shard_of: Callable[[_K], str]) -> None:
        self._folder = folder
        self._tag = tag
        self._shard_of = shard_of
        self._shards: dict[str, _Shard[_K, _V]] = {}

    def _shard(self, key: _K) -> _Shard[_K, _V]:
        name = self._shard_of(key)
        shard = self._shards.get(name)
        if shard is None:
            shard = self._shards[name] = _Shard(self._read(self._folder / f"{name}.pickle"))
        return shard

    def _read(self, file: Path) -> dict[_K, _V]:
        try:
            tag, entries = pickle.loads(file.read_bytes())  # noqa: S301 - our own file
        except _ERRORS:
            return {}
        return entries if tag == self._tag and isinstance(entries, dict) else {}

    def has(self, key: _K) -> bool:
        """Whether ``key`` is stored (from an earlier run or added in this one)."""
        shard = self._shard(key)
        return key in shard.entries or key in shard.used

    def get(self, key: _K) -> _V | None:
        """The entry stored under ``key``, if any; kept by :meth:`save`."""
        shard = self._shard(key)
        found = shard.used.get(key)
        if found is None:
            found = shard.entries.get(key)
            if found is not None:
                shard.used[key] = found
        return found

    def put(self, key: _K, value: _V) -> None:
        """Store ``value`` under ``key``."""
        shard = self._shard(key)
        shard.used[key] = value
        shard.changed = True

    def save(self) -> None:
        """Write the shards this run changed, each with the entries this run used."""
        for name, shard in self._shards.items():
            if shard.changed or shard.used.keys() != shard.entries.keys():
                data = pickle.dumps((self._tag, shard.used), protocol=pickle.HIGHEST_PROTOCOL)
                write_cache_file(self._folder / f"{name}.pickle", data)
        if self._shards:  # the one-file cache of earlier versions, if it is still there
            with contextlib.suppress(OSError):
                self._folder.with_suffix(".pickle").unlink(missing_ok=True)


def folder_name(folder: Path) -> str:
    """A short name for a specs or output folder, for the cache folders kept about it."""
    return hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:16]


def _hash_shard(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:1]


class PickleCache(Generic[_K, _V]):
    """Values kept pickled one by one, by key, in a :class:`_ShardedStore`.

    ``valid`` says whether an unpickled object is a value of this cache (an entry of other
    code, or a damaged one, is not: the caller builds the value again). Saving after one
    change pickles one value and writes the others of its shard as they were read;
    entries this run did not ask for are dropped from the shards that are written.
    """

    def __init__(
        self,
        place: Path,
        tag: object,
        shard_of: Callable[[_K], str],
        valid: Callable[[object], bool],
    ) -> None:
        self._store: _ShardedStore[_K, bytes] = _ShardedStore(place, tag, shard_of)
        self._valid = valid

    def has(self, key: _K) -> bool:
        """Whether a value is stored under ``key`` (without unpickling it)."""
        return self._store.has(key)

    def get(self, key: _K) -> _V | None:
        """The value stored under ``key``, if any and readable."""
        blob = self._store.get(key)
        if blob is None:
            return None
        try:
            found = pickle.loads(blob)  # noqa: S301 - our own file in the user's cache
        except _UNREADABLE:
            return None
        return found if self._valid(found) else None

    def put(self, key: _K, value: _V) -> None:
        """Store ``value`` under ``key``."""
        self._store.put(key, pickled(value))

    def keep(self, key: _K) -> None:
        """Keep the entry under ``key`` on :meth:`save` without unpickling it."""
        self._store.get(key)

    def put_pickled(self, key: _K, blob: bytes) -> None:
        """Store a value pickled elsewhere (a worker process) by :func:`pickled`."""
        self._store.put(key, blob)

    def save(self) -> None:
        """Write the shards this run changed, or used fewer entries of than they hold."""
        self._store.save()


def pickled(value: object) -> bytes:
    """A value as :class:`PickleCache` stores it."""
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


class LoadCache:
    """Loaded documents of one specs folder, valid for one generator hash, by (display
    path, sha256 of the bytes).

    With ``summaries``, :meth:`get` gives a cached document's :func:`summary` (its models
    only name themselves), which unpickles in a fraction of the time, and :meth:`whole`
    the whole document for the models that must be merged again.
    """

    def __init__(self, folder: Path, generator_hash: str, *, summaries: bool = False) -> None:
        self._cache: PickleCache[tuple[str, str], SpecDocument] = PickleCache(
            cache_dir() / f"loaded-{folder_name(folder)}",
            (_FORMAT, generator_hash),
            lambda key: _hash_shard(key[0]),
            lambda found: isinstance(found, SpecDocument),
        )
        self._summaries = summaries
        self._summarised: set[tuple[str, str]] = set()  # the keys get() gave a summary of

    def has(self, display: str, sha: str) -> bool:
        """Whether a document with these bytes is cached (without unpickling it)."""
        return self._cache.has((display, sha))

    def get(self, display: str, sha: str) -> SpecDocument | None:
        """The cached document for these bytes (or its summary, see the class), if any."""
        if not self._summaries:
            return self._cache.get((display, sha))
        if not self._cache.has((display, sha)):
            return None
        self._cache.keep((display, sha))
        found = self._cache.get((display, _summary_key(sha)))
        if found is not None:
            self._summarised.add((display, sha))
        else:  # an entry from a worker process, or damaged: summarised now
            found = self._cache.get((display, sha))
            if found is not None:
                self._cache.put((display, _summary_key(sha)), summary(found))
        return found

    def summarised(self, display: str, sha: str) -> bool:
        """Whether :meth:`get` gave the summary of this document, not the whole of it."""
        return (display, sha) in self._summarised

    def whole(self, display: str, sha: str) -> SpecDocument | None:
        """The whole cached document for these bytes, if any."""
        return self._cache.get((display, sha))

    def put(self, document: SpecDocument) -> None:
        """Remember a freshly loaded document."""
        self._cache.put((document.path, document.sha256), document)
        if self._summaries:
            self._cache.put((document.path, _summary_key(document.sha256)), summary(document))

    def add_pickled(self, display: str, sha: str, blob: bytes) -> None:
        """Remember a document loaded elsewhere (a worker process), as :func:`pickled` gave it."""
        self._cache.put_pickled((display, sha), blob)

    def save(self) -> None:
        """Write the shards whose documents changed (documents not asked for in this run
        are dropped from the shards that are written)."""
        self._cache.save()


def _summary_key(sha: str) -> str:
    return f"{sha}:summary"


def summary(document: SpecDocument) -> SpecDocument:
    """``document`` with each model reduced to what says which model it is (provider, id,
    location, endpoint): all the registry build reads of a model it takes from its cache."""
    models = tuple(
        SpecModel(
            m.provider,
            m.model_id,
            m.location,
            endpoint=m.endpoint,
            endpoint_template=m.endpoint_template,
        )
        for m in document.models
    )
    return replace(document, models=models)
