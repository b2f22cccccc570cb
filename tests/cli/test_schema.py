"""``musicbind schema REF``: valid JSON Schema 2020-12 that agrees with the generated models."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from bad_payloads import base_items
from cli_support import ROOT, assert_no_traceback, json_output, models, run_cli

from musicbind import generated
from musicbind.generator.emit.json_schema import RULES_KEYWORD, input_json_schema
from musicbind.generator.emit.pydantic_models import accepts_null
from musicbind.generator.load.records import TypeKind

REFS = [m.ref for m in models()]


def _inputs(ref: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A valid input and inputs the model refuses (one bad value each)."""
    model = next(m for m in models() if m.ref == ref)
    good = {k: json.loads(v) for k, v in base_items(model)}
    bad: list[dict[str, Any]] = [{**good, "not_a_parameter": 1}]
    for f in model.inputs:
        if f.required:
            bad.append({k: v for k, v in good.items() if k != f.wire_name})
        elif not accepts_null(f):
            bad.append({**good, f.wire_name: None})  # null only where the document allows it
        if f.maximum is not None:
            bad.append({**good, f.wire_name: f.maximum + 1})
        if f.type.kind in (TypeKind.INTEGER, TypeKind.NUMBER):
            bad += [{**good, f.wire_name: "5"}, {**good, f.wire_name: True}]
        if f.allowed is not None:
            bad.append({**good, f.wire_name: "zzz" if isinstance(f.allowed[0], str) else 7})
    return good, bad


@pytest.mark.parametrize("ref", REFS)
def test_schema_is_valid_2020_12_and_agrees_with_the_model(ref: str) -> None:
    done = run_cli("schema", ref)
    assert_no_traceback(done)
    assert done.returncode == 0, done.stderr
    schema = json_output(done)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    model = generated.get_binding(ref).input_model
    good, bad = _inputs(ref)
    assert list(validator.iter_errors(good)) == []
    model.model_validate(good)
    for example in schema.get("examples", []):
        assert list(validator.iter_errors(example)) == []
    for payload in bad:
        assert list(validator.iter_errors(payload)), payload
        with pytest.raises(ValueError):
            model.model_validate(payload)


def test_properties_are_wire_names_with_constraints_defaults_and_descriptions() -> None:
    schema = json_output(run_cli("schema", "scenario:minimax/music-01"))
    assert list(schema["properties"]) == [
        "lyrics",
        "songFile",
        "voiceFile",
        "instrumentalFile",
        "sampleRate",
        "bitrate",
    ]
    assert schema["required"] == ["lyrics"]
    assert schema["additionalProperties"] is False
    assert schema["properties"]["sampleRate"]["enum"] == [16000, 24000, 32000, 44100]
    assert schema["properties"]["sampleRate"]["default"] == 44100
    assert "Sample rate" in schema["properties"]["sampleRate"]["description"]


def test_cross_field_rules_are_stated() -> None:
    schema = json_output(run_cli("schema", "scenario:model_sonilo-v1-1-video-to-music"))
    assert schema[RULES_KEYWORD] == [
        {
            "name": "segment_within_media:video,startOffset,duration",
            "kind": "segment_within_media",
            "media": "video",
            "start": "startOffset",
            "length": "duration",
            "statement": "startOffset < length of video and startOffset (0 when unset) + "
            "duration <= length of video (media length in seconds)",
            # The rule comes from the parameter table's sentence, not from the overlay.
            "sentence": "Start offset plus duration may not run past the end of the video",
            "source": "specs/scenario/sonilo-parameters.md:45",
        }
    ]
    assert "Cross-field rule: startOffset < length of video" in schema["description"]
    plain = json_output(run_cli("schema", "scenario:minimax/music-01"))
    assert RULES_KEYWORD not in plain


def test_shapes_go_under_defs() -> None:
    from dataclasses import replace

    from musicbind.generator.load.records import SpecType
    from musicbind.generator.registry.model import Field

    fal = next(m for m in models() if m.ref == "fal:sonilo/v1.1/video-to-music")
    audio = next(s for s in fal.shapes if s.name == "Audio")
    reference = Field("reference", "reference", SpecType(TypeKind.OBJECT, ref="Audio"), False)
    with_shape = replace(fal, inputs=(*fal.inputs, reference), shapes=(audio, *fal.shapes[1:]))
    schema = input_json_schema(with_shape)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["properties"]["reference"] == {"$ref": f"#/$defs/{audio.class_name}"}
    assert schema["$defs"][audio.class_name]["required"] == ["url"]
    validator = jsonschema.Draft202012Validator(schema)
    base = {"video_url": "https://x/v.mp4"}
    assert not list(validator.iter_errors({**base, "reference": {"url": "https://x/a.m4a"}}))
    assert list(validator.iter_errors({**base, "reference": {"file_name": "a"}}))


def test_unknown_ref_and_missing_snapshot_exit_2(tmp_path: Any) -> None:
    done = run_cli("schema", "fal:sonilo/v1.1/video-to-musik")
    assert_no_traceback(done)
    assert done.returncode == 2
    assert 'did you mean "fal:sonilo/v1.1/video-to-music"' in done.stderr
    (tmp_path / "empty_pkg").mkdir()
    (tmp_path / "empty_pkg" / "__init__.py").write_text("")
    missing = run_cli("schema", "x:y", "--package", "empty_pkg", cwd=tmp_path)
    assert missing.returncode == 2 and "_registry.json" in missing.stderr
    from_specs = run_cli("schema", "fal:sonilo/v1.1/video-to-music", "--specs", str(ROOT / "specs"))
    assert from_specs.returncode == 0
    assert json_output(from_specs) == json_output(
        run_cli("schema", "fal:sonilo/v1.1/video-to-music")
    )
