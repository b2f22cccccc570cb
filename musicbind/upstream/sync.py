"""Tooling: what ``musicbind sync`` and ``add`` do with an upstream answer, command-free.

Each manifest document is read upstream (:mod:`musicbind.upstream.fetch`) and sorted
into one :class:`Outcome`: not modified (304), unchanged (the same bytes), changed (new
bytes that load without errors as the manifest's kind), refused (new bytes that do not:
the old copy is kept) or failed (no answer). The content check loads the new bytes with
the generator's own loaders (:func:`musicbind.generator.load.dispatch.load_bytes`), so a
document is only taken when ``musicbind generate`` would read it.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path

import httpx

from musicbind.generator.load.dispatch import load_bytes
from musicbind.generator.load.records import Level, SpecDocument
from musicbind.generator.project_files.overlay import (
    ManifestEntry,
    entity_tag_problem,
    http_date_problem,
)
from musicbind.generator.registry.model import Registry
from musicbind.generator.settings import BuildSettings, display_path
from musicbind.upstream.fetch import Fetched, UpstreamError, fetch, printable, resolve_url

UPSTREAM_PREFIX = "upstream:"  # how problems name a document read upstream


class Status(StrEnum):
    """What became of one document."""

    NOT_MODIFIED = "not modified"
    UNCHANGED = "unchanged"
    CHANGED = "changed"
    REFUSED = "refused"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class Outcome:
    """One document's result; ``content`` is set for CHANGED (the bytes to take)."""

    entry: ManifestEntry
    status: Status
    detail: str = ""
    content: bytes | None = None
    fetched: Fetched | None = None

    @property
    def validators(self) -> dict[str, str]:
        """The new ETag / Last-Modified worth keeping (valid ones that changed)."""
        if self.fetched is None:
            return {}
        found = kept_validators(self.fetched.etag, self.fetched.last_modified)
        old = {"etag": self.entry.etag, "last_modified": self.entry.last_modified}
        return {key: value for key, value in found.items() if old[key] != value}


def kept_validators(etag: str | None, last_modified: str | None) -> dict[str, str]:
    """The manifest fields for an answer's ``ETag`` and ``Last-Modified`` (valid ones only:
    a server's malformed validator is not kept, so the manifest always reads back)."""
    found: dict[str, str] = {}
    if etag and entity_tag_problem(etag) is None:
        found["etag"] = etag
    if last_modified and http_date_problem(last_modified) is None:
        found["last_modified"] = last_modified
    return found


def content_problem(document: SpecDocument, kind: str) -> str | None:
    """Why a document read upstream cannot replace ours, or None when it can."""
    errors = [p for p in document.problems if p.level is Level.ERROR]
    if errors:
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        return f"it does not load: {printable(str(errors[0]))}{more}"
    if document.kind.value != kind:
        return f"it reads as {document.kind.value!r}, the manifest says {kind!r}"
    return None


def check_content(data: bytes, display: str, kind: str) -> tuple[SpecDocument, str | None]:
    """The document ``data`` loads as, and why it is refused (None when it is taken)."""
    document = load_bytes(data, UPSTREAM_PREFIX + display)
    return document, content_problem(document, kind)


def sync_one(
    client: httpx.Client,
    specs: Path,
    base: Path,
    entry: ManifestEntry,
    environ: Mapping[str, str],
) -> Outcome:
    """Read one manifest document upstream and judge the answer."""
    if not entry.origin:
        return Outcome(entry, Status.SKIPPED, "no origin in the manifest")
    local = specs / entry.path
    try:
        current: bytes | None = local.read_bytes()
    except OSError:
        current = None
    try:
        url = resolve_url(entry.origin, entry.provider, environ)
        fetched = fetch(
            client,
            url,
            etag=entry.etag if current is not None else None,
            last_modified=entry.last_modified if current is not None else None,
        )
    except UpstreamError as exc:
        return Outcome(entry, Status.FAILED, str(exc))
    if fetched.not_modified:
        return Outcome(entry, Status.NOT_MODIFIED, "304", fetched=fetched)
    content = fetched.content or b""
    if content == current:
        return Outcome(entry, Status.UNCHANGED, fetched=fetched)
    _, problem = check_content(content, display_path(local, base), entry.kind)
    if problem is not None:
        return Outcome(entry, Status.REFUSED, problem + "; the old copy is kept", fetched=fetched)
    before = f"{len(current):,}" if current is not None else "no local copy"
    detail = f"{before} -> {len(content):,} bytes"
    return Outcome(entry, Status.CHANGED, detail, content, fetched)


def preview_registry(
    specs: Path, settings: BuildSettings, replacements: Mapping[str, bytes]
) -> Registry:
    """The registry the specs would give with ``replacements`` (path -> bytes) taken,
    built from a copy: the specs folder itself is not touched."""
    from musicbind.generator.ingest import build_from_specs

    base = settings.display_base(specs)
    try:
        where = specs.resolve().relative_to(base.resolve())
    except ValueError:
        where = Path(specs.name)
    with tempfile.TemporaryDirectory(prefix="musicbind-sync-") as folder:
        copy = Path(folder) / where
        shutil.copytree(specs, copy, symlinks=False)
        for path, data in replacements.items():
            target = copy / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        moved = replace(settings, base=Path(folder))
        return build_from_specs(copy, cache=False, settings=moved).registry


def entries_for(
    refs: Sequence[str],
    entries: Sequence[ManifestEntry],
    registry: Registry | None,
    shown: Callable[[ManifestEntry], str],
) -> tuple[list[ManifestEntry], list[str]]:
    """The manifest entries the REFs name (a model ref, or a document path as the manifest
    lists it), and the REFs that name none. ``shown``: an entry's display path, as the
    registry's sources name documents."""
    chosen: dict[str, ManifestEntry] = {}
    unknown: list[str] = []
    by_path = {entry.path: entry for entry in entries}
    for ref in refs:
        if ref in by_path:
            chosen[ref] = by_path[ref]
            continue
        model = next((m for m in registry.models if m.ref == ref), None) if registry else None
        if model is None:
            unknown.append(ref)
            continue
        for entry in entries:
            if shown(entry) in model.sources:
                chosen[entry.path] = entry
    order = {entry.path: index for index, entry in enumerate(entries)}
    return sorted(chosen.values(), key=lambda e: order[e.path]), unknown
