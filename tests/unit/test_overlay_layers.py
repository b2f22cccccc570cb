"""Overlay layers: the bundled overlay beneath a project's, and which facts may be reported.

The registry's rules: a project's entry for a provider or model replaces the bundled one of
that name; the bundled model facts apply to the models the documents describe and are
never reported for the others; a project's entry naming a model no document describes is
(a typo). The settings decide which files are the layers, and the fast freshness check
must name them exactly as the pipeline does.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from musicbind.generator.freshness import spec_input_hashes
from musicbind.generator.ingest import build_from_specs
from musicbind.generator.load.records import Level
from musicbind.generator.project_files.overlay import Overlay, layer_overlays, load_overlay
from musicbind.generator.registry.build import build_registry
from musicbind.generator.settings import (
    BUNDLED_OVERLAY_LABEL,
    BuildSettings,
    default_overlay_path,
    loose_overlay_files,
)

DOCUMENTS = Path(__file__).resolve().parents[1] / "cli" / "user_documents"
BUNDLED = """\
providers:
  fal: {display_name: fal, base_url: https://queue.fal.run, auth: key,
        statuses: {IN_QUEUE: QUEUED, COMPLETED: SUCCEEDED}}
  scenario: {display_name: Scenario, base_url: https://api.cloud.scenario.com, auth: basic,
             statuses: {queued: QUEUED, success: SUCCEEDED}}
models:
  "fal:a/shipped": {pricing: {amount: "1", unit: request}}
  "fal:a/both": {pricing: {amount: "2", unit: request}}
"""
PROJECT = """\
providers:
  fal: {display_name: fal, base_url: https://fal.example.com, auth: key,
        statuses: {IN_QUEUE: QUEUED, COMPLETED: SUCCEEDED}}
models:
  "fal:a/both": {pricing: {amount: "3", unit: request}}
  "fal:a/mine": {pricing: {amount: "4", unit: request}}
"""


def test_a_projects_entries_win_by_name() -> None:
    bundled, _ = load_overlay(BUNDLED, BUNDLED_OVERLAY_LABEL)
    project, _ = load_overlay(PROJECT, "specs/overlay.yaml")
    layered, quiet = layer_overlays(bundled, project)
    urls = {p.name: p.base_url for p in layered.providers}
    assert urls == {"fal": "https://fal.example.com", "scenario": "https://api.cloud.scenario.com"}
    prices = {m.ref: m.pricing.amount for m in layered.models if m.pricing}
    assert prices == {"fal:a/both": "3", "fal:a/mine": "4", "fal:a/shipped": "1"}
    assert quiet == {"fal:a/shipped"}
    assert layer_overlays(None, project) == (project, frozenset())


def test_only_the_projects_unknown_models_are_reported() -> None:
    bundled, _ = load_overlay(BUNDLED, BUNDLED_OVERLAY_LABEL)
    project, _ = load_overlay(PROJECT, "specs/overlay.yaml")
    registry = build_registry([], project, bundled=bundled)
    suffix = ": overlay names a model no document describes"
    assert sorted(p.message.removesuffix(suffix) for p in registry.problems) == [
        "fal:a/both",
        "fal:a/mine",
    ]
    assert all(p.level is Level.WARNING for p in registry.problems)
    assert all(p.location.path == "specs/overlay.yaml" for p in registry.problems)
    assert build_registry([], bundled, bundled=None).problems  # a project's own: reported
    assert not build_registry([], Overlay((), ()), bundled=bundled).problems


def _specs(tmp_path: Path, overlay: str | None = PROJECT) -> Path:
    specs = tmp_path / "specs"
    shutil.copytree(DOCUMENTS, specs)
    (specs / "manifest.yaml").write_text(
        "documents:\n"
        "  - {path: fal/acme-riff-maker.md, provider: fal, kind: fal-page}\n"
        "  - {path: fal/sonilo-video-to-music.md, provider: fal, kind: fal-page}\n"
        "  - {path: scenario/sonilo-text-to-music.md, provider: scenario, kind: scenario-table}\n"
    )
    if overlay is not None:
        (specs / "overlay.yaml").write_text(overlay)
    return specs


def test_settings_name_the_layers(tmp_path: Path) -> None:
    specs = _specs(tmp_path)
    extend = BuildSettings(bundled_overlay=True).overlay_files(specs)
    assert [(o.display, o.bundled) for o in extend] == [
        (BUNDLED_OVERLAY_LABEL, True),
        ("specs/overlay.yaml", False),
    ]
    assert [o.display for o in BuildSettings().overlay_files(specs)] == ["specs/overlay.yaml"]
    elsewhere = BuildSettings(overlay=tmp_path / "rules.yaml", base=tmp_path)
    assert [o.display for o in elsewhere.overlay_files(specs)] == ["rules.yaml"]
    # musicbind's own repository: its specs/overlay.yaml is the bundled overlay, one layer.
    bundled = default_overlay_path()
    assert bundled is not None
    own = BuildSettings(overlay=bundled, bundled_overlay=True).overlay_files(specs)
    assert [(o.path, o.bundled) for o in own] == [(bundled, False)]
    loose = loose_overlay_files(bundled, tmp_path, bundled_overlay=False)
    assert [(o.display, o.bundled) for o in loose] == [(BUNDLED_OVERLAY_LABEL, True)]
    mine = loose_overlay_files(specs / "overlay.yaml", tmp_path, bundled_overlay=True)
    assert [o.display for o in mine] == [BUNDLED_OVERLAY_LABEL, "specs/overlay.yaml"]


def test_the_fast_check_names_the_inputs_as_the_pipeline_does(tmp_path: Path) -> None:
    specs = _specs(tmp_path, overlay=None)
    for settings in (
        BuildSettings(),
        BuildSettings(bundled_overlay=True, base=tmp_path),
        BuildSettings(bundled_overlay=True, base=tmp_path.parent),
    ):
        built = build_from_specs(specs, cache=False, settings=settings)
        assert spec_input_hashes(specs, settings) == built.inputs
    extend = build_from_specs(specs, cache=False, settings=BuildSettings(bundled_overlay=True))
    models = {m.ref: m for m in extend.registry.models}
    assert set(models) == {
        "fal:acme/riff-maker",
        "fal:sonilo/v1.1/video-to-music",
        "scenario:model_sonilo-v1-1-text-to-music",
    }
    assert not extend.registry.problems  # the bundled models the documents do not name: silent
    sonilo = models["fal:sonilo/v1.1/video-to-music"]  # named by both: the bundled facts apply
    assert sonilo.pricing and sonilo.pricing.location.path == BUNDLED_OVERLAY_LABEL
    alone = build_from_specs(specs, cache=False)
    assert not alone.registry.models  # no overlay at all: no provider protocol
