"""The manifest and overlay readers: typed records, and located errors for every kind of mistake."""

from __future__ import annotations

import pytest

from musicbind.generator.registry.overlay import load_manifest, load_overlay
from musicbind.runtime.jobstate import JobState

GOOD = """\
providers:
  fal:
    display_name: fal
    base_url: https://queue.fal.run
    auth: key
    statuses: {IN_QUEUE: QUEUED, IN_PROGRESS: RUNNING, COMPLETED: SUCCEEDED}
models:
  "fal:x/y":
    rules:
      - {kind: segment_within_media, media: video_url, start: start_offset, length: duration}
    pricing: {currency: USD, amount: "0.009", unit: second, seconds_from: duration}
"""


def test_good_overlay() -> None:
    overlay, problems = load_overlay(GOOD, "overlay.yaml")
    assert problems == []
    (fal,) = overlay.providers
    assert dict(fal.statuses)["COMPLETED"] is JobState.SUCCEEDED
    (model,) = overlay.models
    assert model.rules[0].media == "video_url" and model.rules[0].location.line == 10
    assert model.pricing is not None and model.pricing.amount == "0.009"


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        (GOOD.replace("RUNNING", "GOING"), 3, "not one of"),
        (GOOD.replace("auth: key", "auth: magic"), 3, "auth must be one of"),
        (GOOD.replace("segment_within_media", "teleport"), 10, "unknown rule kind"),
        (GOOD.replace("unit: second", "unit: fortnight"), 11, "pricing unit"),
        (GOOD.replace('"0.009"', '"cheap"'), 11, "not a number"),
        ("providers: [\n  - {\n", 2, "not valid YAML"),
    ],
)
def test_overlay_mistakes_are_located(text: str, line: int, words: str) -> None:
    _, problems = load_overlay(text, "overlay.yaml")
    assert any(p.location.line == line and words in p.message for p in problems), problems
    assert all(str(p).startswith("overlay.yaml:") for p in problems)


def test_manifest_entries_and_missing_keys() -> None:
    text = (
        "documents:\n"
        "  - {path: a.json, provider: fal, kind: openapi, retrieved: 2026-06-15}\n"
        "  - {path: b.md}\n"
    )
    entries, problems = load_manifest(text, "manifest.yaml")
    assert [e.path for e in entries] == ["a.json"] and entries[0].retrieved == "2026-06-15"
    assert {p.location.line for p in problems} == {3}
    assert any("missing 'provider'" in p.message for p in problems)
