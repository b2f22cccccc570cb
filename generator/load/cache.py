"""Load stage: a cache of loaded documents, so regenerating after one change reloads one file.

Keyed by (display path, sha256 of the bytes, generator hash): a document is
reloaded whenever its bytes or the generator change. Stored as one pickle per
specs folder in the user's cache directory (``$MUSICBIND_CACHE_DIR``, else
``$XDG_CACHE_HOME/musicbind``, else ``~/.cache/musicbind``); a missing, stale,
unreadable or unwritable cache only costs time, never correctness. The same
directory holds :class:`TextCache` files (texts by content key, e.g. each model's
line of the registry snapshot, by the model's emit key).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from musicbind.generator.freshness import cache_dir
from musicbind.generator.load.records import SpecDocument

__all__ = ["LoadCache", "TextCache", "cache_dir"]

_FORMAT = 2
# Below this many documents to load (a few ms each), worker processes cost more than
# they save.
PRELOAD_THRESHOLD = 128
MAX_PRELOAD_BYTES = 16 * 1024 * 1024  # dispatch.MAX_DOCUMENT_BYTES: larger files get its message


class LoadCache:
    """Loaded documents of one specs folder, valid for one generator hash.

    Each document is kept pickled on its own, so saving after one change pickles one
    document and writes the others' bytes as they were read.
    """

    def __init__(self, folder: Path, generator_hash: str) -> None:
        name = hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:16]
        self._file = cache_dir() / f"loaded-{name}.pickle"
        self._tag = (_FORMAT, generator_hash)
        self._entries: dict[tuple[str, str], bytes] = {}
        self._used: dict[tuple[str, str], bytes] = {}
        self._changed = False
        self._read()

    def _read(self) -> None:
        try:
            with self._file.open("rb") as handle:
                tag, entries = pickle.load(handle)  # noqa: S301 - our own file in the user's cache
        except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError):
            return
        if tag == self._tag and isinstance(entries, dict):
            self._entries = entries

    def get(self, display: str, sha: str) -> SpecDocument | None:
        """The cached document for these bytes, if any."""
        blob = self._entries.get((display, sha))
        if blob is None:
            return None
        try:
            found = pickle.loads(blob)  # noqa: S301 - our own file in the user's cache
        except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError):
            return None
        if not isinstance(found, SpecDocument):
            return None
        self._used[(display, sha)] = blob
        return found

    def put(self, document: SpecDocument) -> None:
        """Remember a freshly loaded document."""
        blob = pickle.dumps(document, protocol=pickle.HIGHEST_PROTOCOL)
        self._used[(document.path, document.sha256)] = blob
        self._changed = True

    def preload(self, files: Sequence[tuple[Path, str]]) -> None:
        """Load the documents of ``files`` (path, display path) that are not cached, in
        worker processes when there are many; :meth:`get` then finds them.

        Loading is a pure function of the bytes, so a worker's document is the one this
        process would load. Unreadable or oversized files are left to ``load_file``.
        """
        missing: list[tuple[bytes, str]] = []
        for file, display in files:
            try:
                if file.stat().st_size > MAX_PRELOAD_BYTES:
                    continue
                data = file.read_bytes()
            except OSError:
                continue
            if (display, hashlib.sha256(data).hexdigest()) not in self._entries:
                missing.append((data, display))
        workers = min(os.cpu_count() or 1, 8)
        if len(missing) < PRELOAD_THRESHOLD or workers < 2:
            return
        chunk = max(1, min(32, len(missing) // (workers * 4)))
        with ProcessPoolExecutor(max_workers=workers) as pool:
            blobs = list(pool.map(_load_blob, missing, chunksize=chunk))
        for (data, display), blob in zip(missing, blobs, strict=True):
            self._entries[(display, hashlib.sha256(data).hexdigest())] = blob
        self._changed = True

    def save(self) -> None:
        """Write the documents used in this run (older entries are dropped); nothing to do
        when they are exactly the ones read."""
        if not self._changed and self._used.keys() == self._entries.keys():
            return
        _dump(self._file, (self._tag, self._used))


def _load_blob(job: tuple[bytes, str]) -> bytes:
    """A worker's part of :meth:`LoadCache.preload`: one document, loaded and pickled."""
    from musicbind.generator.load.dispatch import load_bytes

    data, display = job
    return pickle.dumps(load_bytes(data, display), protocol=pickle.HIGHEST_PROTOCOL)


class TextCache:
    """Texts by key (a hash of all they depend on), for one purpose and output folder.

    ``get`` and ``put`` as a mapping; :meth:`save` keeps the entries used in this run.
    """

    def __init__(self, purpose: str, folder: Path) -> None:
        name = hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:16]
        self._file = cache_dir() / f"{purpose}-{name}.pickle"
        self._entries: dict[str, str] = {}
        self._used: dict[str, str] = {}
        self._added = False
        try:
            with self._file.open("rb") as handle:
                tag, entries = pickle.load(handle)  # noqa: S301 - our own file in the user's cache
        except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError):
            return
        if tag == _FORMAT and isinstance(entries, dict):
            self._entries = entries

    def get(self, key: str) -> str | None:
        """The text stored under ``key``, if any."""
        found = self._entries.get(key)
        if found is not None:
            self._used[key] = found
        return found

    def put(self, key: str, text: str) -> None:
        """Store ``text`` under ``key``."""
        self._used[key] = text
        self._added = True

    def save(self) -> None:
        """Write the entries used in this run when it added any (a run that used none, its
        output reused whole, leaves the file as it is)."""
        if self._added:
            _dump(self._file, (_FORMAT, self._used))


def _dump(target: Path, value: object) -> None:
    """Pickle ``value`` to ``target`` atomically; a failure only costs the next run time."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f".{target.stem}-", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temp, target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
    except OSError:
        return
