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
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from musicbind.generator.emit.emit import Emitted
from musicbind.generator.freshness import (
    MANIFEST_NAME,
    Manifest,
    UnsafePathError,
    extra_modules,
    read_manifest,
    safe_target,
    sha,
    up_to_date,
)

__all__ = [
    "MANIFEST_NAME",
    "Manifest",
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


def reuse_from(out: Path, manifest: Manifest | None) -> Callable[[str, str], str | None]:
    """A cache over the existing tree: a file is reused when its key and bytes still match."""

    def reuse(path: str, key: str) -> str | None:
        entry = manifest.files.get(path) if manifest else None
        if entry is None or entry.get("key") != key:
            return None
        try:
            text = safe_target(out, path).read_text(encoding="utf-8")
        except (OSError, UnsafePathError):
            return None
        return text if sha(text) == entry.get("sha256") else None

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
    files = {
        path: {"sha256": sha(text), **({"key": emitted.keys[path]} if path in emitted.keys else {})}
        for path, text in emitted.files.items()
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


def write_tree(out: Path, emitted: Emitted, manifest: Manifest) -> WriteReport:
    """Write the tree and its manifest; remove files only a previous run generated."""
    report = WriteReport()
    previous = read_manifest(out)
    out.mkdir(parents=True, exist_ok=True)
    folders = {out}  # made or known to exist: one mkdir per folder, not per file
    for path, text in emitted.files.items():
        target = safe_target(out, path)
        if target.is_file() and target.read_text(encoding="utf-8") == text:
            report.unchanged.append(path)
            continue
        if target.parent not in folders:
            target.parent.mkdir(parents=True, exist_ok=True)
            folders.add(target.parent)
        _atomic_write(target, text)
        report.written.append(path)
    for stale in sorted(set(previous.files) - set(emitted.files) if previous else set()):
        target = safe_target(out, stale)
        if target.is_file():
            target.unlink()
            report.removed.append(stale)
            _prune_empty(target.parent, out)
    _atomic_write(out / MANIFEST_NAME, manifest.as_text())
    return report


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


def diff_tree(out: Path, expected: Mapping[str, str], limit: int | None = 400) -> list[str]:
    """A unified diff from what is on disk to what should be; empty when identical.

    Past ``limit`` lines (None: no limit) the rest is counted, not shown."""
    lines: list[str] = []
    for path, text in expected.items():
        target = out / path
        current = target.read_text(encoding="utf-8") if target.is_file() else ""
        if current != text:
            lines += difflib.unified_diff(
                current.splitlines(keepends=True),
                text.splitlines(keepends=True),
                f"a/{path}" if current else "/dev/null",
                f"b/{path}",
            )
    for extra in extra_modules(out, expected):
        lines.append(f"--- a/{extra}\n+++ /dev/null (not produced by the specs)\n")
    if limit is not None and len(lines) > limit:
        lines = [*lines[:limit], f"... ({len(lines) - limit} more diff lines)\n"]
    return lines
