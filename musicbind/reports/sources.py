"""Tooling: registries from wherever they are: a specs folder, registry JSON, a git revision.

``musicbind diff`` compares two of these and ``musicbind schema`` reads one. Each
reader returns the registry and the problems met on the way (a spec document with
errors still gives a registry without the models it affects), or a :class:`SourceError`
when there is nothing to compare (no such folder, not registry JSON, unknown revision).
"""

from __future__ import annotations

import importlib.util
import io
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from musicbind.generator.load.records import SpecProblem
from musicbind.generator.registry.model import Registry
from musicbind.generator.settings import BuildSettings
from musicbind.generator.snapshot.snapshot_file import SNAPSHOT_NAME, read_snapshot_file

MANIFEST = "manifest.yaml"


class SourceError(Exception):
    """A registry source that cannot be read at all."""


@dataclass(frozen=True, slots=True)
class Loaded:
    """A registry, where it came from and the problems found building it."""

    registry: Registry
    label: str
    problems: tuple[SpecProblem, ...]


def load_source(source: str) -> Loaded:
    """A specs folder (with manifest.yaml), a generated package folder, or registry JSON."""
    path = Path(source)
    if path.is_dir():
        if (path / MANIFEST).is_file():
            return load_specs(path, source)
        if (path / SNAPSHOT_NAME).is_file():
            return load_registry_json(path / SNAPSHOT_NAME, source)
        raise SourceError(
            f"{source}: neither a specs folder (no {MANIFEST}) nor a generated package"
        )
    if path.is_file():
        return load_registry_json(path, source)
    raise SourceError(f"{source}: no such file or folder")


def load_specs(specs: Path, label: str, settings: BuildSettings | None = None) -> Loaded:
    """The registry of a specs folder, as ``musicbind generate`` builds it (same overlays)."""
    from musicbind.generator.ingest import build_from_specs

    built = build_from_specs(specs, settings=settings)
    return Loaded(built.registry, label, built.registry.problems)


def load_registry_json(path: Path, label: str) -> Loaded:
    """Registry JSON (``musicbind registry --json`` output or a package's ``_registry.json``,
    whose shards are read beside it)."""
    registry, problems = read_snapshot_file(path, label)
    if registry is None:
        where = (f"{p.location}: {p.message}" for p in problems)
        raise SourceError("; ".join(where) or f"{label}: unreadable")
    return Loaded(registry, label, registry.problems)


def package_registry(package: str) -> Loaded:
    """The registry snapshot of an importable generated package (without importing it)."""
    spec = importlib.util.find_spec(package)
    locations = list(spec.submodule_search_locations or []) if spec else []
    if not locations:
        raise SourceError(f"no importable package {package!r}")
    snapshot = Path(locations[0]) / SNAPSHOT_NAME
    if not snapshot.is_file():
        raise SourceError(
            f"{package} has no {SNAPSHOT_NAME}: regenerate it with musicbind generate"
        )
    return load_registry_json(snapshot, package)


def split_revisions(text: str) -> tuple[str, str | None]:
    """``A..B`` -> (A, B); ``A`` or ``A..`` -> (A, None), None meaning the working tree."""
    old, dots, new = text.partition("..")
    if not old or (dots and new.startswith(".")):
        raise SourceError(f"--rev {text!r}: expected A..B (or A for A against the working tree)")
    return old, new or None


def load_revision(revision: str, specs: Path, settings: BuildSettings | None = None) -> Loaded:
    """The registry of ``specs`` as it was at a git revision (read with ``git archive``).

    ``settings`` are the project's: its overlay and display base are taken at that
    revision too, the bundled overlay is the installed one.
    """
    specs = specs.resolve()
    root = _git(["rev-parse", "--show-toplevel"], specs if specs.is_dir() else specs.parent)
    top = Path(root.decode().strip())
    try:
        inside = specs.relative_to(top).as_posix()
    except ValueError:
        raise SourceError(f"{specs} is not inside the git repository {top}") from None
    archive = _git(["archive", "--format=tar", revision, "--", inside], top)
    with tempfile.TemporaryDirectory(prefix="musicbind-diff-") as tmp:
        folder = Path(tmp)
        _extract(archive, folder)
        target = folder / inside
        if not (target / MANIFEST).is_file():
            raise SourceError(f"{revision}: {inside}/{MANIFEST} does not exist at that revision")
        if settings is not None:
            settings = _at_revision(settings, revision, top, folder)
        loaded = load_specs(target, f"{revision}:{inside}", settings)
    return loaded


def _at_revision(settings: BuildSettings, revision: str, top: Path, folder: Path) -> BuildSettings:
    """``settings`` with the paths inside the repository moved into its copy at ``revision``."""

    def moved(path: Path | None) -> Path | None:
        if path is None:
            return None
        try:
            return folder / path.resolve().relative_to(top)
        except ValueError:
            return path  # outside the repository: as it is now

    overlay = moved(settings.overlay)
    if settings.overlay is not None and overlay is not None and not overlay.exists():
        inside = overlay.relative_to(folder).as_posix()
        try:
            data = _git(["show", f"{revision}:{inside}"], top)
        except SourceError:
            data = None  # not there at that revision: reported as an unreadable overlay
        if data is not None:
            overlay.parent.mkdir(parents=True, exist_ok=True)
            overlay.write_bytes(data)
    return replace(settings, overlay=overlay, base=moved(settings.base))


def _extract(archive: bytes, folder: Path) -> None:
    """Unpack a ``git archive`` tar: regular files and folders only, all inside ``folder``."""
    root = folder.resolve()
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        for member in tar.getmembers():
            target = (folder / member.name).resolve()
            if not target.is_relative_to(root):
                raise SourceError(f"refusing archive member {member.name!r}: outside the folder")
            if member.isdir():
                target.mkdir(parents=True, exist_ok=True)
            elif member.isfile():
                target.parent.mkdir(parents=True, exist_ok=True)
                handle = tar.extractfile(member)
                target.write_bytes(handle.read() if handle else b"")


def _git(arguments: list[str], cwd: Path) -> bytes:
    try:
        done = subprocess.run(  # noqa: S603 - fixed program, arguments are not shell-parsed
            ["git", *arguments],  # noqa: S607 - git from PATH, like any git tool
            cwd=cwd,
            capture_output=True,
            check=False,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SourceError(f"cannot run git: {exc}") from None
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip().splitlines()
        raise SourceError(
            f"git {arguments[0]} failed: {message[-1] if message else done.returncode}"
        )
    return done.stdout
