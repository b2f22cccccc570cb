"""Pipeline: the fast "is generated/ up to date?" check, without loading or emitting anything.

``musicbind check`` calls :func:`is_fresh` first: it hashes the specs folder's
inputs and the generator, and compares them and the generated files' bytes with
``_manifest.json``. Only when something differs does the full pipeline run.
Kept free of heavy imports (no pydantic, jinja2 or loaders) so it stays fast.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import stat
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from musicbind.generator.settings import (
    DEFAULT_OVERLAY_NAME,
    BuildSettings,
    display_path,
)

MANIFEST_NAME = "_manifest.json"
SPECS_MANIFEST = "manifest.yaml"
# A plain relative path: names of letters, digits and underscores (a file's with one of
# the suffixes the generator writes), each under 200 characters (file systems refuse
# names past 255 bytes).
_NAME = r"[A-Za-z_][A-Za-z0-9_]{0,199}(?:\.py|\.json|\.md|\.typed)?"
_SAFE_PATH = re.compile(f"(?:{_NAME}/)*{_NAME}")
_HASHED_TOOLS = ("datamodel-code-generator", "ruff")


class UnsafePathError(ValueError):
    """An emitted path would leave the output folder or is not a plain module path."""


@dataclass(frozen=True, slots=True)
class Manifest:
    """What the last run produced and from what."""

    version: str
    generator: str
    inputs: dict[str, str]
    files: dict[str, dict[str, str]]  # path -> {"sha256": ..., "key": ...}
    package: str = ""  # the import name the tree was generated for (its docs' imports say it)
    # Set only by a run with errors (see generator.last_good): the inputs with errors and
    # the models kept as last generated (ref -> {"files": [...], "because": [...]}).
    errors: tuple[str, ...] = ()
    kept: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    # The documents that yield no model (a warning; `--strict` makes it an error).
    empty: tuple[str, ...] = ()

    def as_text(self) -> str:
        """Stable JSON text of the manifest (a run without errors writes no error keys)."""
        data: dict[str, Any] = {
            "generated_by": f"musicbind {self.version}",
            "generator": self.generator,
            "package": self.package,
            "inputs": self.inputs,
            "files": self.files,
        }
        if self.errors:
            data["errors"] = list(self.errors)
        if self.kept:
            data["kept"] = self.kept
        if self.empty:
            data["documents_without_models"] = list(self.empty)
        return _indented_object(data) + "\n"

    def settled(self, *, strict: bool = False) -> bool:
        """No input had errors when it was written (``strict``: and none yielded no model)."""
        return not self.errors and not self.kept and not (strict and self.empty)


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False)


_string = json.JSONEncoder(ensure_ascii=False).encode  # a string's JSON, as _dumps writes it


def _indented_object(data: Mapping[str, Any]) -> str:
    """``json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False)``, the same bytes,
    with the manifest's file table (one entry per generated file: tens of thousands in a
    large catalogue) laid out by :func:`_file_table` instead of the pure-Python encoder an
    indent forces (ten times slower)."""
    items = []
    for key in sorted(data):
        value = data[key]
        table = _file_table(value) if key == "files" else None
        # Inside the outer object every line of a value after its first is indented once
        # more; a JSON text has no newline but those between its lines.
        shown = table if table is not None else _dumps(value).replace("\n", "\n  ")
        items.append(f"  {_dumps(key)}: {shown}")
    return "{\n" + ",\n".join(items) + "\n}" if items else "{}"


def _file_table(files: Any) -> str | None:
    """The file table as :func:`_indented_object` lays it out, or None when it is not a
    table of string fields (then the encoder lays it out)."""
    if not isinstance(files, dict) or not files:
        return None
    lines = []
    for path in sorted(files):
        entry = files[path]
        if not isinstance(path, str) or not isinstance(entry, dict) or not entry:
            return None
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in entry.items()):
            return None
        fields = ",\n".join(f"      {_string(k)}: {_string(entry[k])}" for k in sorted(entry))
        lines.append(f"    {_string(path)}: {{\n{fields}\n    }}")
    return "{\n" + ",\n".join(lines) + "\n  }"


def sha(text: str) -> str:
    """sha256 hex of text as UTF-8."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sha256_hex(data: bytes) -> str:
    """sha256 hex of bytes."""
    return hashlib.sha256(data).hexdigest()


