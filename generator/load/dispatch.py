"""Load stage: read a file, detect its document kind from its content, hand it to its loader."""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Protocol, cast

from musicbind.generator.load.cache import LoadCache, pickled
from musicbind.generator.load.decoding import decode_document
from musicbind.generator.load.records import (
    DocumentKind,
    Level,
    Location,
    SpecDocument,
    SpecProblem,
)

MAX_DOCUMENT_BYTES = 16 * 1024 * 1024
# Below this many documents to load (a few ms each), worker processes cost more than
# they save.
PRELOAD_THRESHOLD = 128

# Detection order matters: OpenAPI is structured data and is tried first; a fal page may
# carry a pasted OpenAPI document, so fal pages are tried before the other markdown kinds.
_LOADER_MODULES: tuple[tuple[DocumentKind, str], ...] = (
    (DocumentKind.OPENAPI, "musicbind.generator.load.openapi"),
    (DocumentKind.FAL_MODELS_API, "musicbind.generator.load.fal_models_api"),
    (DocumentKind.FAL_PAGE, "musicbind.generator.load.fal_page"),
    (DocumentKind.SCENARIO_TABLE, "musicbind.generator.load.scenario_table"),
    (DocumentKind.GATEWAY_PAGE, "musicbind.generator.load.gateway_page"),
)


class _Loader(Protocol):
    def looks_like(self, text: str) -> bool: ...

    def load(self, text: str, path: str) -> SpecDocument: ...


def _loader(module: str) -> _Loader:
    return cast(_Loader, importlib.import_module(module))


def sha256_hex(data: bytes) -> str:
    """The hex sha256 of ``data`` (documents are identified by their bytes)."""
    return hashlib.sha256(data).hexdigest()


def detect_kind(text: str) -> DocumentKind | None:
    """The kind of a document, from its content alone; None when no loader recognises it."""
    for kind, module in _LOADER_MODULES:
        if _loader(module).looks_like(text):
            return kind
    return None


def load_bytes(data: bytes, path: str) -> SpecDocument:
    """Load one document given as bytes; ``path`` is what problems will name."""
    digest = sha256_hex(data)
    text, problems = decode_document(data, path)
    if text is None:
        return SpecDocument(path, DocumentKind.UNKNOWN, digest, problems=tuple(problems))
    kind = detect_kind(text)
    if kind is None:
        known = ", ".join(k.value for k, _ in _LOADER_MODULES)
        problem = SpecProblem(
            Level.ERROR,
            Location(path, 1),
            f"not a document musicbind can read (known kinds: {known}); "
            "check that the file is a provider's OpenAPI document or model page",
        )
        return SpecDocument(path, DocumentKind.UNKNOWN, digest, problems=(*problems, problem))
    document = dict(_LOADER_MODULES)[kind]
    loaded = _loader(document).load(text, path)
    problems += [*loaded.problems, *_not_unicode(loaded, text)]
    return dataclasses.replace(loaded, sha256=digest, problems=tuple(problems))


# A lone surrogate: what a JSON "\ud800" escape without its pair decodes to. It is not
# Unicode text and cannot be written as UTF-8 (generated files, the registry snapshot).
_SURROGATE = re.compile("[\ud800-\udfff]")
# What can make one from a decoded text: a surrogate itself, or a JSON or YAML escape of one
# (\ud800, \U0000d800). Text without them needs no walk over every loaded string.
_SURROGATE_SOURCE = re.compile(r"[\ud800-\udfff]|\\(?:u|U0000)[dD][89a-fA-F]")


def _not_unicode(document: SpecDocument, text: str) -> list[SpecProblem]:
    """An error per place where a loaded fact holds a lone surrogate (its model is skipped)."""
    if _SURROGATE_SOURCE.search(text) is None:
        return []
    problems: dict[Location, SpecProblem] = {}
    for model in document.models:
        for where, text in _texts(model, model.location):
            found = _SURROGATE.search(text)
            if found is not None and where not in problems:
                problems[where] = SpecProblem(
                    Level.ERROR,
                    where,
                    f"text {text[:40]!a} holds a lone surrogate ({found.group()!a}), "
                    "which is not Unicode: write the character itself, or a complete "
                    "surrogate pair, or remove it",
                )
    return list(problems.values())


def _texts(value: object, where: Location) -> Iterator[tuple[Location, str]]:
    """Every string in a loaded record (keys included), with the nearest location."""
    if isinstance(value, str):
        yield where, value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        inner = getattr(value, "location", where)
        inner = inner if isinstance(inner, Location) else where
        for item in dataclasses.fields(value):
            yield from _texts(getattr(value, item.name), inner)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _texts(key, where)
            yield from _texts(item, where)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _texts(item, where)


def load_file(
    file: Path, display: str, cache: LoadCache | None = None, sha: str | None = None
) -> SpecDocument:
    """Load one document from disk, refusing unreadable or oversized files with a located error.

    ``sha``: the hash of its bytes, when known (see :class:`generator.freshness.Stamps`):
    a document the cache holds for it is not read at all.
    """
    if cache is not None and sha is not None and cache.has(display, sha):
        found = cache.get(display, sha)
        if found is not None:
            return found
    try:
        size = file.stat().st_size
        if size > MAX_DOCUMENT_BYTES:
            message = (
                f"file is {size} bytes, over the {MAX_DOCUMENT_BYTES}-byte limit for a document"
            )
            return _unreadable(display, message)
        data = file.read_bytes()
    except OSError as exc:
        return _unreadable(display, f"cannot read the file: {exc.strerror or exc}")
    if cache is None:
        return load_bytes(data, display)
    cached = cache.get(display, sha256_hex(data))
    if cached is not None:
        return cached
    document = load_bytes(data, display)
    cache.put(document)
    return document


def _unreadable(display: str, message: str) -> SpecDocument:
    problem = SpecProblem(Level.ERROR, Location(display), message)
    return SpecDocument(display, DocumentKind.UNKNOWN, "", problems=(problem,))


def preload(
    cache: LoadCache, files: Sequence[tuple[Path, str]], hashes: Mapping[str, str] | None = None
) -> None:
    """Load the documents of ``files`` (path, display path) that ``cache`` lacks, in worker
    processes when there are many; :func:`load_file` then finds them in the cache.

    Loading is a pure function of the bytes, so a worker's document is the one this
    process would load. Unreadable or oversized files are left to :func:`load_file`.
    ``hashes``: the hash of a document's bytes by display path, when known: a document
    the cache holds for it is not read.
    """
    missing: list[tuple[bytes, str]] = []
    known = hashes or {}
    for file, display in files:
        sha = known.get(display)
        if sha is not None and cache.has(display, sha):
            continue
        try:
            if file.stat().st_size > MAX_DOCUMENT_BYTES:
                continue
            data = file.read_bytes()
        except OSError:
            continue
        if not cache.has(display, sha256_hex(data)):
            missing.append((data, display))
    workers = min(os.cpu_count() or 1, 8)
    if len(missing) < PRELOAD_THRESHOLD or workers < 2:
        return
    chunk = max(1, min(32, len(missing) // (workers * 4)))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        blobs = list(pool.map(_load_pickled, missing, chunksize=chunk))
    for (data, display), blob in zip(missing, blobs, strict=True):
        cache.add_pickled(display, sha256_hex(data), blob)


def _load_pickled(job: tuple[bytes, str]) -> bytes:
    """A worker's part of :func:`preload`: one document, loaded and pickled."""
    data, display = job
    return pickled(load_bytes(data, display))
