"""The last good state (generator/last_good.py) and documents that yield no model, in-process."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from musicbind.generator.empty_documents import no_model_problem
from musicbind.generator.freshness import Manifest, read_manifest
from musicbind.generator.generate import check_specs, generate_specs
from musicbind.generator.load.records import (
    DocumentKind,
    Level,
    Location,
    SpecDocument,
    SpecProblem,
)
from musicbind.generator.settings import BuildSettings
from musicbind.generator.snapshot.snapshot_file import read_snapshot

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = BuildSettings(package="bindings")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MUSICBIND_CACHE_DIR", str(tmp_path / "cache"))
    shutil.copytree(ROOT / "specs", tmp_path / "specs")
    assert not generate_specs(tmp_path / "specs", tmp_path / "out", SETTINGS).errors
    return tmp_path


def _model_refs(out: Path) -> list[str]:
    """The refs of the models the last generation wrote (the catalogue grows: never a count)."""
    registry, problems = read_snapshot(out)
    assert registry is not None, problems
    return sorted(model.ref for model in registry.models)


def _files(out: Path) -> dict[str, bytes]:
    return {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in out.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.name != "_manifest.json"
    }


def test_the_manifest_keeps_the_error_record_and_is_not_settled_while_it_does() -> None:
    kept = {"fal:x": {"files": ["fal/x.py"], "because": ["specs/fal/x.json:3:4"]}}
    manifest = Manifest("1", "g", {}, {}, "p", errors=("specs/fal/x.json",), kept=kept)
    assert not manifest.settled()
    empty = Manifest("1", "g", {}, {}, "p", empty=("specs/a.md",))
    assert empty.settled() and not empty.settled(strict=True)
    clean = Manifest("1", "g", {}, {}, "p")
    assert set(clean.as_text().split('"')) >= {"files", "inputs"}
    assert "kept" not in clean.as_text() and "errors" not in clean.as_text()


def test_the_error_record_round_trips(tmp_path: Path) -> None:
    kept = {"fal:x": {"files": ["fal/x.py"], "because": ["specs/fal/x.json#/paths"]}}
    manifest = Manifest("1", "g", {"a": "b"}, {}, "p", errors=("a",), kept=kept, empty=("c",))
    (tmp_path / "_manifest.json").write_text(manifest.as_text())
    assert read_manifest(tmp_path) == manifest


def _document(kind: DocumentKind, provider: str | None, *problems: SpecProblem) -> SpecDocument:
    return SpecDocument("specs/d", kind, "0" * 64, provider, (), problems)


def test_a_document_without_a_model_is_a_warning_or_under_strict_an_error() -> None:
    document = _document(DocumentKind.OPENAPI, None)
    warning = no_model_problem(document, strict=False)
    assert warning is not None and warning.level is Level.WARNING
    assert warning.message.startswith("yields no model: an OpenAPI document yields a model")
    error = no_model_problem(document, strict=True)
    assert error is not None and error.level is Level.ERROR
    # Its errors explain a broken document; Scenario's platform document has no model by design.
    broken = SpecProblem(Level.ERROR, Location("specs/d", 1), "invalid JSON")
    assert no_model_problem(_document(DocumentKind.OPENAPI, None, broken), strict=True) is None
    assert no_model_problem(_document(DocumentKind.OPENAPI, "scenario"), strict=True) is None
    page = no_model_problem(_document(DocumentKind.FAL_PAGE, "fal"), strict=False)
    assert page is not None and "Input Schema" in page.message


def test_a_model_whose_build_fails_keeps_its_last_state_with_its_provider(project: Path) -> None:
    before = _files(project / "out")
    gateway_refs = [r for r in _model_refs(project / "out") if r.startswith("aigateway:")]
    overlay = project / "specs" / "overlay.yaml"
    text = overlay.read_text(encoding="utf-8")
    start, end = text.index("  aigateway:\n"), text.index("models:\n")
    overlay.write_text(text[:start] + text[end:], encoding="utf-8")  # no gateway protocol
    outcome = generate_specs(project / "specs", project / "out", SETTINGS)
    assert any("has no protocol" in p.message for p in outcome.errors)
    kept = {k.ref: k for k in outcome.kept}
    assert sorted(kept) == gateway_refs and "aigateway:sonauto/v2/text-to-music" in kept
    sonauto = kept["aigateway:sonauto/v2/text-to-music"]
    assert sonauto.reason().startswith("specs/aigateway/sonauto-v2-text-to-music.md:")
    after = _files(project / "out")
    gateway = [p for p in before if p.startswith(("aigateway/", "reference/aigateway"))]
    # The provider's package (__init__, client, the methods package and its one group), its
    # reference page, and per model its module, its methods module and its reference page.
    assert len(gateway) == 5 + 3 * len(gateway_refs)
    assert all(after[p] == before[p] for p in gateway)
    assert not check_specs(project / "specs", project / "out", SETTINGS).up_to_date


def test_a_broken_overlay_keeps_every_model(project: Path) -> None:
    before = _files(project / "out")
    count = len(_model_refs(project / "out"))
    overlay = project / "specs" / "overlay.yaml"
    overlay.write_text(overlay.read_text(encoding="utf-8") + "providers: [\n", encoding="utf-8")
    outcome = generate_specs(project / "specs", project / "out", SETTINGS)
    assert outcome.errors and len(outcome.kept) == outcome.models == count
    assert all(k.reason().startswith("specs/overlay.yaml") for k in outcome.kept)
    assert _files(project / "out") == before
    manifest = read_manifest(project / "out")
    assert manifest is not None and "specs/overlay.yaml" in manifest.errors
    assert len(manifest.kept) == count


def test_a_new_broken_document_keeps_nothing_and_deletes_nothing(project: Path) -> None:
    before = _files(project / "out")
    count = len(_model_refs(project / "out"))
    (project / "specs" / "fal" / "new.openapi.json").write_text('{"openapi": "3.0.4",')
    manifest = project / "specs" / "manifest.yaml"
    manifest.write_text(
        manifest.read_text(encoding="utf-8")
        + "  - path: fal/new.openapi.json\n    provider: fal\n    kind: openapi\n",
        encoding="utf-8",
    )
    outcome = generate_specs(project / "specs", project / "out", SETTINGS)
    assert outcome.errors and outcome.kept == () and outcome.models == count
    after = _files(project / "out")
    assert after.keys() == before.keys()
    assert all(after[p] == before[p] for p in before if "/" in p and "reference" not in p)
    written = read_manifest(project / "out")
    assert written is not None and "specs/fal/new.openapi.json" not in written.inputs