@cache
def generator_hash() -> str:
    """Hash of the generator's code and templates and of the tools whose output we ship."""
    from importlib.metadata import version

    root = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for tool in _HASHED_TOOLS:
        digest.update(f"{tool}=={version(tool)}\n".encode())
    for file in sorted(root.rglob("*")):
        # The wheel's default overlay is an input (hashed as such), not generator code.
        if file.name == DEFAULT_OVERLAY_NAME or "__pycache__" in file.parts:
            continue
        if file.suffix in {".py", ".j2", ".yaml"}:
            digest.update(file.relative_to(root).as_posix().encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()


def safe_target(out: Path, relative: str) -> Path:
    """``out / relative``, refusing absolute paths, ``..``, odd names and escapes via links."""
    parts = _plain_parts(relative)
    if parts is None:
        raise UnsafePathError(f"refusing to write {relative!r}: not a plain relative module path")
    target = out / relative
    # The parts are plain names: only a link below ``out`` can lead outside it, so the
    # whole path is resolved (the costly part, for thousands of files) only when one is.
    if _any_link_below(os.fspath(out), parts) and not target.resolve().is_relative_to(
        out.resolve()
    ):
        raise UnsafePathError(f"refusing to write {relative!r}: it resolves outside {out}")
    return target


@functools.lru_cache(maxsize=1 << 16)
def _plain_parts(relative: str) -> tuple[str, ...] | None:
    """The names of a plain relative module path, or None (absolute, ``..``, odd names)."""
    return tuple(relative.split("/")) if _SAFE_PATH.fullmatch(relative) else None


def _any_link_below(folder: str, parts: tuple[str, ...]) -> bool:
    for part in parts:
        folder = os.path.join(folder, part)
        if os.path.islink(folder):
            return True
    return False


def read_manifest(out: Path) -> Manifest | None:
    """The manifest of a previous run, or None when absent or unreadable.

    A run reads it several times (reuse, the last good state, the writer): the manifest
    parsed last is kept with its bytes, and given again while the file holds the same.
    """
    file = out / MANIFEST_NAME
    try:
        data = file.read_bytes()
    except OSError:
        return None
    last = _LAST_MANIFEST.get(file)
    if last is not None and last[0] == data:
        return last[1]
    manifest = _parse_manifest(data)
    _LAST_MANIFEST.clear()
    _LAST_MANIFEST[file] = (data, manifest)
    return manifest


# The manifest parsed last, by its file: its bytes and what they gave.
_LAST_MANIFEST: dict[Path, tuple[bytes, Manifest | None]] = {}


def _parse_manifest(data: bytes) -> Manifest | None:
    try:
        parsed: Any = json.loads(data.decode("utf-8"))
        return Manifest(
            version=str(parsed["generated_by"]).removeprefix("musicbind "),
            generator=str(parsed["generator"]),
            inputs=dict(parsed["inputs"]),
            files=_of_objects(parsed["files"]),
            package=str(parsed.get("package", "")),
            errors=tuple(str(e) for e in parsed.get("errors", ())),
            kept={str(k): dict(v) for k, v in parsed.get("kept", {}).items()},
            empty=tuple(str(e) for e in parsed.get("documents_without_models", ())),
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def _of_objects(value: Any) -> dict[str, dict[str, str]]:
    """A parsed JSON object whose values are all objects, as it is (a manifest lists many
    thousands of files: copying each entry costs more than reading the file)."""
    if not isinstance(value, dict) or not all(type(item) is dict for item in value.values()):
        raise TypeError("not an object of objects")
    return value


def cache_dir() -> Path:
    """Where musicbind keeps caches (``$MUSICBIND_CACHE_DIR``, else the XDG cache folder)."""
    explicit = os.environ.get("MUSICBIND_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "musicbind"


def write_cache_file(target: Path, data: bytes) -> None:
    """Write a cache file atomically (a reader sees the old file or the new one, never half);
    a failure only costs the next run time, so it is not reported."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f".{target.stem}-", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(temp, target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
    except OSError:
        return


class Stamps:
    """File hashes as a run last computed or wrote them, with each file's size and mtime then.

    A file whose size and modification time (nanoseconds) are what they were is not read
    again, unless it was modified within :data:`RACY_SECONDS` of being hashed (a write in
    the same clock tick could keep both). ``generate`` records the files it writes or
    reads, ``check`` the files it hashes; both trust what the other recorded. Kept in the
    user's cache folder, never in the committed manifest (those stamps differ on every
    machine); a missing, stale or broken file only costs time: every file is hashed, as
    without it.
    """

    RACY_SECONDS = 2

    def __init__(self, out: Path) -> None:
        name = sha(str(out.resolve()))[:16]
        self._file = cache_dir() / f"stamps-{name}.json"
        self._files: dict[str, list[Any]] = {}
        self._listings: dict[str, list[list[str]]] = {}
        self._changed = False
        try:
            data = json.loads(self._file.read_bytes())
            if data.get("format") == _STAMPS_FORMAT:
                self._files = dict(data["files"])
                self._listings = dict(data["listings"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            self._files, self._listings = {}, {}

    def known(self, path: str, kind: str, info: os.stat_result) -> str | None:
        """The ``kind`` hash recorded for ``path`` when its size and mtime are still ``info``'s."""
        entry = self._files.get(f"{kind}:{path}")
        if (
            type(entry) is list
            and len(entry) == 4
            and entry[0] == info.st_size
            and entry[1] == info.st_mtime_ns
            and info.st_mtime_ns < entry[2] - self.RACY_SECONDS * 1_000_000_000
        ):
            return str(entry[3])
        return None

    def record(self, path: str, kind: str, value: str, info: os.stat_result) -> None:
        """Remember that ``path``, as ``info`` found it, hashes to ``value``."""
        self._files[f"{kind}:{path}"] = [info.st_size, info.st_mtime_ns, time.time_ns(), value]
        self._changed = True

    def digest(self, path: str, compute: Callable[[str], str], kind: str) -> str:
        """``compute(path)``, or what it returned when the file was last hashed unchanged."""
        info = os.stat(path)
        found = self.known(path, kind, info)
        if found is None:
            found = compute(path)
            self.record(path, kind, found, info)
        return found

    def listing(self, key: str, compute: Callable[[], list[list[str]]]) -> list[list[str]]:
        """``compute()`` (a manifest's documents), or its result for the same ``key``."""
        found = self._listings.get(key)
        if isinstance(found, list):
            return found
        value = compute()
        self._listings = {key: value}  # only the current manifest's
        self._changed = True
        return value

    def save(self) -> None:
        """Write the stamps when this run computed any."""
        if not self._changed:
            return
        data = {"format": _STAMPS_FORMAT, "files": self._files, "listings": self._listings}
        write_cache_file(self._file, json.dumps(data).encode("utf-8"))


_STAMPS_FORMAT = 1


def bytes_hash(path: str) -> str:
    """sha256 hex of a file's bytes."""
    with open(path, "rb") as handle:
        return sha256_hex(handle.read())


def text_hash(path: str) -> str:
    """sha256 hex of a text file as :func:`sha` hashes its text (newlines as Python reads them)."""
    with open(path, encoding="utf-8") as handle:
        return sha(handle.read())


def _listed_documents(specs: Path, manifest_bytes: bytes, base: Path) -> list[list[str]]:
    """[path, display path] of each document the manifest lists."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    data = yaml.load(manifest_bytes, Loader=loader)  # noqa: S506 - a safe loader
    listed = []
    for entry in data["documents"]:
        target = specs / str(entry["path"])
        listed.append([str(target), display_path(target, base)])
    return listed


def spec_input_hashes(
    specs: Path, settings: BuildSettings | None = None, stamps: Stamps | None = None
) -> dict[str, str] | None:
    """Hashes of manifest, overlays and listed documents, without loading them (None: unreadable).

    The keys are the display paths the pipeline gives the same files. ``stamps``: reuse the
    hashes of files unchanged since they were last hashed.
    """
    settings = settings or BuildSettings()
    base = settings.display_base(specs)
    inputs: dict[str, str] = {}

    def digest(path: str) -> str:
        return stamps.digest(path, bytes_hash, "bytes") if stamps else bytes_hash(path)

    try:
        manifest_bytes = (specs / SPECS_MANIFEST).read_bytes()
        manifest_hash = sha256_hex(manifest_bytes)
        inputs[display_path(specs / SPECS_MANIFEST, base)] = manifest_hash
        for layer in settings.overlay_files(specs):
            inputs[layer.display] = digest(os.fspath(layer.path))
        key = f"{manifest_hash}\0{specs.resolve()}\0{base.resolve()}"
        compute = functools.partial(_listed_documents, specs, manifest_bytes, base)
        listed = stamps.listing(key, compute) if stamps else compute()
        for target, display in listed:
            inputs[display] = digest(target)
    except (OSError, ValueError, KeyError, TypeError, yaml.YAMLError):
        return None
    return dict(sorted(inputs.items()))


def up_to_date(
    out: Path,
    inputs: Mapping[str, str],
    generator: str,
    package: str | None = None,
    *,
    strict: bool = False,
    stamps: Stamps | None = None,
) -> bool:
    """Same inputs, generator (and package name) as the manifest, files untouched on disk,
    and no input had errors (``strict``: nor yielded no model) when it was written.
    ``stamps``: as for :func:`spec_input_hashes`."""
    manifest = read_manifest(out)
    if manifest is None or manifest.generator != generator or manifest.inputs != dict(inputs):
        return False
    if not manifest.settled(strict=strict):
        return False
    if package is not None and manifest.package != package:
        return False
    folder = OutputFolder(out)
    for path, entry in manifest.files.items():
        try:
            target, info = folder.status(path)
            found = stamps.known(target, "text", info) if stamps else None
            if found is None:
                found = text_hash(target)
                if stamps:
                    stamps.record(target, "text", found, info)
            if found != entry.get("sha256"):
                return False
        except (OSError, UnsafePathError, UnicodeDecodeError):
            return False
    return not extra_modules(out, manifest.files)


class OutputFolder:
    """:func:`safe_target` for many paths of one output folder, resolving each folder once."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self._base = os.fspath(out).rstrip("/") or "/"
        self._root = out.resolve()
        self._folders: dict[str, bool] = {}

    def path(self, relative: str) -> str:
        """The path of ``relative`` in the folder, refused when it could lead outside it
        (the file itself may be a link: :meth:`status` checks where it leads)."""
        if not _SAFE_PATH.fullmatch(relative):
            raise UnsafePathError(
                f"refusing to write {relative!r}: not a plain relative module path"
            )
        target = f"{self._base}/{relative}"
        parent = target.rpartition("/")[0]
        inside = self._folders.get(parent)
        if inside is None:
            inside = Path(parent).resolve().is_relative_to(self._root)
            self._folders[parent] = inside
        if not inside:
            raise UnsafePathError(f"refusing to write {relative!r}: it resolves outside {self.out}")
        return target

    def status(self, relative: str) -> tuple[str, os.stat_result]:
        """:meth:`path` and the file's status (OSError when it is absent); a file that is
        a link is resolved whole, as :func:`safe_target` does."""
        target = self.path(relative)
        info = os.lstat(target)
        if stat.S_ISLNK(info.st_mode):
            if not Path(target).resolve().is_relative_to(self._root):
                raise UnsafePathError(
                    f"refusing to write {relative!r}: it resolves outside {self.out}"
                )
            info = os.stat(target)
        return target, info


def extra_modules(out: Path, known: Mapping[str, Any]) -> list[str]:
    """Python files in ``out`` that no run generated."""
    found: set[str] = set()
    for folder, subfolders, files in os.walk(out):
        subfolders[:] = [d for d in subfolders if d != "__pycache__"]
        relative = Path(folder).relative_to(out).as_posix()
        prefix = "" if relative == "." else f"{relative}/"
        found.update(f"{prefix}{name}" for name in files if name.endswith(".py"))
    return sorted(found - set(known))


def is_fresh(
    specs: Path, out: Path, settings: BuildSettings | None = None, *, strict: bool = False
) -> bool:
    """The whole fast check: True only when nothing needs regenerating and no input has errors
    (``strict``: and every document yields a model)."""
    settings = settings or BuildSettings()
    stamps = Stamps(out)
    inputs = spec_input_hashes(specs, settings, stamps)
    package = settings.package_name(out)
    fresh = inputs is not None and up_to_date(
        out, inputs, generator_hash(), package, strict=strict, stamps=stamps
    )
    stamps.save()
    return fresh
