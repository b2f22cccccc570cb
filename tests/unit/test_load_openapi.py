"""OpenAPI loader: whole documents -> which models, with what inputs, outputs and shapes."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import yaml

from musicbind.generator.load import openapi
from musicbind.generator.load.records import (
    DocumentKind,
    Level,
    SpecDocument,
    SpecModel,
    SpecParam,
    SpecType,
    TypeKind,
)

FIXTURES = Path(__file__).parent / "fixtures" / "openapi"
SPECS = Path(__file__).resolve().parents[2] / "specs"
FAL_QUEUE = FIXTURES / "fal-playai-tts-v3-queue.json"
GATEWAY_ENDPOINTS = FIXTURES / "gateway-endpoints.json"

S = SpecType(TypeKind.STRING)
I = SpecType(TypeKind.INTEGER)  # noqa: E741
N = SpecType(TypeKind.NUMBER)
B = SpecType(TypeKind.BOOLEAN)


def obj(ref: str | None, nullable: bool = False) -> SpecType:
    return SpecType(TypeKind.OBJECT, ref=ref, nullable=nullable)


def array(items: SpecType) -> SpecType:
    return SpecType(TypeKind.ARRAY, items=items)


def load_file(path: Path) -> SpecDocument:
    return openapi.load(path.read_text(encoding="utf-8"), str(path))


def load_fixture(name: str) -> SpecDocument:
    return load_file(FIXTURES / name)


def only_model(doc: SpecDocument) -> SpecModel:
    assert len(doc.models) == 1, doc.models
    return doc.models[0]


def by_name(params: tuple[SpecParam, ...] | None) -> dict[str, SpecParam]:
    assert params is not None
    return {p.wire_name: p for p in params}


def names(params: tuple[SpecParam, ...] | None) -> list[str]:
    assert params is not None
    return [p.wire_name for p in params]


# fal's current queue dialect and the gateway's many endpoints -------------------------------
# Hand-made documents with the providers' structure (x-fal-order-properties, allOf wrappers,
# nullable in a 3.1 document, POSTs with and without a model property) and our own words.


def test_fal_queue_document_gives_one_model() -> None:
    doc = load_file(FAL_QUEUE)
    assert doc.kind is DocumentKind.OPENAPI
    assert doc.provider == "fal"
    assert doc.problems == ()
    model = only_model(doc)
    assert model.provider == "fal"
    assert model.model_id == model.endpoint == "fal-ai/playai/tts/v3"
    assert model.category == "text-to-speech"
    assert model.title == "Hand-made queue document for fal-ai/playai/tts/v3"
    assert model.description.startswith("Speech synthesis through fal's queue")
    assert model.endpoint_template is False


def test_fal_queue_inputs_follow_x_fal_order_properties() -> None:
    model = only_model(load_file(FAL_QUEUE))
    assert names(model.inputs) == ["input", "voice", "response_format", "seed"]
    inputs = by_name(model.inputs)
    assert inputs["input"].required and inputs["voice"].required
    assert not inputs["seed"].required
    assert inputs["input"].min_length == 1
    assert inputs["input"].title == "Input"
    assert inputs["response_format"].allowed == ("url", "bytes")
    assert inputs["response_format"].has_default and inputs["response_format"].default == "url"
    assert inputs["seed"].type == I and inputs["seed"].minimum == 0
    assert inputs["seed"].examples == (None,)
    assert len(inputs["voice"].examples) > 10
    pointer = "/components/schemas/PlayaiTtsV3Input/properties/input"
    assert inputs["input"].location.pointer == pointer
    assert str(inputs["input"].location).endswith("#" + pointer)


def test_fal_queue_outputs_and_shapes() -> None:
    model = only_model(load_file(FAL_QUEUE))
    audio = by_name(model.outputs)["audio"]
    assert audio.type == obj("AudioFile")
    assert audio.required
    assert audio.title == "Audio"  # the allOf wrapper's words, not the shape's
    assert audio.description == "The spoken text as one audio file."
    assert audio.examples[0]["content_type"] == "audio/mpeg"  # type: ignore[index,call-overload]
    assert [s.name for s in model.shapes] == ["AudioFile"]
    shape = model.shapes[0]
    assert [f.wire_name for f in shape.fields] == [
        "url",
        "content_type",
        "file_name",
        "file_size",
        "file_data",
        "duration",
    ]
    fields = {f.wire_name: f for f in shape.fields}
    assert fields["file_data"].type == S  # format: binary stays a string
    assert fields["url"].required and fields["duration"].required
    assert not fields["file_size"].required
    assert shape.location.pointer == "/components/schemas/AudioFile"


def test_gateway_document_gives_endpoint_templates() -> None:
    doc = load_file(GATEWAY_ENDPOINTS)
    assert doc.provider == "aigateway"
    assert doc.problems == ()
    ids = [m.model_id for m in doc.models]
    assert "/v1/audio/music" in ids
    assert "/v1/chat/completions" in ids
    assert "/v1/sub-accounts" not in ids  # no model property
    assert all(m.endpoint_template and m.endpoint == m.model_id for m in doc.models)
    assert all(m.provider == "aigateway" for m in doc.models)


def test_gateway_music_endpoint() -> None:
    doc = load_file(GATEWAY_ENDPOINTS)
    music = next(m for m in doc.models if m.model_id == "/v1/audio/music")
    inputs = by_name(music.inputs)
    assert list(inputs) == [
        "prompt",
        "model",
        "duration",
        "lyrics",
        "is_instrumental",
        "lyrics_optimizer",
        "webhook_url",
    ]
    assert inputs["prompt"].required and not inputs["model"].required
    assert inputs["duration"].type == N
    assert inputs["is_instrumental"].type == B
    assert music.outputs is None  # the 202 answer carries no schema
    assert music.location.pointer == "/paths/~1v1~1audio~1music/post"
    assert music.title.startswith("Compose a track")


def test_gateway_nullable_and_shapes() -> None:
    doc = load_file(GATEWAY_ENDPOINTS)
    messages = next(m for m in doc.models if m.model_id == "/v1/messages")
    outputs = by_name(messages.outputs)
    assert outputs["stop_reason"].type == SpecType(TypeKind.STRING, nullable=True)
    assert "end_turn" in (outputs["stop_reason"].allowed or ())
    assert "AnthropicMessage" in [s.name for s in messages.shapes]
    system = by_name(messages.inputs)["system"]
    assert system.type.kind is TypeKind.UNION


# fal fixtures: both dialects, other categories ---------------------------------------------------


def test_sonilo_fixture_older_allof_dialect() -> None:
    doc = load_fixture("fal-sonilo-video-to-music.json")
    assert doc.problems == ()
    model = only_model(doc)
    assert model.category == "video-to-audio"
    assert names(model.inputs) == ["video_url", "prompt", "num_samples", "start_offset", "duration"]
    inputs = by_name(model.inputs)
    assert (inputs["num_samples"].minimum, inputs["num_samples"].maximum) == (1, 3)
    assert inputs["num_samples"].default == 1
    assert (inputs["duration"].minimum, inputs["duration"].maximum) == (1, 600)
    assert inputs["video_url"].required and inputs["video_url"].type == S
    outputs = by_name(model.outputs)
    assert outputs["audio"].type == obj("Audio")
    assert outputs["audio"].description == "The first track, for a quick listen."
    assert outputs["audios"].type == array(obj("Audio"))
    assert [s.name for s in model.shapes] == ["Audio"]
    assert model.shapes[0].description == "A generated audio file."
    assert model.input_examples == (
        {"video_url": "https://example.com/clip.mp4", "num_samples": 1},
    )


def test_stable_audio_fixture_newer_anyof_dialect_in_yaml() -> None:
    doc = load_fixture("fal-stable-audio-text-to-audio.yaml")
    assert doc.problems == ()
    model = only_model(doc)
    assert model.category == "text-to-audio"
    # listed ones first, the rest in document order
    assert names(model.inputs) == [
        "prompt",
        "seconds_total",
        "num_inference_steps",
        "negative_prompt",
        "guidance_scale",
        "seed",
        "sync_mode",
    ]
    inputs = by_name(model.inputs)
    seconds = inputs["seconds_total"]
    assert seconds.type == SpecType(TypeKind.INTEGER, nullable=True)
    assert (seconds.minimum, seconds.maximum) == (1, 190)
    assert seconds.has_default and seconds.default is None
    assert seconds.title == "Seconds Total"
    assert inputs["negative_prompt"].type == SpecType(TypeKind.STRING, nullable=True)
    assert inputs["negative_prompt"].max_length == 500
    guidance = inputs["guidance_scale"]
    assert (guidance.exclusive_minimum, guidance.exclusive_maximum) == (0, 25)
    assert guidance.minimum is None and guidance.maximum is None
    assert inputs["num_inference_steps"].allowed == (4, 8, 16)
    assert inputs["num_inference_steps"].type == I
    assert inputs["seed"].type == SpecType(TypeKind.INTEGER, nullable=True)
    assert inputs["prompt"].location.line is not None  # YAML lines are tracked
    assert model.input_examples == ({"prompt": "Birdsong at dawn"},)
    audio = by_name(model.outputs)["audio"]
    assert audio.type == obj("File") and audio.description == "The generated sound."
    file_fields = {f.wire_name: f.type for f in model.shapes[0].fields}
    assert file_fields["content_type"] == SpecType(TypeKind.STRING, nullable=True)


def test_kokoro_fixture_unions_integer_enums_and_nested_lists() -> None:
    doc = load_fixture("fal-kokoro-text-to-speech.json")
    assert doc.problems == ()
    model = only_model(doc)
    inputs = by_name(model.inputs)
    voice = inputs["voice"]
    assert voice.type == SpecType(TypeKind.UNION, variants=(obj("VoiceMix"), S))
    assert voice.allowed == ("af_heart", "af_bella", "am_adam")  # the string variant's values
    assert voice.default == "af_heart"
    speed = inputs["speed"]
    assert speed.exclusive_minimum == 0.5 and speed.minimum is None and speed.maximum == 2
    assert inputs["sample_rate"].allowed == (16000, 22050, 44100)
    language = inputs["language"]
    assert language.type == SpecType(TypeKind.STRING, nullable=True)
    assert language.allowed == ("en-us", "en-gb")
    assert inputs["pronunciations"].type == array(obj("KokoroInputPronunciationsItem"))
    tags = inputs["tags"]
    assert tags.type == array(S) and tags.allowed == ("calm", "bright") and tags.max_items == 2
    outputs = by_name(model.outputs)
    assert outputs["stems"].type == array(array(obj("AudioFile")))
    assert outputs["timings"].type == obj("KokoroOutputTimings")
    assert outputs["extra"].type == obj(None)
    assert [s.name for s in model.shapes] == [
        "VoiceMix",
        "KokoroInputPronunciationsItem",
        "AudioFile",
        "KokoroOutputTimings",
    ]
    mix = {f.wire_name: f for f in model.shapes[0].fields}
    assert mix["weights"].type == array(N) and (mix["weights"].minimum, mix["weights"].maximum) == (
        0,
        1,
    )
    assert mix["voices"].min_items == 1
    item = {f.wire_name: f for f in model.shapes[1].fields}
    assert item["phonemes"].pattern == "^[a-z ]+$" and item["phonemes"].required


def test_mmaudio_fixture_falls_back_to_named_schemas() -> None:
    doc = load_fixture("fal-mmaudio-video-to-audio.yaml")
    assert doc.problems == ()
    model = only_model(doc)
    assert model.model_id == "fal-ai/mmaudio-v2"
    assert model.title == "MMAudio V2" and model.description == "Adds sound to a silent video."
    assert names(model.inputs) == ["video_url", "prompt", "duration", "num_steps", "mask_away_clip"]
    assert by_name(model.outputs)["video"].type == obj("File")


# gateway, scenario and generic documents ------------------------------------------------------


def test_gateway_fixture_reads_outputs_and_skips_posts_without_model() -> None:
    doc = load_fixture("gateway-music.yaml")
    assert doc.problems == ()
    assert doc.provider == "aigateway"  # from the bearer format alone
    model = only_model(doc)
    assert model.model_id == "/v1/audio/music" and model.endpoint_template
    assert names(model.inputs) == ["model", "prompt", "duration", "format"]
    inputs = by_name(model.inputs)
    assert inputs["duration"].type == SpecType(TypeKind.NUMBER, nullable=True)
    assert inputs["format"].allowed == ("mp3", "wav")
    assert names(model.outputs) == ["id", "status", "model", "created"]
    assert model.description == "Starts a music job."


def test_scenario_platform_document_has_no_models() -> None:
    doc = load_fixture("scenario-platform.yaml")
    assert doc.provider == "scenario"
    assert doc.models == ()
    assert doc.problems == ()


@pytest.mark.parametrize(
    ("servers", "provider"),
    [
        ([{"url": "https://api.aigateway.sh"}], "aigateway"),
        ([{"url": "https://api.cloud.scenario.com/v1"}], "scenario"),
        ([{"url": "https://queue.fal.run"}], "fal"),
        ([{"url": "https://example.com"}], None),
        ([{"url": "/relative"}], None),
        ([{"url": "http://[::1"}], None),  # not a valid URL: no crash
        ("not a list", None),
        ([], None),
    ],
)
def test_provider_from_servers(servers: object, provider: str | None) -> None:
    text = json.dumps({"openapi": "3.1.0", "info": {}, "servers": servers, "paths": {}})
    assert openapi.load(text, "x.json").provider == provider


def test_generic_document_models_have_an_empty_provider() -> None:
    text = json.dumps(
        {
            "openapi": "3.1.0",
            "paths": {
                "/generate": {
                    "post": {
                        "requestBody": {
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "properties": {"model": {"type": "string"}},
                                    }
                                }
                            }
                        }
                    }
                }
            },
        }
    )
    doc = openapi.load(text, "generic.json")
    assert doc.provider is None  # no server, no title: the manifest or --provider names it
    assert [(m.provider, m.model_id) for m in doc.models] == [("", "generate")]
    assert doc.models[0].outputs is None
    assert doc.models[0].operation is not None and doc.models[0].operation.path == "/generate"


# detection, hashing, equivalence -------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    sorted(p.name for p in FIXTURES.iterdir() if p.suffix in (".json", ".yaml")),
)
def test_fixtures_look_like_openapi(name: str) -> None:
    assert openapi.looks_like((FIXTURES / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "text",
    [
        "",
        "# A fal page\n\n- **Endpoint**: `x`\n",
        '{"openapi": "2.0"}',
        "[1, 2]",
        '{"openapi": 3}x',
        "openapi: [3]\n",
        "key: : value: [",
        "\x00\x01",
    ],
)
def test_looks_like_refuses_other_text(text: str) -> None:
    assert not openapi.looks_like(text)


@pytest.mark.parametrize(
    "text",
    [
        '{"openapi": "3.0.0"}',
        "openapi: 3.1.0\n",
        "openapi: 3.1\n",
        "\ufeffopenapi: '3.0.3'",
        '{"swagger": "2.0"}',
        "swagger: '2.0'\n",
    ],
)
def test_looks_like_accepts_openapi_3_and_swagger_2(text: str) -> None:
    assert openapi.looks_like(text)


def test_sha256_is_of_the_text() -> None:
    text = (FIXTURES / "gateway-music.yaml").read_text(encoding="utf-8")
    assert openapi.load(text, "g.yaml").sha256 == hashlib.sha256(text.encode()).hexdigest()


def test_json_and_yaml_versions_give_the_same_models() -> None:
    text = (FIXTURES / "fal-sonilo-video-to-music.json").read_text(encoding="utf-8")
    as_yaml = yaml.safe_dump(json.loads(text), sort_keys=False, allow_unicode=True)
    from_json = openapi.load(text, "same")
    from_yaml = openapi.load(as_yaml, "same")
    assert strip_lines(from_json.models) == strip_lines(from_yaml.models)
    assert from_json.models != ()


def test_loading_is_deterministic() -> None:
    for path in FIXTURES.iterdir():
        text = path.read_text(encoding="utf-8")
        assert openapi.load(text, path.name) == openapi.load(text, path.name)


def strip_lines(value: object) -> object:
    """The records as nested plain data with every Location's line removed."""
    if isinstance(value, tuple | list):
        return [strip_lines(v) for v in value]
    slots = getattr(type(value), "__slots__", None)
    if slots is None or not hasattr(value, "__dataclass_fields__"):
        return value
    return {
        name: (None if name == "line" else strip_lines(getattr(value, name)))
        for name in value.__dataclass_fields__
    }


# the project's own specs -----------------------------------------------------------------------


def _project_openapi_specs() -> list[Path]:
    if not SPECS.is_dir():
        return []
    found = []
    for path in sorted(SPECS.rglob("*")):
        if path.suffix in (".json", ".yaml", ".yml") and path.name not in (
            "manifest.yaml",
            "overlay.yaml",
        ):
            text = path.read_text(encoding="utf-8", errors="replace")
            if openapi.looks_like(text):
                found.append(path)
    return found


def test_project_specs_load_without_errors() -> None:
    paths = _project_openapi_specs()
    assert len(paths) >= 40  # the catalogue binds 42 fal queue documents
    for path in paths:
        doc = load_file(path)
        errors = [str(p) for p in doc.problems if p.level is Level.ERROR]
        assert errors == [], path
        assert doc.provider is not None, path
