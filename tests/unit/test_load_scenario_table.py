"""Unit tests for generator.load.scenario_table: Scenario "Parameters Reference" pages."""

from __future__ import annotations

import json
import string
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from musicbind.generator.load import scenario_table
from musicbind.generator.load.decoding import text_sha256
from musicbind.generator.load.dispatch import load_bytes
from musicbind.generator.load.records import (
    DocumentKind,
    Level,
    SpecDocument,
    SpecModel,
    SpecParam,
    SpecType,
    TypeKind,
)

FIXTURES = Path(__file__).parent / "fixtures" / "markdown"
SPECS = Path(__file__).parents[2] / "specs"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def line_of(text: str, needle: str) -> int:
    """The 1-based line of the first occurrence of ``needle``."""
    return text[: text.index(needle)].count("\n") + 1


def load(name: str) -> SpecDocument:
    return scenario_table.load(fixture(name), name)


def model(document: SpecDocument, model_id: str) -> SpecModel:
    return next(m for m in document.models if m.model_id == model_id)


def params(found: SpecModel) -> dict[str, SpecParam]:
    assert found.inputs is not None
    return {p.wire_name: p for p in found.inputs}


def problems(document: SpecDocument) -> list[tuple[Level, int | None, str]]:
    return [(p.level, p.location.line, p.message) for p in document.problems]


# --- detection ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "scenario_new_layout.md",
        "scenario_old_layout.md",
        "scenario_nested.md",
        "scenario_mojibake.md",
        "scenario_broken.md",
    ],
)
def test_looks_like_scenario_pages(name: str) -> None:
    assert scenario_table.looks_like(fixture(name))


@pytest.mark.parametrize(
    "name",
    [
        "scenario_flattened.txt",  # the scraped, flattened form is not markdown
        "fal_text_to_audio.md",
        "fal_pasted_openapi.md",
        "gateway_music.md",
    ],
)
def test_does_not_look_like_other_documents(name: str) -> None:
    assert not scenario_table.looks_like(fixture(name))


@pytest.mark.parametrize(
    "text", ["", "{}", json.dumps({"openapi": "3.0.0"}), "| a | b |\n|---|---|\n"]
)
def test_does_not_look_like_trivia(text: str) -> None:
    assert not scenario_table.looks_like(text)


# --- the newer layout --------------------------------------------------------------------


def test_document_record() -> None:
    text = fixture("scenario_new_layout.md")
    document = scenario_table.load(text, "specs/x.md")
    assert document.kind is DocumentKind.SCENARIO_TABLE
    assert document.provider == "scenario"
    assert document.path == "specs/x.md"
    assert document.sha256 == text_sha256(text)
    assert [m.model_id for m in document.models] == [
        "model_echo-chamber-remix",
        "model_stem-splitter-pro",
    ]
    assert document.problems == ()


def test_model_header_facts() -> None:
    text = fixture("scenario_new_layout.md")
    found = model(scenario_table.load(text, "p"), "model_echo-chamber-remix")
    assert found.provider == "scenario"
    assert found.title == "Echo Chamber Remix"
    assert found.description.startswith("Takes a set of clips and blends them")
    assert "—" in found.description
    assert found.capabilities == ("audio2audio", "txt2audio")
    assert found.location.line == line_of(text, "## Echo Chamber Remix")
    assert found.outputs is None  # the page says nothing about outputs
    assert found.price is None


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("clips", SpecType(TypeKind.ARRAY, items=SpecType(TypeKind.FILE))),
        ("style_hint", SpecType(TypeKind.STRING)),
        ("gain_db", SpecType(TypeKind.NUMBER)),
        ("loop", SpecType(TypeKind.BOOLEAN)),
        ("tags", SpecType(TypeKind.ARRAY, items=SpecType(TypeKind.STRING))),
        ("weights", SpecType(TypeKind.ARRAY, items=SpecType(TypeKind.NUMBER))),
        ("layers", SpecType(TypeKind.ARRAY, items=SpecType(TypeKind.OBJECT))),
        ("base_model", SpecType(TypeKind.STRING)),
        ("sample_rate", SpecType(TypeKind.NUMBER)),
    ],
)
def test_types_map_onto_type_kinds(name: str, expected: SpecType) -> None:
    found = params(model(load("scenario_new_layout.md"), "model_echo-chamber-remix"))
    assert found[name].type == expected


