"""Rules stated in descriptions' sentences, end to end (issue 12, item 3).

A fal page and a Scenario table of our own making state a length cap, a length range, a
numeric range with a unit, requires, cannot-be-used-with, required-when and
segment-within-media in their descriptions. Generated from those documents, the bindings
refuse a payload breaking each rule with a message naming it; `musicbind schema` states
them under x-musicbind-rules; `musicbind rules` lists them and a sentence it left alone;
the overlay switches one off and changes another by name.
"""

from __future__ import annotations

import importlib
import itertools
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from musicbind.generator.generate import generate_paths
from musicbind.generator.ingest import default_overlay_path

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "fixtures" / "prose"
FAL = FIXTURES / "fal_lyric_forge.md"
SCENARIO = FIXTURES / "scenario_clip_scorer.md"
FAL_REF = "fal:example-ai/lyric-forge/v1"
SCENARIO_REF = "scenario:model_clip-scorer"
_counter = itertools.count()


def _generate(
    paths: list[Path],
    provider: str | None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    overlay: Path | None = None,
) -> tuple[str, Any]:
    name = f"prose_{next(_counter)}"
    outcome = generate_paths(
        paths,
        tmp_path / name,
        overlay or default_overlay_path(),
        provider,
        bundled_overlay=overlay is not None,
    )
    assert not outcome.errors, outcome.errors
    monkeypatch.syspath_prepend(str(tmp_path))
    return name, importlib.import_module(name)


