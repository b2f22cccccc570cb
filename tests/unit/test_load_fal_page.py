"""Unit tests for generator.load.fal_page: fal model pages in LLM markdown."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from musicbind.generator.load import fal_page
from musicbind.generator.load.decoding import text_sha256
from musicbind.generator.load.dispatch import load_bytes
from musicbind.generator.load.records import (
    DocumentKind,
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
SPECS = Path(__file__).parents[2] / "specs"

STR, INT, NUM, BOOL = (
    SpecType(k) for k in (TypeKind.STRING, TypeKind.INTEGER, TypeKind.NUMBER, TypeKind.BOOLEAN)
)


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def load(name: str) -> tuple[str, SpecDocument]:
    text = fixture(name)
    return text, fal_page.load(text, name)


def only(document: SpecDocument) -> SpecModel:
    assert len(document.models) == 1
    return document.models[0]


def by_name(found: tuple[SpecParam, ...] | None) -> dict[str, SpecParam]:
    assert found is not None
    return {p.wire_name: p for p in found}


def obj(ref: str | None = None) -> SpecType:
    return SpecType(TypeKind.OBJECT, ref=ref)


def array(items: SpecType) -> SpecType:
    return SpecType(TypeKind.ARRAY, items=items)


# --- detection ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "fal_text_to_audio.md",
        "fal_defined_shape.md",
        "fal_pasted_openapi.md",
        "fal_broken.md",
        "fal_minimal.md",
    ],
)
def test_looks_like_fal_pages(name: str) -> None:
    assert fal_page.looks_like(fixture(name))


@pytest.mark.parametrize(
    "name",
    [
        "fal_no_identity.md",  # no Endpoint or Model ID bullet
        "scenario_new_layout.md",
        "scenario_old_layout.md",
        "gateway_music.md",
    ],
)
def test_does_not_look_like_other_pages(name: str) -> None:
    assert not fal_page.looks_like(fixture(name))


def test_does_not_look_like_an_openapi_document() -> None:
    text = json.dumps({"openapi": "3.0.4", "info": {"description": "### Input Schema"}}, indent=2)
    assert not fal_page.looks_like(text)


# --- a full page -------------------------------------------------------------------------


def test_document_record() -> None:
    text, document = load("fal_text_to_audio.md")
    assert document.kind is DocumentKind.FAL_PAGE
    assert document.provider == "fal"
    assert document.sha256 == text_sha256(text)
    assert document.problems == ()


def test_overview_title_and_summary() -> None:
    _, document = load("fal_text_to_audio.md")
    model = only(document)
    assert model.provider == "fal"
    assert model.model_id == "example-ai/tide-composer/v2"
    assert model.endpoint == "example-ai/tide-composer/v2"
    assert model.category == "text-to-audio"
    assert model.title == "Tide Composer"
    assert model.description.startswith("Writes short pieces of music")
    assert model.location.line == 1


def test_price_sentence() -> None:
    text, document = load("fal_text_to_audio.md")
    line = line_of(text, "Your request will cost")
    location = Location("fal_text_to_audio.md", line=line)
    assert only(document).price == SpecPrice("0.02", "USD", "second", False, location)


@pytest.mark.parametrize(
    ("name", "amount", "unit", "per_sample"),
    [
        ("fal_text_to_audio.md", "0.02", "second", False),
        ("fal_defined_shape.md", "0.05", "request", False),
        ("fal_pasted_openapi.md", "0.004", "output_second", False),
    ],
)
def test_price_units(name: str, amount: str, unit: str, per_sample: bool) -> None:
    price = only(load(name)[1]).price
    assert price is not None
    assert (price.amount, price.currency, price.unit, price.per_sample) == (
        amount,
        "USD",
        unit,
        per_sample,
    )


def test_input_types() -> None:
    inputs = by_name(only(load("fal_text_to_audio.md")[1]).inputs)
    assert {name: p.type for name, p in inputs.items()} == {
        "prompt": STR,
        "duration": STR,  # DurationEnum with string options
        "steps": INT,
        "pitch_shift": NUM,
        "loudness": NUM,
        "tags": array(STR),
        "reference": SpecType(TypeKind.UNION, variants=(obj("Audio"), obj("File"))),
        "reference_url": STR,  # a file URL stays a string
        "instrumental": BOOL,
        "mode": STR,
        "fade_seconds": SpecType(TypeKind.NUMBER, nullable=True),
        "extras": obj(),
        "sample_rate": INT,  # SampleRateEnum with integer options
        "seed": INT,
    }


def test_input_facts() -> None:
    text, document = load("fal_text_to_audio.md")
    inputs = by_name(only(document).inputs)
    prompt = inputs["prompt"]
    assert prompt.required
    assert prompt.description == (
        "What the music should sound like. Mention instruments and mood; the more specific, "
        "the better the result."
    )
    assert prompt.examples == ("a slow harp melody over ocean waves", "busy jazz trio")
    duration = inputs["duration"]
    assert (duration.has_default, duration.default, duration.allowed) == (
        True,
        "30",
        ("10", "30", "60"),
    )
    steps = inputs["steps"]
    assert (steps.default, steps.minimum, steps.maximum) == (8, 1, 50)  # default from the prose
    pitch = inputs["pitch_shift"]
    assert (pitch.default, pitch.minimum, pitch.maximum) == (0, -12, 12)
    assert inputs["loudness"].description == ""  # a bullet with no description
    assert inputs["tags"].default == []
    assert inputs["instrumental"].default is True
    assert inputs["mode"].allowed == ("verse-chorus", "through-composed")
    assert inputs["sample_rate"].allowed == (22050, 44100)
    assert inputs["seed"].description == (
        "Random seed for reproducible results.\n\nLeave empty for a new seed each time."
    )
    assert not any(p.required for name, p in inputs.items() if name != "prompt")
    for name, param in inputs.items():
        assert param.location.line == line_of(text, f"- **`{name}`**")


def test_outputs_and_shapes() -> None:
    _, document = load("fal_text_to_audio.md")
    model = only(document)
    outputs = by_name(model.outputs)
    assert {name: (p.type, p.required) for name, p in outputs.items()} == {
        "audio": (obj("File"), True),
        "cover": (obj("Image"), False),
        "timings": (array(NUM), True),
        "seed": (INT, True),
    }
    assert outputs["audio"].examples[0] == {
        "url": "https://example.invalid/out.wav",
        "content_type": "<content type>",
        "file_name": "out.wav",
        "file_size": 1024,
    }
    assert [s.name for s in model.shapes] == ["Audio", "File", "Image"]
    for shape in model.shapes:
        fields = by_name(shape.fields)
        assert list(fields) == ["url", "content_type", "file_name", "file_size"]
        assert fields["url"].required and fields["url"].type == STR
        assert fields["file_size"].type.kind is TypeKind.INTEGER


def test_examples() -> None:
    model = only(load("fal_text_to_audio.md")[1])
    assert model.input_examples == (
        {"prompt": "a slow harp melody over ocean waves"},
        {
            "prompt": "a slow harp melody over ocean waves",
            "duration": "30",
            "steps": 8,
            "tags": ["calm"],
        },
    )
    assert model.output_examples == (
        {
            "audio": {"url": "https://example.invalid/out.wav", "content_type": "<content type>"},
            "timings": [0.5, 1.25],
            "seed": 42,
        },
    )


# --- shapes the page defines -------------------------------------------------------------


def test_page_defined_shape_and_file_shapes() -> None:
    text, document = load("fal_defined_shape.md")
    assert document.problems == ()
    model = only(document)
    assert model.model_id == "example-ai/beat-slicer"  # from the Endpoint, no Model ID bullet
    assert model.endpoint == "example-ai/beat-slicer"
    outputs = by_name(model.outputs)
    assert outputs["slices"].type == array(obj("Slice"))
    assert outputs["loop"].type == obj("AudioFile")
    shapes = {s.name: s for s in model.shapes}
    assert set(shapes) == {"Slice", "Audio", "AudioFile"}
    slice_fields = by_name(shapes["Slice"].fields)
    assert slice_fields["clip"].type == obj("Audio")
    assert (slice_fields["velocity"].minimum, slice_fields["velocity"].maximum) == (0, 127)
    assert slice_fields["start"].location.line == line_of(text, "- **`start`**")
    inputs = by_name(model.inputs)
    assert (inputs["min_gap"].minimum, inputs["min_gap"].maximum) == (0.01, 1)


# --- what must not break the page --------------------------------------------------------


def test_pasted_openapi_and_trailing_sections_are_ignored() -> None:
    _, document = load("fal_pasted_openapi.md")
    assert document.problems == ()
    model = only(document)
    assert list(by_name(model.inputs)) == ["hum_url", "num_samples"]
    assert list(by_name(model.outputs)) == ["audios"]
    assert by_name(model.inputs)["num_samples"].default == 2
    assert model.output_examples == (
        {"audios": [{"url": "https://example.invalid/a.m4a", "content_type": "audio/mp4"}]},
    )
    assert model.input_examples == ()


def test_minimal_page() -> None:
    _, document = load("fal_minimal.md")
    model = only(document)
    assert model.model_id == "example-ai/only-endpoint/v1"
    assert model.outputs is None and model.price is None
    assert by_name(model.inputs)["text"].required
    assert [(p.level, p.location.line) for p in document.problems] == [(Level.WARNING, 1)]


def test_missing_identity_is_an_error_and_no_model() -> None:
    _, document = load("fal_no_identity.md")
    assert document.models == ()
    assert [(p.level, p.location.line) for p in document.problems] == [(Level.ERROR, 1)]


def test_empty_page() -> None:
    document = fal_page.load("", "e.md")
    assert document.models == ()
    assert document.problems[0].level is Level.ERROR


def test_mojibake_page_is_repaired() -> None:
    text = fixture("fal_minimal.md").replace("# Only Endpoint", "# Only Endpoint โ€” v1")
    document = load_bytes(text.encode(), "m.md")  # repaired where the bytes are decoded
    assert only(document).title == "Only Endpoint — v1"
    assert any("mojibake" in p.message and p.location.line == 1 for p in document.problems)


# --- problems ----------------------------------------------------------------------------


def test_broken_page_problems_are_located() -> None:
    text, document = load("fal_broken.md")
    got = [(p.level, p.location.line, p.message) for p in document.problems]

    def expect(level: Level, needle: str, words: str) -> None:
        line = line_of(text, needle)
        assert any(lv is level and ln == line and words in msg for lv, ln, msg in got), (
            line,
            words,
            got,
        )

    expect(Level.WARNING, "- **Endpoint**", "differs from Model ID")
    expect(Level.WARNING, "## Pricing", "no price")
    expect(Level.ERROR, "- **`strange`**", "unknown type 'tensor<3>'")
    expect(Level.ERROR, "- **`upside`**", "range 10 to 1 is empty")
    expect(Level.WARNING, "- **`ghost`**", "'Phantom' is not defined")
    expect(Level.ERROR, "- **`good`** (`integer`", "listed twice")
    expect(Level.WARNING, "- **`no_flag`**", "neither required nor optional")
    expect(Level.ERROR, "- **`bad_default`**", "default 'many'")
    expect(Level.ERROR, "- **`picky`**", "option 'two'")
    expect(Level.ERROR, "- **broken bullet", "not a schema bullet")
    expect(Level.WARNING, "- just a plain bullet", "not a schema bullet")
    expect(Level.WARNING, ' "upside": 3,,', "not JSON")
    assert any(ln == 1 and "Output Schema" in msg for _, ln, msg in got)


def test_broken_page_keeps_what_it_can() -> None:
    _, document = load("fal_broken.md")
    model = only(document)
    assert model.model_id == "example-ai/broken"
    assert model.endpoint == "example-ai/broken-other"
    inputs = by_name(model.inputs)
    assert list(inputs) == ["good", "upside", "ghost", "no_flag", "bad_default", "picky"]
    assert inputs["good"].type == STR  # the first one wins
    assert inputs["ghost"].type == obj()  # free-form object
    assert (inputs["upside"].minimum, inputs["upside"].maximum) == (None, None)
    assert not inputs["no_flag"].required
    assert model.input_examples == ()
    assert model.price is None


# --- the project's own spec -----------------------------------------------------------------

SPEC_PAGE = SPECS / "fal" / "sonilo-v1.1-video-to-music.md"


def test_project_sonilo_page() -> None:
    text = SPEC_PAGE.read_text(encoding="utf-8")
    assert fal_page.looks_like(text)
    document = fal_page.load(text, "sonilo.md")
    assert not [p for p in document.problems if p.level is Level.ERROR]
    model = only(document)
    assert model.model_id == "sonilo/v1.1/video-to-music"
    assert model.price is not None
    assert (model.price.amount, model.price.unit, model.price.per_sample) == (
        "0.009",
        "output_second",
        True,
    )
    inputs = by_name(model.inputs)
    assert inputs["video_url"].required and inputs["video_url"].type == STR
    assert (inputs["num_samples"].type, inputs["num_samples"].default) == (INT, 1)
    assert (inputs["num_samples"].minimum, inputs["num_samples"].maximum) == (1, 3)
    assert (inputs["start_offset"].type, inputs["start_offset"].minimum) == (NUM, 0)
    outputs = by_name(model.outputs)
    assert outputs["audios"].type == array(obj("Audio"))
    assert [s.name for s in model.shapes] == ["Audio"]
    assert len(model.input_examples) == 2 and len(model.output_examples) == 1


# --- properties --------------------------------------------------------------------------

PAGE_HEAD = "# P\n\n## Overview\n\n- **Model ID**: `x/y`\n\n### Input Schema\n\n"
free_text = st.text(
    st.characters(
        blacklist_categories=("Cs", "Cn"),
        blacklist_characters="\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029",
    ),
    max_size=60,
)


@given(st.lists(free_text, min_size=1, max_size=6))
@settings(max_examples=300, deadline=None)
def test_random_bullets_never_break_the_loader(bodies: list[str]) -> None:
    text = PAGE_HEAD + "\n".join(f"- {body}" for body in bodies) + "\n"
    document = fal_page.load(text, "r.md")
    last = text.count("\n") + 1
    for problem in document.problems:
        assert problem.location.line is not None and 1 <= problem.location.line <= last


@given(free_text.filter(lambda t: "\n" not in t).map(lambda t: "a" + t))
@settings(deadline=None)
def test_random_descriptions_do_not_change_the_head(description: str) -> None:
    text = (
        PAGE_HEAD + f"- **`p`** (`integer`, _optional_):\n  {description}\n  - Range: `1` to `3`\n"
    )
    document = fal_page.load(text, "r.md")
    inputs = by_name(only(document).inputs)
    assert inputs["p"].type == INT
    assert (inputs["p"].minimum, inputs["p"].maximum) == (1, 3)


KNOWN = {
    "string": STR,
    "integer": INT,
    "float": NUM,
    "number": NUM,
    "boolean": BOOL,
    "list<string>": array(STR),
    "list<Audio>": array(obj("Audio")),
    "Audio | File": SpecType(TypeKind.UNION, variants=(obj("Audio"), obj("File"))),
    "string | null": SpecType(TypeKind.STRING, nullable=True),
    "list<list<float>>": array(array(NUM)),
    "dict<str, any>": obj(),
}
type_texts = st.one_of(
    st.sampled_from(sorted(KNOWN)),
    st.text("abcxyz<>|[], 0123", min_size=1, max_size=12).filter(lambda t: "`" not in t),
)


@given(st.lists(type_texts, min_size=1, max_size=5))
@settings(deadline=None)
def test_types_parse_or_give_an_error_at_their_bullet(types: list[str]) -> None:
    bullets = [f"- **`p{i}`** (`{t}`, _optional_):\n  text\n" for i, t in enumerate(types)]
    text = PAGE_HEAD + "\n".join(bullets)
    document = fal_page.load(text, "t.md")
    inputs = by_name(only(document).inputs)
    for i, type_text in enumerate(types):
        line = line_of(text, f"- **`p{i}`**")
        if type_text in KNOWN:
            assert inputs[f"p{i}"].type == KNOWN[type_text]
        elif f"p{i}" not in inputs:
            assert any(
                p.level is Level.ERROR and p.location.line == line for p in document.problems
            )