def test_every_row_keeps_its_line() -> None:
    text = fixture("scenario_new_layout.md")
    found = params(model(scenario_table.load(text, "p"), "model_echo-chamber-remix"))
    for name, param in found.items():
        escaped = name.replace("_", "\\_")
        needle = f"| `{escaped}`" if f"| `{escaped}`" in text else f"| `{name}`"
        assert param.location.line == line_of(text, needle)


def test_quirky_cells() -> None:
    found = params(model(load("scenario_new_layout.md"), "model_echo-chamber-remix"))
    clips, style, gain = found["clips"], found["style_hint"], found["gain_db"]
    assert clips.required and (clips.min_items, clips.max_items) == (1, 8)
    assert clips.description == "The clips to blend; [at least one] is needed."
    assert not style.required
    assert (style.has_default, style.default) == (True, "ambient")
    assert style.allowed == ("ambient", "glitch", "drone")
    assert (style.min_length, style.max_length) == (None, None)  # "–" and "—" are empty
    assert "‘glitch’" in style.description
    assert (gain.default, gain.minimum, gain.maximum) == (-6, -24, 6)
    assert found["loop"].default is True
    tempo = found["tempo"]
    assert (tempo.has_default, tempo.minimum, tempo.maximum) == (False, 40, None)  # "’" is empty
    assert found["tags"].max_items == 5
    assert found["weights"].default == [0.5, 0.5]
    assert found["sample_rate"].allowed == (22050, 44100, 48000)
    seed = found["seed"]
    assert (seed.minimum, seed.maximum) == (-1, 2147483647)
    assert len(seed.description) > 200  # the very wide row


def test_numbers_stay_numbers_and_defaults_are_json_scalars() -> None:
    found = params(model(load("scenario_new_layout.md"), "model_stem-splitter-pro"))
    stems = found["stems"]
    assert stems.type.kind is TypeKind.NUMBER
    assert (stems.default, stems.allowed, stems.minimum, stems.maximum) == (4, (2, 4, 6), 2, 6)
    assert found["quality"].default == "high"  # a quoted default loses its quotes
    assert found["quality"].allowed == ("draft", "high")
    assert found["denoise"].default is False
    assert (found["label"].min_length, found["label"].max_length) == (1, 40)
    assert found["song"].type == SpecType(TypeKind.FILE)


# --- the older layout --------------------------------------------------------------------


def test_old_layout_required_rule() -> None:
    found = params(model(load("scenario_old_layout.md"), "lullaby/maker-02"))
    required = {name for name, p in found.items() if p.required}
    assert required == {"lyrics", "melodyFile"}  # "Required." and "(required)" only


def test_old_layout_labels_and_values() -> None:
    found = params(model(load("scenario_old_layout.md"), "lullaby/maker-02"))
    assert found["melodyFile"].title == "Melody File"
    assert found["melodyFile"].type == SpecType(TypeKind.FILE)
    assert (found["preset"].default, found["preset"].allowed) == ("soft", ("soft", "bright", "low"))
    assert (found["speed"].minimum, found["speed"].maximum) == (0.5, 2)
    assert found["fadeOut"].default is True
    assert found["fadeOut"].description == ""
    assert found["lyrics"].description.startswith("Required. The words")


# --- other outlines ----------------------------------------------------------------------


def test_bare_labels_and_deeper_headings() -> None:
    text = fixture("scenario_nested.md")
    document = scenario_table.load(text, "n.md")
    assert document.problems == ()
    kit = model(document, "kit-builder-v3")
    assert kit.capabilities == ("txt2audio", "audio2audio")
    assert kit.description == "Builds a drum kit sample pack."
    found = params(kit)
    assert found["kit"].required and found["kit"].default == "808"
    assert found["kit"].allowed == ("808", "909", "acoustic, dry")  # one code span, one value
    assert not found["swing"].required
    assert found["ref_audio"].type == SpecType(TypeKind.FILE, media="audio")


