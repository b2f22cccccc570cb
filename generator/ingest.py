"""Pipeline: specs/ (or any documents) -> load -> registry; the entry point commands call.

Two ways in: a specs folder with ``manifest.yaml`` and ``overlay.yaml`` (a
project's own documents; :class:`generator.settings.BuildSettings` says which
overlays are layered on it), or loose document paths from anywhere (``musicbind
generate PATH... --out DIR``), which use the overlay shipped with musicbind for
the providers' protocols, with the user's ``--overlay`` on top.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from musicbind.generator.empty_documents import is_no_model_problem, with_no_model_problem
from musicbind.generator.freshness import generator_hash
from musicbind.generator.last_good import Held, LastState, keep_last_good
from musicbind.generator.load.cache import LoadCache
from musicbind.generator.load.dispatch import load_file, sha256_hex
from musicbind.generator.load.records import (
    DocumentKind,
    Level,
    Location,
    SpecDocument,
    SpecProblem,
)
from musicbind.generator.registry.build import build_registry
from musicbind.generator.registry.model import Registry
from musicbind.generator.registry.overlay import ManifestEntry, Overlay, load_manifest, load_overlay
from musicbind.generator.settings import (
    BuildSettings,
    OverlayFile,
    default_overlay_path,
    display_path,
    loose_overlay_files,
)

__all__ = [
    "Built",
    "build_from_paths",
    "build_from_specs",
    "default_overlay_path",
    "display_path",
]

MANIFEST = "manifest.yaml"
OVERLAY = "overlay.yaml"
_DOCUMENT_SUFFIXES = frozenset({".json", ".yaml", ".yml", ".md", ".markdown", ".txt"})


@dataclass(frozen=True, slots=True)
class Built:
    """A registry and the inputs it was built from (display path -> sha256).

    ``inputs`` are as headers and the manifest show them: a document with errors keeps
    the hash its kept models were generated from (see :mod:`generator.last_good`).
    ``empty``: the documents that yield no model.
    """

    registry: Registry
    inputs: dict[str, str]
    held: Held = field(default_factory=Held)
    empty: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Overlays:
    """The overlay layers as read: the project's, the bundled one, their problems and hashes."""

    project: Overlay
    bundled: Overlay | None
    problems: list[SpecProblem]
    inputs: dict[str, str]


def _read_overlays(layers: tuple[OverlayFile, ...]) -> _Overlays:
    project, bundled = Overlay((), ()), None
    problems: list[SpecProblem] = []
    inputs: dict[str, str] = {}
    for layer in layers:
        try:
            data = layer.path.read_bytes()
        except OSError as exc:
            message = f"cannot read the overlay: {exc.strerror or exc}"
            problems.append(SpecProblem(Level.ERROR, Location(layer.display), message))
            continue
        overlay, found = load_overlay(data.decode("utf-8", errors="replace"), layer.display)
        problems += found
        inputs[layer.display] = sha256_hex(data)
        if layer.bundled:
            bundled = overlay
        else:
            project = overlay
    return _Overlays(project, bundled, problems, inputs)


