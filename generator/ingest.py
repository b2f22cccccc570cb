"""Pipeline: specs/ (or any documents) -> load -> registry; the entry point commands call.

Two ways in: a specs folder with ``manifest.yaml`` and ``overlay.yaml`` (a
project's own documents; :class:`generator.settings.BuildSettings` says which
overlays are layered on it), or loose document paths from anywhere (``musicbind
generate PATH... --out DIR``), which use the overlay shipped with musicbind for
the providers' protocols, with the user's ``--overlay`` on top.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from musicbind.generator.collector import paused
from musicbind.generator.empty_documents import is_no_model_problem, with_no_model_problem
from musicbind.generator.freshness import Stamps, bytes_hash, generator_hash
from musicbind.generator.last_good import Held, LastState, keep_last_good
from musicbind.generator.load.cache import LoadCache, PickleCache, cache_dir, folder_name
from musicbind.generator.load.dispatch import load_file, preload, sha256_hex
from musicbind.generator.load.records import (
    DocumentKind,
    Level,
    Location,
    SpecDocument,
    SpecProblem,
)
from musicbind.generator.project_files.overlay import (
    ManifestEntry,
    Overlay,
    load_manifest,
    load_overlay,
)
from musicbind.generator.registry.build import Whole, build_registry
from musicbind.generator.registry.build_cache import ModelCache
from musicbind.generator.registry.model import Registry
from musicbind.generator.settings import (
    BuildSettings,
    OverlayFile,
    default_overlay_path,
    display_path,
    loose_overlay_files,
)
from musicbind.generator.specs_folder import MANIFEST, FolderFiles, Listed, locate, strays

__all__ = [
    "Built",
    "build_from_paths",
    "build_from_specs",
    "default_overlay_path",
    "display_path",
]


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
    stamps: Stamps | None = None,
) -> Built:
    """Load every document a specs folder's manifest lists, plus the overlays ``settings`` name.

    Without ``settings``: the folder's own overlay.yaml only. With ``cache``, documents
    whose bytes did not change since the last run come from the load cache (see
    :mod:`generator.load.cache`), and models whose documents did not change from the
    model cache (:mod:`generator.registry.build_cache`). ``strict``: a document that
    yields no model is an error, not a warning. ``last``: the output's last state,
    which models whose documents have errors keep.
    """
    settings = settings or BuildSettings()
    base = base or settings.display_base(specs)
    problems: list[SpecProblem] = []
    inputs: dict[str, str] = {}
    entries, manifest_broken = _read_manifest(specs, base, problems, inputs, cache=cache)
    layers = settings.overlay_files(specs)
    overlays = _read_overlays(layers)
    problems += overlays.problems
    inputs.update(overlays.inputs)
    found = FolderFiles.walk(specs)
    listed = locate(specs, base, entries, found)
    documents, whole = _load_listed(listed, problems, specs if cache else None, strict, stamps)
    if not manifest_broken:
        problems += strays(base, listed, layers, found)
    for doc in documents:
        inputs[doc.path] = doc.sha256
    model_cache = ModelCache.for_specs(specs, generator_hash()) if cache else None
    with paused(model_cache is not None):
        built = _built(documents, overlays, problems, inputs, last, model_cache, whole)
    if model_cache is not None:
        model_cache.save()
    return built


def _read_manifest(
    specs: Path, base: Path, problems: list[SpecProblem], inputs: dict[str, str], *, cache: bool
) -> tuple[list[ManifestEntry], bool]:
    """The manifest's entries, and whether it has errors (its hash goes into ``inputs``).

    With ``cache``, the entries parsed from the same bytes last time are taken from the
    user's cache (parsing a manifest of 10,000 documents costs more than half a second).
    """
    manifest_path = specs / MANIFEST
    manifest_display = display_path(manifest_path, base)
    if not manifest_path.is_file():
        message = "the specs folder has no manifest.yaml listing its documents"
        problems.append(SpecProblem(Level.ERROR, Location(manifest_display), message))
        return [], False
    data = manifest_path.read_bytes()
    inputs[manifest_display] = sha256_hex(data)
    parsed = _ManifestCache(specs) if cache else None
    key = (manifest_display, inputs[manifest_display])
    found_before = parsed.get(key) if parsed is not None else None
    if found_before is None:
        found_before = load_manifest(data.decode("utf-8", errors="replace"), manifest_display)
        if parsed is not None:
            parsed.put(key, found_before)
            parsed.save()
    entries, found = found_before
    problems += found
    # An entry with an error is dropped; its file is listed all the same, so no document
    # is called "not listed" while the manifest itself has errors.
    return entries, any(p.level is Level.ERROR for p in found)


_ParsedManifest = tuple[list[ManifestEntry], list[SpecProblem]]


class _ManifestCache(PickleCache[tuple[str, str], _ParsedManifest]):
    """The specs folder's manifest as last parsed, by (display path, sha256 of its bytes)."""

    def __init__(self, specs: Path) -> None:
        super().__init__(
            cache_dir() / f"manifest-{folder_name(specs)}",
            (1, generator_hash()),
            lambda key: "0",
            lambda found: isinstance(found, tuple) and len(found) == 2,
        )