def test_tables_under_subheadings_merge_into_the_model() -> None:
    text = fixture("scenario_nested.md")
    finder = model(scenario_table.load(text, "n.md"), "model_loop-finder")
    found = params(finder)
    assert list(found) == ["query", "limit"]
    assert found["limit"].location.line == line_of(text, "| `limit`")


def test_media_comes_from_the_name_when_the_type_is_bare() -> None:
    text = "## M\n\n**Model ID:** `m`\n\n| Parameter | Type |\n|---|---|\n| `videoFile` | file |\n"
    found = params(scenario_table.load(text, "p").models[0])
    assert found["videoFile"].type == SpecType(TypeKind.FILE, media="video")


def test_model_without_heading() -> None:
    text = "**Model ID:** `m`\n\n| Parameter | Type |\n|---|---|\n| `a` | string |\n"
    document = scenario_table.load(text, "p")
    assert [(m.model_id, m.title, m.location.line) for m in document.models] == [("m", "", 1)]


# --- mojibake ----------------------------------------------------------------------------


def test_mojibake_is_repaired_with_a_warning() -> None:
    # Repaired once, where the bytes are decoded: the loader is given the repaired text.
    broken = load_bytes((FIXTURES / "scenario_mojibake.md").read_bytes(), "scenario_mojibake.md")
    clean = load("scenario_mojibake_clean.md")
    assert summary(broken) == summary(clean)
    assert [(p.level, p.location.line) for p in broken.problems] == [(Level.WARNING, 3)]
    found = params(broken.models[0])
    assert "café_mode" in found
    assert "—" in found["intensity"].description
    assert "‘storm’" in found["intensity"].description
    assert found["length"].description == "Loop length in seconds… roughly."


def summary(document: SpecDocument) -> list[object]:
    """What a model says, without locations."""
    return [
        (
            m.model_id,
            m.title,
            m.description,
            m.capabilities,
            [(p.wire_name, p.type, p.default, p.allowed, p.description) for p in m.inputs or ()],
        )
        for m in document.models
    ]


# --- problems ----------------------------------------------------------------------------


def test_broken_rows_become_located_problems() -> None:
    text = fixture("scenario_broken.md")
    document = scenario_table.load(text, "b.md")
    got = problems(document)

    def expect(level: Level, needle: str, words: str) -> None:
        line = line_of(text, needle)
        assert any(lv is level and ln == line and words in msg for lv, ln, msg in got), (
            level,
            line,
            words,
            got,
        )

    expect(Level.ERROR, "| `mystery`", "unknown type 'blob'")
    expect(Level.ERROR, "| `upside`", "greater than Max")
    expect(Level.ERROR, "| `wordy`", "default 'lots' is not a number")
    expect(Level.ERROR, "| `edgy`", "Min 'low' is not a number")
    expect(Level.ERROR, "| `picky`", "allowed value 'two'")
    expect(Level.ERROR, "|  | string", "one word")
    expect(Level.ERROR, "| `two words`", "one word")
    expect(Level.ERROR, "| `fine` | string | No", "listed twice")
    expect(Level.WARNING, "| `flag`", "Required is 'maybe'")
    expect(Level.WARNING, "| `when`", "mean nothing for a file")
    expect(Level.WARNING, "## No Table Here", "no parameter table")
    expect(Level.ERROR, "| Parameter | Meaning |", "lacks a Parameter")
    expect(Level.ERROR, "## Good Then Bad Again", "described twice")
    expect(Level.WARNING, "| Parameter | Type |\n| --- | --- |\n| `orphan`", "outside any model")
    expect(Level.ERROR, "**Model ID:**\n\n| Parameter", "must be one word")
    assert all(p.location.path == "b.md" for p in document.problems)


def test_broken_rows_skip_only_what_is_broken() -> None:
    document = load("scenario_broken.md")
    first = model(document, "model_broken-one")
    found = params(first)
    assert list(found) == ["fine", "upside", "wordy", "edgy", "picky", "flag", "when"]
    assert found["fine"].required  # the first "fine" wins
    assert (found["upside"].minimum, found["upside"].maximum) == (None, None)
    assert found["wordy"].has_default is False
    assert found["picky"].allowed is None
    assert found["flag"].default is True and not found["flag"].required
    assert model(document, "model_no-table").inputs is None
    assert model(document, "model_wrong-columns").inputs is None
    assert all(m.model_id for m in document.models)


