"""Load stage: a cache of loaded documents, so regenerating after one change reloads one file.

Keyed by (display path, sha256 of the bytes, generator hash): a document is
reloaded whenever its bytes or the generator change. Stored as one pickle per
specs folder in the user's cache directory (``$MUSICBIND_CACHE_DIR``, else
``$XDG_CACHE_HOME/musicbind``, else ``~/.cache/musicbind``); a missing, stale,
unreadable or unwritable cache only costs time, never correctness.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from pathlib import Path

from musicbind.generator.load.records import SpecDocument

_FORMAT = 1


def cache_dir() -> Path:
    """Where musicbind keeps caches."""
    explicit = os.environ.get("MUSICBIND_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "musicbind"


class LoadCache:
    """Loaded documents of one specs folder, valid for one generator hash."""

    def __init__(self, folder: Path, generator_hash: str) -> None:
        name = hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:16]
        self._file = cache_dir() / f"loaded-{name}.pickle"
        self._tag = (_FORMAT, generator_hash)
        self._entries: dict[tuple[str, str], SpecDocument] = {}
        self._used: dict[tuple[str, str], SpecDocument] = {}
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
        found = self._entries.get((display, sha))
        if found is not None:
            self._used[(display, sha)] = found
        return found

    def put(self, document: SpecDocument) -> None:
        """Remember a freshly loaded document."""
        self._used[(document.path, document.sha256)] = document

    def save(self) -> None:
        """Write the documents used in this run (older entries are dropped)."""
        try:
            self._file.parent.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(prefix=".loaded-", dir=self._file.parent)
            with os.fdopen(fd, "wb") as handle:
                pickle.dump((self._tag, self._used), handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temp, self._file)
        except OSError:
            return
