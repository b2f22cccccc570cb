"""Unit tests for generator.load.gateway_page: AIgateway model pages in markdown."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from musicbind.generator.load import gateway_page
from musicbind.generator.load.decoding import text_sha256
from musicbind.generator.load.records import (
    DocumentKind,
    JsonValue,
    Level,
    Location,
    SpecDocument,
    SpecModel,
    SpecParam,
    SpecPrice,
    SpecType,
    TypeKind,
)

FIXTURES = Path(__file__).parent / "fixtures" / "markdown"
SPEC_PAGE = Path(__file__).parents[2] / "specs" / "aigateway" / "sonauto-v2-text-to-music.md"

STR, NUM, BOOL = (SpecType(k) for k in (TypeKind.STRING, TypeKind.NUMBER, TypeKind.BOOLEAN))


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def load(name: str) -> tuple[str, SpecDocument]:
    text = fixture(name)
    return text, gateway_page.load(text, name)


def only(document: SpecDocument) -> SpecModel:
    assert len(document.models) == 1
    return document.models[0]


def by_name(found: tuple[SpecParam, ...] | None) -> dict[str, SpecParam]:
    assert found is not None
    return {p.wire_name: p for p in found}


# --- detection ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "gateway_music.md",
        "gateway_bold_slug.md",
        "gateway_broken.md",
        "gateway_mismatch.md",
        "gateway_no_model.md",
    ],
)
def test_looks_like_gateway_pages(name: str) -> None:
    assert gateway_page.looks_like(fixture(name))


@pytest.mark.parametrize(
    "name", ["fal_text_to_audio.md", "fal_pasted_openapi.md", "scenario_new_layout.md"]
)
def test_does_not_look_like_other_pages(name: str) -> None:
    assert not gateway_page.looks_like(fixture(name))


def test_scraped_plain_text_copy_is_not_a_gateway_page() -> None:
    scraped = (
        "Groove Engine\n\nAPI schema\n\nPOST https://api.aigateway.sh/v1/audio/music"
        '·Content-Type: application/json\n\nRequest body\n\njson\n{\n  "prompt": "x"\n}\n'
    )
    assert not gateway_page.looks_like(scraped)


# --- a full page -------------------------------------------------------------------------


def test_document_record() -> None:
    text, document = load("gateway_music.md")
    assert document.kind is DocumentKind.GATEWAY_PAGE
    assert document.provider == "aigateway"
    assert document.sha256 == text_sha256(text)
    assert document.problems == ()


def test_page_facts() -> None:
    text, document = load("gateway_music.md")
    model = only(document)
    assert model.provider == "aigateway"
    assert model.model_id == "example/groove-engine/v1"
    assert model.title == "Groove Engine V1"
    assert model.category == "music"
    assert model.description.startswith("An invented music model")
    assert model.endpoint == "/v1/audio/music"
    assert not model.endpoint_template
    assert model.location.line == 1
    location = Location("gateway_music.md", line=line_of(text, "| Per second |"))
    assert model.price == SpecPrice("0.0021", "USD", "second", False, location)


def test_inputs_from_the_request_example() -> None:
    text, document = load("gateway_music.md")
    inputs = by_name(only(document).inputs)
    assert list(inputs) == [
        "prompt",
        "duration",
        "format",
        "bpm",
        "stereo",
        "tags",
        "options",
        "webhook_url",
        "seed",
    ]
    assert {name: p.type for name, p in inputs.items()} == {
        "prompt": STR,
        "duration": NUM,
        "format": STR,
        "bpm": NUM,
        "stereo": BOOL,
        "tags": SpecType(TypeKind.ARRAY, items=STR),
        "options": SpecType(TypeKind.OBJECT),
        "webhook_url": STR,
        "seed": SpecType(TypeKind.ANY, nullable=True),
    }
    assert not any(p.required for p in inputs.values())
    for name, param in inputs.items():
        assert param.location.line == line_of(text, f'  "{name}":'), name


def test_comments_become_hints() -> None:
    inputs = by_name(only(load("gateway_music.md")[1]).inputs)
    assert inputs["duration"].description == "seconds"
    assert inputs["format"].allowed == ("mp3", "wav", "flac")
    assert inputs["format"].description == ""
    assert inputs["bpm"].allowed == (90, 120, 140)  # typed by the example value
    assert inputs["bpm"].description == "tempo in beats per minute"  # own-line comment above
    assert inputs["options"].description == "free-form options, passed through as they are"
    assert inputs["stereo"].description == ""


def test_slashes_inside_strings_are_not_comments() -> None:
    model = only(load("gateway_music.md")[1])
    inputs = by_name(model.inputs)
    assert inputs["prompt"].examples == ("Funky slap bass with tight drums // not a comment",)
    assert inputs["options"].examples == ({"swing": 0.2, "note": "a // b"},)
    assert inputs["webhook_url"].examples == ("https://example.invalid/hook",)
    assert model.input_examples[0] == {
        "model": "example/groove-engine/v1",
        "prompt": "Funky slap bass with tight drums // not a comment",
        "duration": 12.5,
        "format": "wav",
        "bpm": 120,
        "stereo": True,
        "tags": ["funk", "bass"],
        "options": {"swing": 0.2, "note": "a // b"},
        "webhook_url": "https://example.invalid/hook",
        "seed": None,
    }


def test_outputs_from_the_completed_job() -> None:
    text, document = load("gateway_music.md")
    model = only(document)
    outputs = by_name(model.outputs)
    assert {name: p.type for name, p in outputs.items()} == {
        "url": STR,
        "duration": NUM,
        "bpm": NUM,
    }
    assert not any(p.required for p in outputs.values())
    assert outputs["url"].location.line == line_of(
        text, '"url": "https://example.invalid/loop.wav"'
    )
    assert model.output_examples == (
        {"url": "https://example.invalid/loop.wav", "duration": 12.5, "bpm": 120},
    )


def test_bold_labels_jsonc_and_paragraph_intros() -> None:
    _, document = load("gateway_bold_slug.md")
    assert document.problems == ()
    model = only(document)
    assert model.model_id == "example/drone-maker"  # from the slug: no "model" in the body
    assert model.price is not None and (model.price.amount, model.price.unit) == ("0.5", "request")
    inputs = by_name(model.inputs)
    assert inputs["prompt"].description == "what to play"
    assert inputs["length"].type == NUM
    assert by_name(model.outputs)["url"].type == STR


# --- problems ----------------------------------------------------------------------------


def test_broken_request_block_is_an_error_at_its_line() -> None:
    text, document = load("gateway_broken.md")
    model = only(document)
    assert model.model_id == "example/broken-page"
    assert model.inputs is None and model.outputs is None and model.price is None
    got = [(p.level, p.location.line) for p in document.problems]
    assert (Level.ERROR, line_of(text, '  "duration": 10')) in got
    assert (Level.WARNING, line_of(text, "## Pricing")) in got
    assert sum(level is Level.ERROR for level, _ in got) == 1


def test_slug_and_body_disagree() -> None:
    _, document = load("gateway_mismatch.md")
    assert only(document).model_id == "example/body-name"
    assert any("differs" in p.message and p.level is Level.WARNING for p in document.problems)


def test_no_model_id_anywhere() -> None:
    _, document = load("gateway_no_model.md")
    assert document.models == ()
    assert [(p.level, p.location.line) for p in document.problems] == [(Level.ERROR, 1)]


def test_empty_page() -> None:
    document = gateway_page.load("", "e.md")
    assert document.models == ()
    assert any(p.level is Level.ERROR for p in document.problems)


def test_unterminated_block_comment_and_string_do_not_raise() -> None:
    text = (
        "# X\n\nslug · a/b\n\nPOST /v1/audio/music\n\n### Request body\n\n"
        '```json\n{"prompt": "open string\n/* never closed\n```\n'
    )
    document = gateway_page.load(text, "x.md")
    assert only(document).inputs is None
    assert any(p.level is Level.ERROR and p.location.line == 10 for p in document.problems)


# --- the project's own spec -----------------------------------------------------------------


def test_project_sonauto_page() -> None:
    text = SPEC_PAGE.read_text(encoding="utf-8")
    assert gateway_page.looks_like(text)
    document = gateway_page.load(text, "sonauto.md")
    assert not [p for p in document.problems if p.level is Level.ERROR]
    model = only(document)
    assert model.model_id == "sonauto/v2/text-to-music"
    assert model.endpoint == "/v1/audio/music"
    assert model.price is not None
    assert (model.price.amount, model.price.currency, model.price.unit) == (
        "0.0013",
        "USD",
        "second",
    )
    inputs = by_name(model.inputs)
    assert {"prompt", "duration", "format"} <= set(inputs)
    assert inputs["duration"].type == NUM and inputs["duration"].description == "seconds"
    assert inputs["format"].allowed == ("mp3", "wav")
    assert set(by_name(model.outputs)) == {"url", "duration"}


# --- properties --------------------------------------------------------------------------

PREFIX = "# P\n\nslug · p/q\n\nServed by AIgateway.\n\nPOST /v1/audio/music\n\n### Request body\n\n"
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(max_size=20),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
keys = st.text(max_size=12).filter(lambda k: k != "model")
comment_text = st.text(
    st.characters(whitelist_categories=("L", "N"), whitelist_characters=" .,:;!?()-"),
    min_size=1,
    max_size=30,
).filter(lambda t: t.strip())


@given(st.dictionaries(keys, values, min_size=1, max_size=6), st.data())
@settings(max_examples=200, deadline=None)
def test_commented_json_round_trips(body: dict[str, JsonValue], data: st.DataObject) -> None:
    lines = []
    notes: dict[str, str] = {}
    for key, value in body.items():
        line = f"  {json.dumps(key)}: {json.dumps(value)},"
        if data.draw(st.booleans()):
            notes[key] = data.draw(comment_text)
            line += f"  // {notes[key]}"
        lines.append(line)
    fence = "```json\n{\n" + "\n".join(lines) + "\n}\n```\n"
    document = gateway_page.load(PREFIX + fence, "p.md")
    assert not [p for p in document.problems if p.level is Level.ERROR], document.problems
    model = only(document)
    assert model.input_examples == (body,)
    inputs = by_name(model.inputs)
    assert list(inputs) == list(body)
    for key, value in body.items():
        assert inputs[key].examples == (value,)
        assert inputs[key].description == " ".join(notes.get(key, "").split())


@given(st.text(max_size=200))
@settings(max_examples=300, deadline=None)
def test_random_fences_never_raise(content: str) -> None:
    text = PREFIX + "```json\n" + content.replace("`", "'") + "\n```\n"
    document = gateway_page.load(text, "r.md")
    last = text.count("\n") + 1
    for problem in document.problems:
        assert problem.location.line is not None and 1 <= problem.location.line <= last
