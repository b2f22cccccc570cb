"""Write stage: the only code that touches the output folder.

Writes an emitted tree atomically file by file (temporary file + rename), only
where the bytes changed; removes files a previous run generated that are no
longer produced (never files it did not generate); keeps ``_manifest.json`` with
the input, generator and output hashes that make ``musicbind check`` fast and
regeneration incremental. Every path is checked to stay inside the output folder.
"""

from __future__ import annotations

import difflib
import os
import stat
import tempfile
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from musicbind.generator.emit.emit import Emitted, Reuse, Unread
from musicbind.generator.freshness import (
    MANIFEST_NAME,
    Manifest,
    OutputFolder,
    Stamps,
    UnsafePathError,
    extra_modules,
    read_manifest,
    safe_target,
    sha,
    text_hash,
    up_to_date,
)

__all__ = [
    "MANIFEST_NAME",
    "Manifest",
    "Stamps",
    "UnsafePathError",
    "WriteReport",
    "build_manifest",
    "diff_tree",
    "gated_from",
    "read_manifest",
    "reuse_from",
    "safe_target",
    "up_to_date",
    "write_tree",
]


@dataclass(slots=True)
class WriteReport:
    """What a write did."""

    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def reuse_from(out: Path, manifest: Manifest | None, stamps: Stamps | None = None) -> Reuse:
    """A cache over the existing tree: a file is reused when its key and bytes still match.

    A file whose size and mtime ``stamps`` recorded with the manifest's hash is not read;
    one that is read and matches is recorded so. Either way it is left as it is on disk
    (:class:`Unread`).
    """
    folder = OutputFolder(out)

    def reuse(path: str, key: str) -> Unread | None:
        entry = manifest.files.get(path) if manifest else None
        if entry is None or entry.get("key") != key:
            return None
        expected = entry.get("sha256", "")
        try:
            target, info = folder.status(path)
            if stamps is not None and stamps.known(target, "text", info) == expected:
                return Unread(expected)
            if text_hash(target) != expected:
                return None
        except (OSError, UnsafePathError, UnicodeDecodeError):
            return None
        if stamps is not None:
            stamps.record(target, "text", expected, info)
        return Unread(expected)

    return reuse


def gated_from(out: Path, manifest: Manifest | None, generator: str) -> Callable[[str], str | None]:
    """The texts this generator (hash ``generator``) wrote in ``out`` and the manifest
    vouches for (same bytes): each passed the safety gate when it was written."""

    def gated(path: str) -> str | None:
        if manifest is None or manifest.generator != generator:
            return None
        entry = manifest.files.get(path)
        if entry is None:
            return None
        try:
            text = safe_target(out, path).read_text(encoding="utf-8")
        except (OSError, UnsafePathError, UnicodeDecodeError):
            return None
        return text if sha(text) == entry.get("sha256") else None

    return gated


def build_manifest(
    emitted: Emitted,
    inputs: Mapping[str, str],
    generator: str,
    version: str,
    package: str = "",
    *,
    errors: Sequence[str] = (),
    kept: Mapping[str, dict[str, list[str]]] | None = None,
    empty: Sequence[str] = (),
) -> Manifest:
    """The manifest describing an emitted tree (generated for import name ``package``).

    ``errors``: the inputs that had errors; ``kept``: the models kept as last generated
    (see :mod:`generator.last_good`); ``empty``: the documents that yield no model.
    """
    hashes = {path: sha(text) for path, text in emitted.files.items()}
    hashes.update(emitted.kept)
    files = {
        path: {"sha256": digest, **({"key": emitted.keys[path]} if path in emitted.keys else {})}
        for path, digest in sorted(hashes.items())
    }
    return Manifest(
        version,
        generator,
        dict(inputs),
        files,
        package,
        errors=tuple(errors),
        kept=dict(kept or {}),
        empty=tuple(empty),
    )