def _load_listed(
    listed: list[Listed],
    problems: list[SpecProblem],
    cached: Path | None,
    strict: bool,
    stamps: Stamps | None = None,
) -> tuple[list[SpecDocument], Whole | None]:
    """The listed documents, from the load cache of specs folder ``cached`` when given
    (``stamps``: documents whose recorded hash the cache holds are not read).

    Documents found in the cache are their summaries (see
    :func:`generator.load.cache.summary`); the function returned reads a whole one for
    the registry build when one of its models must be merged again.
    """
    load_cache = LoadCache(cached, generator_hash(), summaries=True) if cached else None
    if load_cache is None:
        return [_load_entry(f, problems, None, strict) for f in listed], None
    hashes = _known_hashes(listed, stamps) if stamps is not None else {}
    preload(load_cache, [(f.target, f.display) for f in listed if f.inside], hashes)
    # Not around the workers above (they would inherit it), nor where every document is
    # parsed here (parsing leaves garbage to collect).
    with paused():
        documents = [_load_entry(f, problems, load_cache, strict, hashes) for f in listed]
    load_cache.save()
    by_display = {f.display: f for f in listed}

    def whole(document: SpecDocument) -> SpecDocument:
        if not load_cache.summarised(document.path, document.sha256):
            return document  # loaded (or read from the cache) whole in this run
        file = by_display[document.path]
        found = load_cache.whole(document.path, document.sha256)
        if found is None:  # its cache entry is unreadable: read it again
            found = load_file(file.target, file.display)
        return _with_provider(found, file.entry.provider, file.entry.location, [])

    return documents, whole


def _known_hashes(listed: list[Listed], stamps: Stamps) -> dict[str, str]:
    """The hash of each listed document's bytes by display path: recorded in ``stamps``
    when the file's size and mtime are unchanged (``check`` records them too), else read."""
    hashes = {}
    for file in listed:
        if file.inside:
            try:
                hashes[file.display] = stamps.digest(os.fspath(file.given), bytes_hash, "bytes")
            except OSError:
                continue  # load_file says what is wrong with it
    return hashes


def _built(
    documents: list[SpecDocument],
    overlays: _Overlays,
    problems: list[SpecProblem],
    inputs: dict[str, str],
    last: LastState | None,
    cache: ModelCache | None = None,
    whole: Whole | None = None,
) -> Built:
    def build(kept: Registry | None) -> Registry:
        return build_registry(
            documents,
            overlays.project,
            bundled=overlays.bundled,
            kept=kept,
            cache=cache,
            whole=whole,
        )

    registry, held = keep_last_good(documents, problems, inputs, last, build)
    empty = tuple(sorted(d.path for d in documents if any(map(is_no_model_problem, d.problems))))
    return Built(registry, held.inputs, held, empty)


def _load_entry(
    listed: Listed,
    problems: list[SpecProblem],
    cache: LoadCache | None,
    strict: bool,
    hashes: Mapping[str, str] | None = None,
) -> SpecDocument:
    entry = listed.entry
    if not listed.inside:
        message = f"manifest path {entry.path!r} points outside the specs folder"
        problems.append(SpecProblem(Level.ERROR, entry.location, message))
        return SpecDocument(listed.display, DocumentKind.UNKNOWN, "")
    sha = hashes.get(listed.display) if hashes else None
    document = load_file(listed.target, listed.display, cache, sha)
    document = with_no_model_problem(document, strict=strict)
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
    if document.provider == provider and all(m.provider == provider for m in document.models):
        return document  # named so already (most documents of a large catalogue)
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
