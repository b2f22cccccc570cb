"""Emit stage: the texts of a run, held compressed until the writer takes them.

A catalogue of 10,000 models emits about 200 MB of text (modules, method modules,
reference pages, the registry snapshot), all rendered before the first file is written:
the writer writes nothing when the safety gate refuses a module. Held as they are, the
texts were a third of the run's memory; compressed (zlib's fastest level) they take a
sixth of it, for about a second of work at that size.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator, Mapping, MutableMapping

_LEVEL = 1  # zlib's fastest: generated code and JSON still shrink five- to tenfold
_ENCODING = ("utf-8", "surrogatepass")  # every str round-trips, whatever its code points


class Texts(MutableMapping[str, str]):
    """Path -> text, each text kept compressed (a dict to read and write)."""

    __slots__ = ("_data",)

    def __init__(self, items: Mapping[str, str] | Iterable[tuple[str, str]] = ()) -> None:
        self._data: dict[str, bytes] = {}
        self.merge(items)

    def __getitem__(self, path: str) -> str:
        return zlib.decompress(self._data[path]).decode(*_ENCODING)

    def __setitem__(self, path: str, text: str) -> None:
        self._data[path] = zlib.compress(text.encode(*_ENCODING), _LEVEL)

    def __delitem__(self, path: str) -> None:
        del self._data[path]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"Texts({len(self)} files)"

    def merge(self, items: Mapping[str, str] | Iterable[tuple[str, str]]) -> None:
        """Add ``items`` (another :class:`Texts` without decompressing it)."""
        if isinstance(items, Texts):
            self._data.update(items._data)
            return
        pairs = items.items() if isinstance(items, Mapping) else items
        for path, text in pairs:
            self[path] = text

    def in_order(self) -> Texts:
        """The same texts, in path order."""
        ordered = Texts()
        ordered._data = dict(sorted(self._data.items()))
        return ordered