def write_tree(
    out: Path, emitted: Emitted, manifest: Manifest, stamps: Stamps | None = None
) -> WriteReport:
    """Write the tree and its manifest; remove files only a previous run generated.

    A file is written only when its bytes differ from the file on disk (whose hash
    ``stamps`` may vouch for without reading it); what is written or found the same is
    recorded in ``stamps``.
    """
    report = WriteReport()
    previous = read_manifest(out)
    out.mkdir(parents=True, exist_ok=True)
    folder = OutputFolder(out)
    made = {os.fspath(out)}  # folders made or known to exist: one mkdir per folder
    for path, text in emitted.files.items():
        expected = manifest.files[path]["sha256"]
        target, info = _status(folder, path)
        if info is not None and _same(target, info, text, expected, stamps):
            report.unchanged.append(path)
            continue
        parent = os.path.dirname(target)
        if parent not in made:
            os.makedirs(parent, exist_ok=True)
            made.add(parent)
        _atomic_write(Path(target), text)
        if stamps is not None:
            stamps.record(target, "text", expected, os.stat(target))
        report.written.append(path)
    report.unchanged += emitted.kept
    report.unchanged.sort()
    for stale in sorted(set(previous.files) - emitted.paths() if previous else set()):
        old = safe_target(out, stale)
        if old.is_file():
            old.unlink()
            report.removed.append(stale)
            _prune_empty(old.parent, out)
    _atomic_write(out / MANIFEST_NAME, manifest.as_text())
    return report


def _status(folder: OutputFolder, path: str) -> tuple[str, os.stat_result | None]:
    try:
        return folder.status(path)
    except FileNotFoundError:
        return folder.path(path), None


def _same(
    target: str, info: os.stat_result, text: str, expected: str, stamps: Stamps | None
) -> bool:
    """Whether the file at ``target`` (a regular file found as ``info``) holds ``text``."""
    if not stat.S_ISREG(info.st_mode):
        return False
    if stamps is not None and stamps.known(target, "text", info) == expected:
        return True
    try:
        with open(target, encoding="utf-8") as handle:
            same = handle.read() == text
    except (OSError, UnicodeDecodeError):
        return False
    if same and stamps is not None:
        stamps.record(target, "text", expected, info)
    return same


def _atomic_write(target: Path, text: str) -> None:
    """Write ``text`` to ``target`` (whose folder exists) through a temporary file."""
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _prune_empty(folder: Path, out: Path) -> None:
    root = out.resolve()
    while folder.resolve() != root and folder.is_dir():
        leftovers = [p for p in folder.iterdir() if p.name != "__pycache__"]
        if leftovers:
            return
        for cache in folder.glob("__pycache__"):
            for item in cache.iterdir():
                item.unlink()
            cache.rmdir()
        folder.rmdir()
        folder = folder.parent


# Past this many lines a file's change is counted, not diffed: a line diff's time grows
# with the square of the lines that changed (20,000 changed lines: 9 s), and an upgraded
# generator changes every line of a large catalogue's manifest.
DIFF_MAX_LINES = 5000


def diff_tree(out: Path, expected: Mapping[str, str], limit: int | None = 400) -> list[str]:
    """A unified diff from what is on disk to what should be; empty when identical.

    A file of more than :data:`DIFF_MAX_LINES` lines gets a line counting its change
    instead. Past ``limit`` lines (None: no limit) the rest is counted, not shown."""
    lines: list[str] = []
    for path, text in expected.items():
        target = out / path
        current = target.read_text(encoding="utf-8") if target.is_file() else ""
        if current == text:
            continue
        old, new = current.splitlines(keepends=True), text.splitlines(keepends=True)
        shown_old = f"a/{path}" if current else "/dev/null"
        if max(len(old), len(new)) > DIFF_MAX_LINES:
            lines.append(_counted_change(shown_old, f"b/{path}", old, new))
        else:
            lines += difflib.unified_diff(old, new, shown_old, f"b/{path}")
    for extra in extra_modules(out, expected):
        lines.append(f"--- a/{extra}\n+++ /dev/null (not produced by the specs)\n")
    if limit is not None and len(lines) > limit:
        lines = [*lines[:limit], f"... ({len(lines) - limit} more diff lines)\n"]
    return lines


def _counted_change(shown_old: str, shown_new: str, old: list[str], new: list[str]) -> str:
    """The change of a file too long to diff: how many lines only one side has."""
    gone = Counter(old)
    gone.subtract(new)
    removed = sum(n for n in gone.values() if n > 0)
    added = sum(-n for n in gone.values() if n < 0)
    return (
        f"--- {shown_old}\n+++ {shown_new}\n"
        f"@@ {len(old)} -> {len(new)} lines: {removed} removed, {added} added "
        f"(over {DIFF_MAX_LINES} lines: counted, not diffed) @@\n"
    )
