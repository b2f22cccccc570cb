"""Pipeline: specs/ (or any documents) -> load -> registry; the entry point commands call.

Two ways in: a specs folder with ``manifest.yaml`` and ``overlay.yaml`` (the
project's own documents), or loose document paths from anywhere (``musicbind
generate PATH... --out DIR``), which use the overlay shipped with musicbind for
the providers' protocols.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from musicbind.generator.freshness import DEFAULT_OVERLAY_NAME, generator_hash
from musicbind.generator.load.cache import LoadCache
from musicbind.generator.load.dispatch import load_file, sha256_hex
from musicbind.generator.load.records import (
    DocumentKind,
    Level,
    Location,
    SpecDocument,
    SpecProblem,
)
from musicbind.generator.registry.build import build_registry, replace_problems
from musicbind.generator.registry.model import Registry
from musicbind.generator.registry.overlay import ManifestEntry, Overlay, load_manifest, load_overlay

MANIFEST = "manifest.yaml"
OVERLAY = "overlay.yaml"
_DOCUMENT_SUFFIXES = frozenset({".json", ".yaml", ".yml", ".md", ".markdown", ".txt"})


@dataclass(frozen=True, slots=True)
class Built:
    """A registry and the inputs it was built from (display path -> sha256)."""

    registry: Registry
    inputs: dict[str, str]


def default_overlay_path() -> Path | None:
    """The overlay shipped with musicbind (the repository's specs/overlay.yaml).

    In the repository ``generator/registry/default_overlay.yaml`` is a symlink to it; the
    wheel carries its content under the same name.
    """
    packaged = Path(__file__).resolve().parent / "registry" / DEFAULT_OVERLAY_NAME
    return packaged.resolve() if packaged.is_file() else None


def display_path(path: Path, base: Path) -> str:
    """A stable, relative name for a file: relative to ``base`` when inside it, else its name."""
    try:
        return path.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return path.name


def _read_overlay(path: Path | None, display: str) -> tuple[Overlay, list[SpecProblem], str]:
    if path is None:
        return Overlay((), ()), [], ""
    try:
        data = path.read_bytes()
    except OSError as exc:
        problem = SpecProblem(Level.ERROR, Location(display), f"cannot read the overlay: {exc}")
        return Overlay((), ()), [problem], ""
    overlay, problems = load_overlay(data.decode("utf-8", errors="replace"), display)
    return overlay, problems, sha256_hex(data)


def build_from_specs(specs: Path, base: Path | None = None, *, cache: bool = True) -> Built:
    """Load every document a specs folder's manifest lists, plus its overlay.

    With ``cache``, documents whose bytes did not change since the last run come from
    the load cache (see :mod:`generator.load.cache`).
    """
    base = base or specs.parent
    load_cache = LoadCache(specs, generator_hash()) if cache else None
    problems: list[SpecProblem] = []
    inputs: dict[str, str] = {}
    manifest_path = specs / MANIFEST
    manifest_display = display_path(manifest_path, base)
    entries: list[ManifestEntry] = []
    if manifest_path.is_file():
        data = manifest_path.read_bytes()
        inputs[manifest_display] = sha256_hex(data)
        entries, found = load_manifest(data.decode("utf-8", errors="replace"), manifest_display)
        problems += found
    else:
        problems.append(
            SpecProblem(
                Level.ERROR,
                Location(manifest_display),
                "the specs folder has no manifest.yaml listing its documents",
            )
        )
    overlay_path = specs / OVERLAY
    overlay_display = display_path(overlay_path, base)
    overlay, found, digest = _read_overlay(
        overlay_path if overlay_path.is_file() else None, overlay_display
    )
    problems += found
    if digest:
        inputs[overlay_display] = digest
    documents = [_load_entry(specs, base, entry, problems, load_cache) for entry in entries]
    if load_cache is not None:
        load_cache.save()
    listed = {(specs / e.path).resolve() for e in entries}
    for stray in sorted(
        p for p in specs.rglob("*") if p.is_file() and p.suffix in _DOCUMENT_SUFFIXES
    ):
        if stray.resolve() not in listed and stray.name not in {MANIFEST, OVERLAY}:
            problems.append(
                SpecProblem(
                    Level.WARNING,
                    Location(display_path(stray, base)),
                    "not listed in manifest.yaml, so not read",
                )
            )
    for doc in documents:
        inputs[doc.path] = doc.sha256
    bundled = overlay_path is not None and overlay_path == default_overlay_path()
    registry = build_registry(documents, overlay, bundled_overlay=bundled)
    return Built(_with_problems(registry, problems), dict(sorted(inputs.items())))


def _load_entry(
    specs: Path,
    base: Path,
    entry: ManifestEntry,
    problems: list[SpecProblem],
    cache: LoadCache | None,
) -> SpecDocument:
    target = (specs / entry.path).resolve()
    display = display_path(target, base)
    if not target.is_relative_to(specs.resolve()):
        message = f"manifest path {entry.path!r} points outside the specs folder"
        problems.append(SpecProblem(Level.ERROR, entry.location, message))
        return SpecDocument(display, DocumentKind.UNKNOWN, "")
    document = load_file(target, display, cache)
    if document.kind.value != entry.kind and document.sha256:
        problems.append(
            SpecProblem(
                Level.WARNING,
                entry.location,
                f"manifest says {entry.path} is {entry.kind!r}, "
                f"its content reads as {document.kind.value!r}",
            )
        )
    return _with_provider(document, entry.provider, entry.location, problems)


def _with_provider(
    document: SpecDocument, provider: str, where: Location, problems: list[SpecProblem]
) -> SpecDocument:
    if document.provider not in (None, provider):
        message = (
            f"manifest says provider {provider!r}, the document reads as "
            f"{document.provider!r}; using {provider!r}"
        )
        problems.append(SpecProblem(Level.WARNING, where, message))
    models = tuple(replace(m, provider=provider) for m in document.models)
    return replace(document, provider=provider, models=models)


def build_from_paths(
    paths: list[Path], overlay_path: Path | None, base: Path, provider: str | None = None
) -> Built:
    """Load loose documents (no manifest); protocols come from ``overlay_path``."""
    problems: list[SpecProblem] = []
    inputs: dict[str, str] = {}
    overlay_display = "overlay.yaml" if overlay_path is None else display_path(overlay_path, base)
    overlay, found, digest = _read_overlay(overlay_path, overlay_display)
    problems += found
    if digest:
        inputs[overlay_display] = digest
    documents = []
    for path in paths:
        document = load_file(path, display_path(path, base))
        if provider is not None:
            document = _with_provider(document, provider, Location(document.path), problems)
        elif document.provider is None and document.models:
            problems.append(
                SpecProblem(
                    Level.ERROR,
                    Location(document.path),
                    "cannot tell which provider this document is for; pass --provider",
                )
            )
        documents.append(document)
        inputs[document.path] = document.sha256
    bundled = overlay_path is not None and overlay_path == default_overlay_path()
    registry = build_registry(documents, overlay, bundled_overlay=bundled)
    return Built(_with_problems(registry, problems), dict(sorted(inputs.items())))


def _with_problems(registry: Registry, problems: list[SpecProblem]) -> Registry:
    return replace_problems(registry, problems)
