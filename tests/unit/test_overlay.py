"""The manifest and overlay readers: typed records, and located errors for every kind of mistake."""

from __future__ import annotations

from typing import get_args

import pytest

from musicbind.generator.load.records import DocumentKind
from musicbind.generator.project_files.overlay import ListedKind, load_manifest, load_overlay
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
    ("text", "where", "words"),
    [
        (GOOD.replace("RUNNING", "GOING"), "6:47", "IN_PROGRESS: expected one of 'QUEUED'"),
        (GOOD.replace("auth: key", "auth: magic"), "5:11", "auth: expected one of 'basic', 'key'"),
        (GOOD.replace("segment_within_media", "teleport"), "10:16", "kind: expected one of"),
        (GOOD.replace("unit: second", "unit: fortnight"), "11:53", "unit: expected one of"),
        (GOOD.replace('"0.009"', '"cheap"'), "11:38", "is not a price"),
        (GOOD.replace("base_url", "baseurl"), "4:5", 'unknown key "baseurl"; did you mean'),
        ("providers: [\n  - {\n", "2:3", "invalid YAML: did not find expected node content"),
        ("providers:\n  x: 1\n  x: 2\n", "3:3", 'duplicate key "x"'),
    ],
)
def test_overlay_mistakes_are_located(text: str, where: str, words: str) -> None:
    _, problems = load_overlay(text, "overlay.yaml")
    shown = [str(p) for p in problems]
    assert any(s.startswith(f"overlay.yaml:{where}: error: ") and words in s for s in shown), shown


@pytest.mark.parametrize(
    ("typo", "meant", "where"),
    [
        ("rules:", "rules", "9:5"),
        ("pricing:", "pricing", "11:5"),
        ("statuses:", "statuses", "6:5"),
        ("seconds_from:", "seconds_from", "11:61"),
        ("models:", "models", "7:1"),
    ],
)
def test_a_misspelled_key_is_an_error_with_a_did_you_mean(
    typo: str, meant: str, where: str
) -> None:
    misspelled = typo[:-3] + typo[-2] + typo[-3] + ":"  # swap the last two letters
    overlay, problems = load_overlay(GOOD.replace(typo, misspelled, 1), "overlay.yaml")
    (problem,) = problems
    assert str(problem).startswith(f"overlay.yaml:{where}: error: ")
    assert f'unknown key "{misspelled[:-1]}"; did you mean "{meant}"?' in problem.message
    # the entry that held it is dropped, never half-read
    assert len(overlay.providers) + len(overlay.models) == 1


RULES = """\
models:
  "fal:x/y":
    rules:
      - {name: "length:prompt", enabled: false}
      - {kind: range, fields: [tempo], minimum: 70, maximum: 180}
      - {kind: required_when, fields: [lyrics, is_instrumental], value: false}
"""


def test_rule_entries_add_change_and_switch_off() -> None:
    overlay, problems = load_overlay(RULES, "overlay.yaml")
    assert problems == []
    off, tempo, vocal = overlay.models[0].rules
    assert (off.name, off.kind, off.enabled) == ("length:prompt", None, False)
    assert (tempo.kind, tempo.fields, tempo.minimum, tempo.maximum) == (
        "range",
        ("tempo",),
        70,
        180,
    )
    assert vocal.value is False and vocal.location.line == 6


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        ("{name: length:prompt}", "needs a kind"),
        ("{kind: requires, fields: [a]}", "a requires rule needs fields: [<field>, <other field>]"),
        ("{kind: length, fields: [a, b]}", "a length rule needs fields: [<one field>]"),
        ("{kind: segment_within_media, start: a}", "needs media"),
    ],
)
def test_incomplete_rule_entries_are_located(entry: str, words: str) -> None:
    text = f'models:\n  "fal:x/y":\n    rules:\n      - {entry}\n'
    _, problems = load_overlay(text, "overlay.yaml")
    assert any(str(p).startswith("overlay.yaml:4:") and words in p.message for p in problems), [
        str(p) for p in problems
    ]


def test_manifest_entries_and_missing_keys() -> None:
    text = (
        "documents:\n"
        "  - {path: a.json, provider: fal, kind: openapi, retrieved: 2026-06-15}\n"
        "  - {path: b.md}\n"
        "  - {path: c.md, provider: fal, kind: fal_page, retreived: 2026-06-15}\n"
    )
    entries, problems = load_manifest(text, "manifest.yaml")
    assert [e.path for e in entries] == ["a.json"] and entries[0].retrieved == "2026-06-15"
    assert [str(p) for p in problems] == [
        'manifest.yaml:3:5: error: documents[1]: missing "provider"',
        'manifest.yaml:3:5: error: documents[1]: missing "kind"',
        "manifest.yaml:4:39: error: documents[2].kind: expected one of 'openapi', "
        "'scenario-table', 'fal-page', 'gateway-page' or 'fal-models-api', got \"fal_page\"",
        'manifest.yaml:4:49: error: documents[2]: unknown key "retreived"; did you mean '
        '"retrieved"? (known here: path, provider, kind, origin, retrieved, etag, '
        "last_modified)",
    ]


def test_the_manifest_kinds_are_the_loaders_kinds() -> None:
    listed = set(get_args(ListedKind))
    assert listed == {kind.value for kind in DocumentKind} - {DocumentKind.UNKNOWN.value}
