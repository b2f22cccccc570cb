"""Write stage: the only code that touches the output folder.

Writes an emitted tree atomically file by file (temporary file + rename), only
where the bytes changed; removes files a previous run generated that are no
longer produced (never files it did not generate); keeps ``_manifest.json`` with
the input, generator and output hashes that make ``musicbind check`` fast and
regeneration incremental. Every path is checked to stay inside the output folder.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.emit.emit import Emitted, as_json

MANIFEST_NAME = "_manifest.json"
_SAFE_PART = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.py|\.json|\.md)?$")


class UnsafePathError(ValueError):
    """An emitted path would leave the output folder or is not a plain module path."""


@dataclass(frozen=True, slots=True)
class Manifest:
    """What the last run produced and from what."""

    version: str
    generator: str
    inputs: dict[str, str]
    files: dict[str, dict[str, str]]  # path -> {"sha256": ..., "key": ...}

    def as_text(self) -> str:
        return as_json(
            {
                "generated_by": f"musicbind {self.version}",
                "generator": self.generator,
                "inputs": self.inputs,
                "files": self.files,
            }
        )


@dataclass(slots=True)
class WriteReport:
    """What a write did."""

    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def sha(text: str) -> str:
    """sha256 hex of text as UTF-8."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def safe_target(out: Path, relative: str) -> Path:
    """``out / relative``, refusing absolute paths, ``..``, odd names and escapes via links."""
    parts = relative.split("/")
    if relative.startswith("/") or not all(_SAFE_PART.match(part) for part in parts):
        raise UnsafePathError(f"refusing to write {relative!r}: not a plain relative module path")
    target = out.joinpath(*parts)
    root = out.resolve()
    if not target.resolve().is_relative_to(root):
        raise UnsafePathError(f"refusing to write {relative!r}: it resolves outside {out}")
    return target


def read_manifest(out: Path) -> Manifest | None:
    """The manifest of a previous run, or None when absent or unreadable."""
    try:
        data: Any = json.loads((out / MANIFEST_NAME).read_text(encoding="utf-8"))
        return Manifest(
            version=str(data["generated_by"]).removeprefix("musicbind "),
            generator=str(data["generator"]),
            inputs=dict(data["inputs"]),
            files={str(k): dict(v) for k, v in data["files"].items()},
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


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


def build_manifest(
    emitted: Emitted, inputs: Mapping[str, str], generator: str, version: str
) -> Manifest:
    """The manifest describing an emitted tree."""
    files = {
        path: {"sha256": sha(text), **({"key": emitted.keys[path]} if path in emitted.keys else {})}
        for path, text in emitted.files.items()
    }
    return Manifest(version, generator, dict(inputs), files)


def write_tree(out: Path, emitted: Emitted, manifest: Manifest) -> WriteReport:
    """Write the tree and its manifest; remove files only a previous run generated."""
    report = WriteReport()
    previous = read_manifest(out)
    out.mkdir(parents=True, exist_ok=True)
    for path, text in emitted.files.items():
        target = safe_target(out, path)
        if target.is_file() and target.read_text(encoding="utf-8") == text:
            report.unchanged.append(path)
            continue
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
    target.parent.mkdir(parents=True, exist_ok=True)
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


def up_to_date(out: Path, inputs: Mapping[str, str], generator: str) -> bool:
    """The fast check: same inputs and generator as the manifest, and files untouched on disk."""
    manifest = read_manifest(out)
    if manifest is None or manifest.generator != generator or manifest.inputs != dict(inputs):
        return False
    for path, entry in manifest.files.items():
        try:
            if sha(safe_target(out, path).read_text(encoding="utf-8")) != entry.get("sha256"):
                return False
        except (OSError, UnsafePathError, UnicodeDecodeError):
            return False
    return not _extra_modules(out, manifest.files)


def _extra_modules(out: Path, known: Mapping[str, Any]) -> list[str]:
    found = {
        p.relative_to(out).as_posix() for p in out.rglob("*.py") if "__pycache__" not in p.parts
    }
    return sorted(found - set(known))


def diff_tree(out: Path, expected: Mapping[str, str], limit: int = 400) -> list[str]:
    """A unified diff from what is on disk to what should be; empty when identical."""
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
    for extra in _extra_modules(out, expected):
        lines.append(f"--- a/{extra}\n+++ /dev/null (not produced by the specs)\n")
    if len(lines) > limit:
        lines = [*lines[:limit], f"... ({len(lines) - limit} more diff lines)\n"]
    return lines