def _refused(model: type[BaseModel], data: dict[str, Any], rule: str, **context: Any) -> str:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data, context=context or None)
    text = str(caught.value)
    assert rule in text, text
    return text


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(cwd), str(ROOT)]))
    return subprocess.run(
        [sys.executable, "-P", "-m", "musicbind", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )


def test_fal_page_rules_are_enforced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    name, package = _generate([FAL], None, tmp_path, monkeypatch)
    model = package.get_binding(FAL_REF).input_model
    ok = {"lyrics": "la la", "prompt": "warm folk", "style_strength": 0.5, "tempo": 90}
    model.model_validate(ok)
    model.model_validate({"is_instrumental": True})  # no lyrics needed without vocals
    # Length cap and numeric range: the fields' own constraints.
    _refused(model, {**ok, "prompt": "x" * 301}, "at most 300 characters")
    _refused(model, {**ok, "tempo": 200}, "less than or equal to 180")
    # The cross-field rules: each refusal names its rule.
    _refused(model, {"prompt": "folk"}, "required_when:lyrics,is_instrumental")
    _refused(model, {"lyrics": "la", "style_strength": 0.5}, "requires:style_strength,prompt")
    _refused(
        model,
        {"lyrics": "la", "reference_audio_url": "https://example.com/a.mp3"},
        "excludes:reference_audio_url,lyrics",
    )

    schema = json.loads(_cli("schema", FAL_REF, "--package", name, cwd=tmp_path).stdout)
    stated = {rule["name"]: rule for rule in schema["x-musicbind-rules"]}
    assert set(stated) == {
        "length:prompt",
        "range:tempo",
        "required_when:lyrics,is_instrumental",
        "requires:style_strength,prompt",
        "excludes:reference_audio_url,lyrics",
    }
    assert stated["required_when:lyrics,is_instrumental"]["value"] is False
    assert stated["length:prompt"]["maximum"] == 300
    assert stated["requires:style_strength,prompt"]["source"].endswith("fal_lyric_forge.md:21")
    assert schema["properties"]["prompt"]["maxLength"] == 300

    # `musicbind validate` points at the key and cites the sentence's file:line.
    payload = tmp_path / "song.json"
    payload.write_text(
        json.dumps({"model": FAL_REF, "input": {"lyrics": "la", "style_strength": 1}})
    )
    done = _cli("validate", str(payload), "--package", name, "--format", "json", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    [problem] = json.loads(done.stdout)["problems"]
    assert problem["path"] == "$.input.style_strength"
    assert "requires:style_strength,prompt" in problem["message"]
    assert problem["source"].endswith("fal_lyric_forge.md:21")


def test_scenario_table_rules_are_enforced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    name, package = _generate([SCENARIO], "scenario", tmp_path, monkeypatch)
    model = package.get_binding(SCENARIO_REF).input_model
    ok = {"audio": "asset_1", "title": "Dawn", "startOffset": 10, "duration": 20}
    model.model_validate(ok, context={"media_duration": {"audio": 30}})
    _refused(model, {**ok, "title": "ab"}, "at least 3 characters")
    _refused(model, {**ok, "duration": 2}, "greater than or equal to 5")
    text = _refused(
        model,
        {**ok, "duration": 25},
        "segment_within_media:audio,startOffset,duration",
        media_duration={"audio": 30},
    )
    assert "(30 s)" in text

    schema = json.loads(_cli("schema", SCENARIO_REF, "--package", name, cwd=tmp_path).stdout)
    names = [rule["name"] for rule in schema["x-musicbind-rules"]]
    assert names == [
        "length:title",
        "range:duration",
        "segment_within_media:audio,startOffset,duration",
    ]


def test_rules_command_lists_rules_and_sentences_left_alone(tmp_path: Path) -> None:
    done = _cli("rules", str(SCENARIO), "--provider", "scenario", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    [model] = json.loads(done.stdout)["models"]
    by_name = {rule["name"]: rule for rule in model["rules"]}
    segment = by_name["segment_within_media:audio,startOffset,duration"]
    assert segment["source"].endswith("scenario_clip_scorer.md:21")
    assert segment["sentence"].startswith("The start offset plus the duration")
    [left] = model["left_alone"]
    assert left["field"] == "audio" and left["sentence"].startswith("Up to two minutes")
    text = _cli("rules", str(SCENARIO), "--provider", "scenario", cwd=tmp_path).stdout
    assert "left alone  audio" in text and "rule  length:title" in text


def test_overlay_switches_off_and_changes_rules_by_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text(
        "models:\n"
        f'  "{FAL_REF}":\n'
        "    rules:\n"
        '      - {name: "length:prompt", enabled: false}\n'
        "      - {kind: range, fields: [tempo], minimum: 70, maximum: 180}\n"
        "      - {kind: excludes, fields: [prompt, reference_audio_url]}\n"
        '      - {name: "length:nothing", enabled: false}\n'
    )
    from musicbind.generator.ingest import build_from_paths

    built = build_from_paths([FAL], overlay, tmp_path, None, bundled_overlay=True)
    [warning] = [p for p in built.registry.problems if "length:nothing" in p.message]
    assert warning.level.value == "warning" and "which no document states" in warning.message
    _, package = _generate([FAL], None, tmp_path, monkeypatch, overlay=overlay)
    model = package.get_binding(FAL_REF).input_model
    model.model_validate({"lyrics": "la", "prompt": "x" * 400})  # the cap is off
    _refused(model, {"lyrics": "la", "tempo": 65}, "greater than or equal to 70")
    _refused(
        model,
        {"is_instrumental": True, "prompt": "p", "reference_audio_url": "https://e.com/a"},
        "excludes:prompt,reference_audio_url",
    )


def test_the_seed_models_rule_comes_from_their_documents() -> None:
    from musicbind.generator.ingest import build_from_specs

    registry = build_from_specs(ROOT / "specs", cache=False).registry
    cited = {
        m.ref: str(rule.location)
        for m in registry.models
        for rule in m.rules
        if rule.kind == "segment_within_media"
    }
    assert cited["scenario:model_sonilo-v1-1-video-to-music"] == (
        "specs/scenario/sonilo-parameters.md:45"
    )
    assert cited["fal:sonilo/v1.1/video-to-music"].startswith(
        "specs/fal/sonilo-v1.1-video-to-music"
    )
    assert "overlay" not in " ".join(cited.values())