def build_from_specs(
    specs: Path,
    base: Path | None = None,
    *,
    cache: bool = True,
    settings: BuildSettings | None = None,
    strict: bool = False,
    last: LastState | None = None,
) -> Built:
    """Load every document a specs folder's manifest lists, plus the overlays ``settings`` name.

    Without ``settings``: the folder's own overlay.yaml only. With ``cache``, documents
    whose bytes did not change since the last run come from the load cache (see
    :mod:`generator.load.cache`). ``strict``: a document that yields no model is an
    error, not a warning. ``last``: the output's last state, which models whose
    documents have errors keep.
    """
    settings = settings or BuildSettings()
    base = base or settings.display_base(specs)
    load_cache = LoadCache(specs, generator_hash()) if cache else None
    problems: list[SpecProblem] = []
    inputs: dict[str, str] = {}
    manifest_path = specs / MANIFEST
    manifest_display = display_path(manifest_path, base)
    entries: list[ManifestEntry] = []
    manifest_broken = False
    if manifest_path.is_file():
        data = manifest_path.read_bytes()
        inputs[manifest_display] = sha256_hex(data)
        entries, found = load_manifest(data.decode("utf-8", errors="replace"), manifest_display)
        problems += found
        # An entry with an error is dropped; its file is listed all the same, so no document
        # is called "not listed" while the manifest itself has errors.
        manifest_broken = any(p.level is Level.ERROR for p in found)
    else:
        problems.append(
            SpecProblem(
                Level.ERROR,
                Location(manifest_display),
                "the specs folder has no manifest.yaml listing its documents",
            )
        )
    layers = settings.overlay_files(specs)
    overlays = _read_overlays(layers)
    problems += overlays.problems
    inputs.update(overlays.inputs)
    if load_cache is not None:  # many new documents load in worker processes
        targets = [(specs / e.path).resolve() for e in entries]
        inside = [t for t in targets if t.is_relative_to(specs.resolve())]
        load_cache.preload([(t, display_path(t, base)) for t in inside])
    documents = [_load_entry(specs, base, entry, problems, load_cache, strict) for entry in entries]
    if load_cache is not None:
        load_cache.save()
    listed = {(specs / e.path).resolve() for e in entries} | {o.path.resolve() for o in layers}
    for stray in sorted(
        p for p in specs.rglob("*") if p.is_file() and p.suffix in _DOCUMENT_SUFFIXES
    ):
        if manifest_broken:
            break
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
    return _built(documents, overlays, problems, inputs, last)


def _built(
    documents: list[SpecDocument],
    overlays: _Overlays,
    problems: list[SpecProblem],
    inputs: dict[str, str],
    last: LastState | None,
) -> Built:
    def build(kept: Registry | None) -> Registry:
        return build_registry(documents, overlays.project, bundled=overlays.bundled, kept=kept)

    registry, held = keep_last_good(documents, problems, inputs, last, build)
    empty = tuple(sorted(d.path for d in documents if any(map(is_no_model_problem, d.problems))))
    return Built(registry, held.inputs, held, empty)


def _load_entry(
    specs: Path,
    base: Path,
    entry: ManifestEntry,
    problems: list[SpecProblem],
    cache: LoadCache | None,
    strict: bool,
) -> SpecDocument:
    target = (specs / entry.path).resolve()
    display = display_path(target, base)
    if not target.is_relative_to(specs.resolve()):
        message = f"manifest path {entry.path!r} points outside the specs folder"
        problems.append(SpecProblem(Level.ERROR, entry.location, message))
        return SpecDocument(display, DocumentKind.UNKNOWN, "")
    document = with_no_model_problem(load_file(target, display, cache), strict=strict)
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
    if document.provider_facts is not None:  # a generic provider: the manifest names it
        facts = replace(document.provider_facts, name=provider)
        models = tuple(replace(m, provider=provider) for m in document.models)
        return replace(document, provider=provider, models=models, provider_facts=facts)
    if document.provider not in (None, provider):
        message = (
            f"manifest says provider {provider!r}, the document reads as "
            f"{document.provider!r}; using {provider!r}"
        )
        problems.append(SpecProblem(Level.WARNING, where, message))
    models = tuple(replace(m, provider=provider) for m in document.models)
    return replace(document, provider=provider, models=models)


def build_from_paths(
    paths: list[Path],
    overlay_path: Path | None,
    base: Path,
    provider: str | None = None,
    *,
    bundled_overlay: bool = False,
    strict: bool = False,
    last: LastState | None = None,
) -> Built:
    """Load loose documents (no manifest); protocols come from the overlays.

    ``overlay_path`` is the bundled overlay (:func:`default_overlay_path`) or a user's;
    ``bundled_overlay`` lays a user's over the bundled one instead of replacing it.
    ``strict`` and ``last`` as for :func:`build_from_specs`.
    """
    problems: list[SpecProblem] = []
    overlays = _read_overlays(
        loose_overlay_files(overlay_path, base, bundled_overlay=bundled_overlay)
    )
    problems += overlays.problems
    inputs = dict(overlays.inputs)
    documents = []
    for path in paths:
        document = with_no_model_problem(load_file(path, display_path(path, base)), strict=strict)
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
    return _built(documents, overlays, problems, inputs, last)
