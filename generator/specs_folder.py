"""Pipeline: the files of a specs folder - where each manifest entry's file is, and strays.

One walk of the folder (``os.scandir``, which knows a file from a link without a ``stat``)
serves both: an entry whose file the walk reached through no link is resolved without
asking the file system again, and the same walk finds the document-like files the
manifest does not list. On a catalogue of thousands of documents, resolving each path
(one ``lstat`` per part) cost more than reading the manifest.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from musicbind.generator.load.records import Level, Location, SpecProblem
from musicbind.generator.project_files.overlay import ManifestEntry
from musicbind.generator.settings import OverlayFile, display_path

MANIFEST = "manifest.yaml"
OVERLAY = "overlay.yaml"
_DOCUMENT_SUFFIXES = frozenset({".json", ".yaml", ".yml", ".md", ".markdown", ".txt"})


@dataclass(frozen=True, slots=True)
class Listed:
    """A manifest entry and its file: resolved once, named as headers show it."""

    entry: ManifestEntry
    given: Path  # specs / the entry's path, as written
    target: Path  # resolved
    display: str
    inside: bool  # within the specs folder (a link may point out of it)


@dataclass(frozen=True, slots=True)
class FolderFiles:
    """The files below a specs folder, as ``Path.rglob`` lists them (links to folders are
    not entered), each by its path as text (``str(specs / relative path)``) with whether
    the walk reached it through no link. Text, not ``Path``: a catalogue has thousands."""

    files: dict[str, bool]

    @classmethod
    def walk(cls, specs: Path) -> FolderFiles:
        """Walk ``specs`` once."""
        files: dict[str, bool] = {}
        pending = [os.fspath(specs)]
        while pending:
            folder = pending.pop()
            try:
                entries = list(os.scandir(folder))
            except OSError:
                continue
            for entry in entries:
                path = os.path.join(folder, entry.name)
                if entry.is_dir(follow_symlinks=False):
                    pending.append(path)
                elif entry.is_file():
                    files[path] = not entry.is_symlink()
        return cls(files)


def locate(
    specs: Path, base: Path, entries: list[ManifestEntry], found: FolderFiles
) -> list[Listed]:
    """Each entry's file, resolved, with its display path (as :func:`display_path` names it)."""
    root, base_root = specs.resolve(), base.resolve()
    # A plain file (in the folder, not a link, no ``..``) is shown as the folder's display
    # path plus its own parts: no path arithmetic per document of a large catalogue.
    prefix = root.relative_to(base_root).parts if root.is_relative_to(base_root) else None
    listed = []
    for entry in entries:
        given = specs / entry.path
        parts = Path(entry.path).parts
        inside = not os.path.isabs(entry.path) and ".." not in parts
        if prefix is not None and inside and found.files.get(str(given), False):
            target = root.joinpath(*parts)
            listed.append(Listed(entry, given, target, "/".join((*prefix, *parts)), True))
            continue
        target = given.resolve()
        shown = target.is_relative_to(base_root)
        display = target.relative_to(base_root).as_posix() if shown else target.name
        listed.append(Listed(entry, given, target, display, target.is_relative_to(root)))
    return listed


def strays(
    base: Path, listed: list[Listed], layers: tuple[OverlayFile, ...], found: FolderFiles
) -> list[SpecProblem]:
    """A warning for each document-like file in the folder that the manifest does not list."""
    given = {str(f.given) for f in listed}
    candidates = sorted(
        Path(name)
        for name in found.files
        if name not in given  # listed as written: no need to resolve links
        and os.path.splitext(name)[1] in _DOCUMENT_SUFFIXES
    )
    if not candidates:
        return []
    targets = {f.target for f in listed} | {o.path.resolve() for o in layers}
    return [
        SpecProblem(
            Level.WARNING,
            Location(display_path(stray, base)),
            "not listed in manifest.yaml, so not read",
        )
        for stray in candidates
        if stray.name not in {MANIFEST, OVERLAY} and stray.resolve() not in targets
    ]