def small_page(header: str, row: str) -> str:
    """One model, one table with the given header cells and one row (on line 7)."""
    count = header.count("|") - 1
    return f"## M\n\n**Model ID:** `m`\n\n{header}\n|{'---|' * count}\n{row}\n"


def test_min_above_max_with_negative_numbers() -> None:
    text = small_page("| Parameter | Type | Min | Max |", "| `x` | number | -1 | -5 |")
    document = scenario_table.load(text, "p")
    assert problems(document) == [(Level.ERROR, 7, "x: Min -1 is greater than Max -5")]


def test_string_bounds_must_be_counts() -> None:
    text = small_page("| Parameter | Type | Min | Max |", "| `x` | string | 0.5 | 3 |")
    document = scenario_table.load(text, "p")
    assert [(p.level, p.location.line) for p in document.problems] == [(Level.ERROR, 7)]


def test_default_outside_allowed_values_warns() -> None:
    text = (
        "## M\n\n**Model ID:** `m`\n\n| Parameter | Type | Default | Allowed Values |\n"
        "|---|---|---|---|\n| `x` | string | `d` | a, b |\n"
    )
    document = scenario_table.load(text, "p")
    assert [(p.level, p.location.line) for p in document.problems] == [(Level.WARNING, 7)]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("`[]`", []), ('`["a", "b"]`', ["a", "b"]), ("a, b", ["a", "b"]), ("`a`, `b`", ["a", "b"])],
)
def test_array_defaults(cell: str, expected: list[str]) -> None:
    text = small_page("| Parameter | Type | Default |", f"| `x` | string_array | {cell} |")
    found = params(scenario_table.load(text, "p").models[0])
    assert found["x"].default == expected


def test_broken_array_default_is_an_error() -> None:
    text = small_page("| Parameter | Type | Default |", "| `x` | number_array | `[1, ` |")
    document = scenario_table.load(text, "p")
    assert [(p.level, p.location.line) for p in document.problems] == [(Level.ERROR, 7)]


# --- the project's own specs ---------------------------------------------------------------


def test_project_specs_load_cleanly() -> None:
    pages = [p for p in sorted((SPECS / "scenario").glob("*.md"))]
    assert pages
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert scenario_table.looks_like(text), page
        document = scenario_table.load(text, str(page))
        assert not [p for p in document.problems if p.level is Level.ERROR], document.problems
        assert document.models and all(m.inputs for m in document.models)


def test_project_sonilo_page() -> None:
    text = (SPECS / "scenario" / "sonilo-parameters.md").read_text(encoding="utf-8")
    document = scenario_table.load(text, "sonilo.md")
    video = params(model(document, "model_sonilo-v1-1-video-to-music"))
    assert video["video"].required and video["video"].type.kind is TypeKind.FILE
    assert (video["numSamples"].type.kind, video["numSamples"].default) == (TypeKind.INTEGER, 1)
    assert (video["startOffset"].minimum, video["startOffset"].maximum) == (0, 600)
    assert not video["duration"].has_default


# --- properties --------------------------------------------------------------------------

EMPTY_WORDS = {"", "-", "–", "—", "−", "--", "‘", "’", "“", "”", "'", '"', "n/a"}
name_chars = st.characters(
    blacklist_categories=("Z", "Cc", "Cs", "Co", "Cn"), blacklist_characters="\u2028\u2029"
)
names = st.text(name_chars, min_size=1, max_size=20).filter(
    lambda n: n.lower() not in EMPTY_WORDS and not any(c.isspace() for c in n)
)


def escape_cell(text: str) -> str:
    """Escape every ASCII punctuation character so markdown reads the text literally."""
    return "".join("\\" + c if c in string.punctuation else c for c in text)


HEADER = "| Parameter | Type | Required | Default | Min | Max | Allowed Values | Description |"


def page_with_rows(rows: list[str], header: str = HEADER) -> str:
    separator = "|" + "---|" * 8
    return "\n".join(["## Prop", "", "**Model ID:** `prop`", "", header, separator, *rows, ""])


