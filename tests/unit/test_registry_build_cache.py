"""Registry build reusing merged models: the same registry as a cold build, less work.

What a user relies on: regenerating after editing one document among many merges only
the models that document is about, and the result never differs from a build without
the cache, whatever sequence of edits (documents changed, added, removed, overlay facts
changed, module names that collide shifting as models come and go).
"""

from __future__ import annotations

import dataclasses
import hashlib
import pickle
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from musicbind.generator.load.cache import summary
from musicbind.generator.load.records import (
    DocumentKind,
    Location,
    SpecDocument,
    SpecModel,
    SpecParam,
    SpecType,
    TypeKind,
)
from musicbind.generator.project_files.overlay import Overlay, load_overlay
from musicbind.generator.registry import build
from musicbind.generator.registry.build import build_registry
from musicbind.generator.registry.build_cache import ModelCache
from musicbind.generator.registry.model import Model, Registry

PROVIDERS = """\
providers:
  fal: {display_name: fal, base_url: https://queue.fal.run, auth: key,
        statuses: {IN_QUEUE: QUEUED, COMPLETED: SUCCEEDED}}
"""
# Ids that collide as module names (acme_riff_a), so which model gets ``_2`` shifts.
MODEL_IDS = ("acme/riff-a", "acme/riff_a", "acme/riff-b", "acme/Riff-A")
SLOTS = 5  # documents a catalogue may hold: specs/fal/doc<slot>.(json|md)

# One document: (model id, is a page, maximum of duration, default of format).
Document = tuple[str, bool, int, str]
documents_st = st.tuples(
    st.sampled_from(MODEL_IDS),
    st.booleans(),
    st.integers(min_value=1, max_value=4),
    st.sampled_from(["mp3", "wav"]),
)
# A catalogue: which slots hold which document, and the overlay's price per model id.
Catalogue = tuple[dict[int, Document], dict[str, int]]
catalogues_st = st.tuples(
    st.dictionaries(st.integers(min_value=0, max_value=SLOTS - 1), documents_st),
    st.dictionaries(st.sampled_from(MODEL_IDS), st.integers(min_value=1, max_value=3)),
)


def _document(slot: int, document: Document) -> SpecDocument:
    model_id, page, maximum, default = document
    path = f"specs/fal/doc{slot}." + ("md" if page else "json")
    where = Location(path, 7) if page else Location(path, pointer="/properties/duration")
    inputs = (
        SpecParam("duration", SpecType(TypeKind.NUMBER), False, where, minimum=1, maximum=maximum),
        SpecParam(
            "format",
            SpecType(TypeKind.STRING),
            False,
            where,
            has_default=True,
            default=default,
            allowed=("mp3", "wav"),
        ),
    )
    model = SpecModel("fal", model_id, Location(path, 1), inputs=inputs)
    kind = DocumentKind.FAL_PAGE if page else DocumentKind.OPENAPI
    sha = hashlib.sha256(repr(document).encode()).hexdigest()  # as the bytes' hash would
    return SpecDocument(path, kind, sha, provider="fal", models=(model,))


def _inputs(catalogue: Catalogue) -> tuple[list[SpecDocument], Overlay]:
    documents, prices = catalogue
    lines = [
        f'  "fal:{ref}": {{pricing: {{amount: "{n}", unit: request}}}}' for ref, n in prices.items()
    ]
    text = PROVIDERS + ("models:\n" + "\n".join(lines) + "\n" if lines else "")
    overlay, problems = load_overlay(text, "specs/overlay.yaml")
    assert problems == []
    return [_document(slot, doc) for slot, doc in sorted(documents.items())], overlay


