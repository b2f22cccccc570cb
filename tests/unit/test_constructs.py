"""Constructs real provider documents use, bound as the API means them (issue 12, item 2).

Each test generates the bindings of one hand-made document in tests/unit/fixtures/constructs/,
imports them, and checks values the provider takes are accepted and others refused.
"""

from __future__ import annotations

import importlib
import itertools
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from musicbind.generator.generate import generate_paths
from musicbind.generator.ingest import default_overlay_path
from musicbind.generator.load.dispatch import load_bytes, load_file
from musicbind.generator.load.records import DocumentKind, Level

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "constructs"
_counter = itertools.count()


@pytest.fixture
def bind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Generate one fixture into an importable package; returns the package."""

    def generate(name: str) -> ModuleType:
        package = f"constructs_{next(_counter)}"
        outcome = generate_paths(
            [FIXTURES / name], tmp_path / package, default_overlay_path(), None
        )
        assert not outcome.errors, outcome.errors
        monkeypatch.syspath_prepend(str(tmp_path))
        return importlib.import_module(package)

    yield generate
    for name in [m for m in sys.modules if m.startswith("constructs_")]:
        del sys.modules[name]


def _input(package: ModuleType, ref: str) -> type[BaseModel]:
    model: type[BaseModel] = package.get_binding(ref).input_model
    return model


def _output(package: ModuleType, ref: str) -> type[BaseModel]:
    model: type[BaseModel] = package.get_binding(ref).output_model
    return model


def _refused(model: type[BaseModel], data: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    assert {str(e["loc"][0]) for e in caught.value.errors()} == {field}, caught.value.errors()


def _sent(model: type[BaseModel], data: dict[str, Any]) -> dict[str, Any]:
    """The JSON body the binding would send for ``data``."""
    sent: dict[str, Any] = json.loads(
        model.model_validate(data).model_dump_json(by_alias=True, exclude_unset=True)
    )
    return sent


def test_object_or_enum_union_with_an_object_default(bind: Any) -> None:
    sleeve = _input(bind("fal-object-or-enum-default.json"), "fal:example-ai/sleeve-art")
    base = {"prompt": "a lighthouse"}
    assert sleeve.model_validate(base).model_dump()["image_size"] == {"width": 1024, "height": 1024}
    assert _sent(sleeve, {**base, "image_size": "square_hd"})["image_size"] == "square_hd"
    shaped = _sent(sleeve, {**base, "image_size": {"width": 640, "height": 480}})
    assert shaped["image_size"] == {"width": 640, "height": 480}
    _refused(sleeve, {**base, "image_size": "huge"}, "image_size")
    _refused(sleeve, {**base, "image_size": {"width": 0, "height": 480}}, "image_size")


def test_openapi_array_items_with_allowed_values_in_inputs_and_outputs(bind: Any) -> None:
    package = bind("fal-items-enum.json")
    tagger = _input(package, "fal:example-ai/stem-tagger")
    base = {"audio_url": "https://example.invalid/song.mp3"}
    assert tagger.model_validate(base).model_dump()["stems"] == ["vocals", "drums"]
    assert _sent(tagger, {**base, "stems": ["bass"], "bands": [60, 4000]})["bands"] == [60, 4000]
    _refused(tagger, {**base, "stems": ["bass", "kazoo"]}, "stems")
    _refused(tagger, {**base, "bands": [61]}, "bands")
    _refused(tagger, {**base, "stems": "bass"}, "stems")
    found = _output(package, "fal:example-ai/stem-tagger")
    assert found.model_validate({"found": ["drums"]}).model_dump() == {"found": ["drums"]}
    _refused(found, {"found": ["cowbell"]}, "found")


def test_const_alternatives_inside_unions_are_kept(bind: Any) -> None:
    grid = _input(bind("fal-const-union.json"), "fal:example-ai/beat-grid")
    base = {"prompt": "a shuffle"}
    assert grid.model_validate(base).model_dump()["tempo"] == 120  # a default of the free variant
    assert _sent(grid, {**base, "meter": "waltz"})["meter"] == "waltz"
    _refused(grid, {**base, "meter": "march"}, "meter")
    assert _sent(grid, {**base, "tempo": "auto"})["tempo"] == "auto"
    assert _sent(grid, {**base, "tempo": 120})["tempo"] == 120
    _refused(grid, {**base, "tempo": "fast"}, "tempo")
    _refused(grid, {**base, "tempo": 300}, "tempo")


def test_scenario_rows_bind_as_the_api_means_them(bind: Any) -> None:
    layers = _input(bind("scenario_constructs.md"), "scenario:model_loop-layerer")
    base = {"prompt": "tape hiss and rain"}
    # Arrays whose items carry allowed values, typed ("string_array") or bare ("array").
    assert _sent(layers, {**base, "instruments": ["piano", "synth"]})["instruments"] == [
        "piano",
        "synth",
    ]
    _refused(layers, {**base, "instruments": ["banjo"]}, "instruments")
    assert _sent(layers, {**base, "mood": ["calm"]})["mood"] == ["calm"]
    _refused(layers, {**base, "mood": ["sleepy"]}, "mood")
    # The lone quote stands for "no style": it is not a value to send.
    assert _sent(layers, {**base, "style": "dub"})["style"] == "dub"
    for rendering in ("’", "'", ""):
        _refused(layers, {**base, "style": rendering}, "style")
    # Counts are integers: 2.5 is refused and 2 travels as 2.
    _refused(layers, {**base, "numSamples": 2.5}, "numSamples")
    sent = json.dumps(_sent(layers, {**base, "numSamples": 2, "numLoops": 3}))
    assert '"numSamples": 2,' in sent and "2.0" not in sent
    _refused(layers, {**base, "numSamples": 5}, "numSamples")
    # A number that does not count things keeps its fractions.
    assert _sent(layers, {**base, "guidance": 2.5})["guidance"] == 2.5


def test_fal_page_output_problems_keep_the_input_model(bind: Any) -> None:
    name = "fal_output_and_url_types.md"
    loaded = load_file(FIXTURES / name, name)
    warnings = [str(p) for p in loaded.problems if p.level is Level.WARNING]
    assert any(
        w.startswith(f"{name}:36: warning: frames: unknown type 'list<void>'") for w in warnings
    )
    assert any(w.startswith(f"{name}:39: ") and "list<Video-Output>" in w for w in warnings)
    assert not [p for p in loaded.problems if p.level is Level.ERROR]
    package = bind(name)
    result = _output(package, "fal:example-ai/clip-scorer")
    loose = {
        "video": {"url": "https://example.invalid/v.mp4"},
        "frames": [],
        "previews": [{"a": 1}],
    }
    assert result.model_validate(loose).model_dump()["previews"] == [{"a": 1}]
    # Named file types on *_url inputs take the URL the provider takes (the page's own example).
    scorer = _input(package, "fal:example-ai/clip-scorer")
    example = {"video_url": "https://example.invalid/clips/skate.mp4"}
    assert _sent(scorer, example) == example
    _refused(scorer, {"video_url": {"url": "https://example.invalid/x.mp4"}}, "video_url")
    _refused(
        scorer, {"video_url": example["video_url"], "reference_audio_url": 3}, "reference_audio_url"
    )


def test_fal_models_api_answer_with_one_model(bind: Any) -> None:
    name = "fal-models-api-one.json"
    loaded = load_file(FIXTURES / name, name)
    assert loaded.kind is DocumentKind.FAL_MODELS_API
    (model,) = loaded.models
    assert (model.model_id, model.title, model.category) == (
        "example-ai/hum-to-song",
        "Hum To Song",
        "audio-to-audio",
    )
    assert (model.location.line, model.location.pointer) == (4, "/models/0/endpoint_id")
    package = bind(name)
    assert package.list_bindings() == ["fal:example-ai/hum-to-song"]
    song = _input(package, "fal:example-ai/hum-to-song")
    assert (
        _sent(song, {"hum_url": "https://example.invalid/h.wav", "genre": "folk"})["genre"]
        == "folk"
    )
    _refused(
        song, {"hum_url": "https://example.invalid/h.wav", "length_seconds": 121}, "length_seconds"
    )


def test_fal_models_api_bundle_gives_one_binding_per_model(bind: Any) -> None:
    package = bind("fal-models-api-bundle.json")
    assert package.list_bindings() == [
        "fal:example-ai/drum-fill",
        "fal:example-ai/rain-maker",
        "fal:example-ai/voice-box/v2",
    ]
    voice = _input(package, "fal:example-ai/voice-box/v2")
    _refused(voice, {"text": "hi", "voice": "zed"}, "voice")
    drums = _input(package, "fal:example-ai/drum-fill")
    assert drums.model_validate({"bars": 2}).model_dump()["kit"] == "acoustic"
    _refused(drums, {"bars": 2, "kit": "toy"}, "kit")


def _envelope(entries: list[Any], **extra: Any) -> str:
    return json.dumps({"models": entries, "next_cursor": None, **extra}, indent=2)


def test_models_api_problems_are_located_in_the_whole_file(tmp_path: Path) -> None:
    bundle = json.loads((FIXTURES / "fal-models-api-bundle.json").read_text(encoding="utf-8"))
    broken = bundle["models"][1]
    broken["openapi"]["components"]["schemas"]["Input"]["properties"]["speed"]["minimum"] = "x"
    missing = {"endpoint_id": "example-ai/no-doc", "metadata": {}}
    twice = bundle["models"][0]
    path = tmp_path / "answer.json"
    path.write_text(_envelope([*bundle["models"], missing, twice], has_more=True), "utf-8")
    loaded = load_file(path, "answer.json")
    shown = [str(p) for p in loaded.problems]
    speed = "answer.json#/models/1/openapi/components/schemas/Input/properties/speed/minimum"
    assert f"{speed}: error: minimum must be a number, got 'x'; it is ignored" in shown
    assert any(s.startswith("answer.json#/models/3: error: example-ai/no-doc: ") for s in shown)
    assert any(s.startswith("answer.json#/models/4/endpoint_id: error: ") for s in shown)
    assert any(s.startswith("answer.json#/has_more: warning: ") for s in shown)
    assert [m.model_id for m in loaded.models] == [
        "example-ai/rain-maker",
        "example-ai/voice-box/v2",
        "example-ai/drum-fill",
    ]


def test_other_mappings_with_models_are_not_models_api_answers(tmp_path: Path) -> None:
    path = tmp_path / "list.json"
    path.write_text(_envelope([{"name": "x"}]), "utf-8")
    loaded = load_file(path, "list.json")
    assert loaded.kind is DocumentKind.UNKNOWN
    assert "not a document musicbind can read" in str(loaded.problems[-1])


def test_fal_page_union_with_an_object_default_and_lists_of_choices(bind: Any) -> None:
    package = bind("fal_page_unions_and_lists.md")
    poster = _input(package, "fal:example-ai/poster-tuner")
    base = {"prompt": "a harbour dance"}
    assert poster.model_validate(base).model_dump()["image_size"] == {"width": 768, "height": 1024}
    assert _sent(poster, {**base, "image_size": "poster_wide"})["image_size"] == "poster_wide"
    _refused(poster, {**base, "image_size": "poster_huge"}, "image_size")
    _refused(poster, {**base, "image_size": {"width": 8000}}, "image_size")
    assert _sent(poster, {**base, "instruments": ["claps"]})["instruments"] == ["claps"]
    _refused(poster, {**base, "instruments": ["tuba"]}, "instruments")
    result = _output(package, "fal:example-ai/poster-tuner")
    jingle = {"url": "https://example.invalid/j.mp3"}
    assert result.model_validate({"jingle": jingle, "moods": ["wistful"]}).model_dump()["moods"]
    _refused(result, {"jingle": jingle, "moods": ["angry"]}, "moods")


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=12,
)
_entry = st.fixed_dictionaries(
    {"endpoint_id": st.one_of(st.from_regex(r"[a-z]{1,6}/[a-z]{1,6}", fullmatch=True), _json)},
    optional={"metadata": _json, "openapi": st.one_of(_json, st.just("valid"))},
)


@settings(max_examples=60, deadline=None)
@given(entries=st.lists(st.one_of(_entry, _json), max_size=4), extra=_json)
def test_any_models_api_answer_loads_without_raising(entries: list[Any], extra: Any) -> None:
    valid = json.loads((FIXTURES / "fal-models-api-one.json").read_text(encoding="utf-8"))
    inner = valid["models"][0]["openapi"]
    entries = [
        {**e, "openapi": inner} if isinstance(e, dict) and e.get("openapi") == "valid" else e
        for e in entries
    ]
    text = json.dumps({"models": entries, "has_more": extra}).encode()
    loaded = load_bytes(text, "answer.json")
    named = {
        e["endpoint_id"].strip("/")
        for e in entries
        if isinstance(e, dict) and e.get("openapi") is inner and isinstance(e["endpoint_id"], str)
    } - {""}
    assert {m.model_id for m in loaded.models} <= named
    if loaded.kind is DocumentKind.FAL_MODELS_API:
        assert {m.model_id for m in loaded.models} == named
    for problem in loaded.problems:
        assert problem.location.path == "answer.json"