@given(st.lists(names, min_size=1, max_size=6, unique=True))
@settings(max_examples=200, deadline=None)
def test_names_round_trip(wire_names: list[str]) -> None:
    rows = [f"| {escape_cell(n)} | string | No | - | - | - | - | d |" for n in wire_names]
    document = scenario_table.load(page_with_rows(rows), "p")
    assert document.problems == ()
    found = document.models[0].inputs
    assert found is not None
    assert [p.wire_name for p in found] == wire_names
    assert [p.location.line for p in found] == list(range(7, 7 + len(wire_names)))


@given(st.lists(names, min_size=1, max_size=4, unique=True))
@settings(deadline=None)
def test_names_in_backticks_round_trip(wire_names: list[str]) -> None:
    plain = [n for n in wire_names if "`" not in n and "\\" not in n and "|" not in n]
    rows = [f"| `{n}` | number | No | `1` | 0 | 2 | - | d |" for n in plain]
    document = scenario_table.load(page_with_rows(rows), "p")
    found = document.models[0].inputs if document.models else None
    assert [p.wire_name for p in found or ()] == [n.strip() for n in plain]


cell_text = st.text(
    st.one_of(
        st.sampled_from(list("`\\|-–—‘’“”[]_*<>&#:,0123456789 ")),
        st.characters(
            blacklist_categories=("Cs", "Cn"),
            blacklist_characters="\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029",
        ),
    ),
    max_size=30,
)


@given(st.lists(st.lists(cell_text, min_size=8, max_size=8), min_size=1, max_size=5))
@settings(max_examples=300, deadline=None)
def test_random_cells_load_or_give_located_problems(rows: list[list[str]]) -> None:
    lines = ["| " + " | ".join(cells) + " |" for cells in rows]
    text = page_with_rows(lines)
    document = scenario_table.load(text, "r.md")
    last = text.count("\n")
    for problem in document.problems:
        assert problem.location.path == "r.md"
        assert problem.location.line is not None and 1 <= problem.location.line <= last
    for found in document.models:
        for param in found.inputs or ():
            assert 7 <= (param.location.line or 0) <= 6 + len(rows)


KNOWN_TYPES = {
    "string": SpecType(TypeKind.STRING),
    "number": SpecType(TypeKind.NUMBER),
    "boolean": SpecType(TypeKind.BOOLEAN),
    "file": SpecType(TypeKind.FILE),
    "file_array": SpecType(TypeKind.ARRAY, items=SpecType(TypeKind.FILE)),
    "file\\_array": SpecType(TypeKind.ARRAY, items=SpecType(TypeKind.FILE)),
    "string_array": SpecType(TypeKind.ARRAY, items=SpecType(TypeKind.STRING)),
    "number_array": SpecType(TypeKind.ARRAY, items=SpecType(TypeKind.NUMBER)),
    "inputs_array": SpecType(TypeKind.ARRAY, items=SpecType(TypeKind.OBJECT)),
    "model": SpecType(TypeKind.STRING),
}
type_words = st.one_of(
    st.sampled_from(sorted(KNOWN_TYPES)),
    st.text(string.ascii_lowercase + "_", min_size=1, max_size=10),
)


@given(st.lists(type_words, min_size=1, max_size=6))
@settings(deadline=None)
def test_types_map_or_give_an_error_at_their_row(words: list[str]) -> None:
    rows = [f"| `p{i}` | {word} | No | - | - | - | - | d |" for i, word in enumerate(words)]
    document = scenario_table.load(page_with_rows(rows), "t.md")
    found = {p.wire_name: p for p in document.models[0].inputs or ()}
    for i, word in enumerate(words):
        expected = KNOWN_TYPES.get(word) or KNOWN_TYPES.get(word.replace("_", "\\_"))
        if word in ("integer",):
            expected = SpecType(TypeKind.INTEGER)
        if expected is None:
            assert f"p{i}" not in found
            assert any(
                p.level is Level.ERROR and p.location.line == 7 + i for p in document.problems
            )
        else:
            assert found[f"p{i}"].type == expected