def _cached_build(catalogue: Catalogue, cache_folder: Path) -> Registry:
    """One run as ``musicbind generate`` does it: the documents are their summaries (a
    whole one is read only for a model that must be merged), the model cache is as the
    last run left it, and it is saved after the build."""
    documents, overlay = _inputs(catalogue)
    wholes = {doc.path: doc for doc in documents}
    cache = ModelCache(cache_folder, "generator-hash")
    registry = build_registry(
        [summary(doc) for doc in documents],
        overlay,
        cache=cache,
        whole=lambda doc: wholes[doc.path],
    )
    cache.save()
    return registry


@settings(max_examples=60, deadline=None)
@given(st.lists(catalogues_st, min_size=1, max_size=5))
def test_a_build_reusing_models_equals_a_cold_build(steps: list[Catalogue]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        cache_folder = Path(folder) / "models"
        for catalogue in steps:
            documents, overlay = _inputs(catalogue)
            assert _cached_build(catalogue, cache_folder) == build_registry(documents, overlay)


def test_one_changed_document_merges_one_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    merged: list[str] = []
    original = build._build_model

    def counting(ref: str, *args: object, **kwargs: object) -> object:
        merged.append(ref)
        return original(ref, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(build, "_build_model", counting)
    ids = ("acme/one", "acme/two", "acme/three")
    catalogue: Catalogue = ({i: (m, False, 2, "mp3") for i, m in enumerate(ids)}, {})
    cache_folder = tmp_path / "models"
    _cached_build(catalogue, cache_folder)
    assert sorted(merged) == ["fal:acme/one", "fal:acme/three", "fal:acme/two"]
    merged.clear()
    assert _cached_build(catalogue, cache_folder).models  # nothing changed: nothing merged
    assert merged == []
    catalogue[0][1] = ("acme/two", False, 3, "mp3")
    _cached_build(catalogue, cache_folder)
    assert merged == ["fal:acme/two"]
    merged.clear()
    _cached_build((catalogue[0], {"acme/three": 2}), cache_folder)  # its overlay facts changed
    assert merged == ["fal:acme/three"]


def test_a_broken_or_foreign_cache_file_only_costs_time(tmp_path: Path) -> None:
    catalogue: Catalogue = ({0: ("acme/one", True, 2, "wav")}, {"acme/one": 1})
    documents, overlay = _inputs(catalogue)
    cold = build_registry(documents, overlay)
    cache_folder = tmp_path / "models"
    assert _cached_build(catalogue, cache_folder) == cold
    for shard in cache_folder.glob("*.pickle"):
        shard.write_bytes(b"not a pickle")
    assert _cached_build(catalogue, cache_folder) == cold
    stale = ModelCache(cache_folder, "another generator")  # entries of other code: unused
    assert build_registry(documents, overlay, cache=stale) == cold
    (tmp_path / "blocked").write_bytes(b"a file where the folder would be")
    assert _cached_build(catalogue, tmp_path / "blocked") == cold


def test_a_model_read_back_is_the_model_it_was_stored_from(tmp_path: Path) -> None:
    """The cache restores a model's heavy fields on first use; nothing else may tell."""
    catalogue: Catalogue = ({0: ("acme/one", False, 3, "wav")}, {"acme/one": 2})
    documents, overlay = _inputs(catalogue)
    (model,) = build_registry(documents, overlay).models
    cache = ModelCache(tmp_path / "models", "generator-hash")
    cache.put("key", (model, ()))
    cache.save()
    found = ModelCache(tmp_path / "models", "generator-hash").get("key")
    assert found is not None
    read, problems = found
    assert problems == () and read is not None
    assert (read.ref, read.module_name, read.sources) == (
        model.ref,
        model.module_name,
        model.sources,
    )
    assert read == model and model == read and hash(read) == hash(model)
    assert repr(read) == repr(model)
    assert read.inputs == model.inputs and read.pricing == model.pricing
    again = pickle.loads(pickle.dumps(read))
    assert type(again) is Model and again == model
    renamed = dataclasses.replace(read, module_name="other")
    assert renamed.inputs == model.inputs and renamed.module_name == "other"
    assert renamed != model
