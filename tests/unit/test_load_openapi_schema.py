"""OpenAPI loader: one schema at a time -> types, constraints, shapes, and located problems."""

from __future__ import annotations

import json
from typing import Any

import pytest

from musicbind.generator.load import openapi
from musicbind.generator.load.openapi_structure import MAX_DEPTH
from musicbind.generator.load.records import (
    Level,
    SpecDocument,
    SpecParam,
    SpecShape,
    SpecType,
    TypeKind,
)

IN = "/components/schemas/In/properties"
S = SpecType(TypeKind.STRING)
I = SpecType(TypeKind.INTEGER)  # noqa: E741
N = SpecType(TypeKind.NUMBER)
ANY = SpecType(TypeKind.ANY)


def obj(ref: str | None) -> SpecType:
    return SpecType(TypeKind.OBJECT, ref=ref)


def fal_text(
    properties: dict[str, Any],
    *,
    required: list[Any] | None = None,
    schemas: dict[str, Any] | None = None,
    **input_keywords: Any,
) -> str:
    """A small fal queue document whose input schema ``In`` has these properties."""
    input_schema: dict[str, Any] = {"type": "object", "properties": properties, **input_keywords}
    if required is not None:
        input_schema["required"] = required
    document = {
        "openapi": "3.1.0",
        "info": {
            "title": "t",
            "x-fal-metadata": {"endpointId": "acme/x", "category": "text-to-audio"},
        },
        "components": {
            "schemas": {
                "In": input_schema,
                "XOutput": {"type": "object", "properties": {"ok": {"type": "boolean"}}},
                **(schemas or {}),
            }
        },
        "paths": {
            "/acme/x": {
                "post": {
                    "requestBody": {
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/In"}}
                        }
                    }
                }
            }
        },
    }
    return json.dumps(document)


def load(properties: dict[str, Any], **kwargs: Any) -> SpecDocument:
    return openapi.load(fal_text(properties, **kwargs), "spec.json")


def inputs(doc: SpecDocument) -> dict[str, SpecParam]:
    assert len(doc.models) == 1
    assert doc.models[0].inputs is not None
    return {p.wire_name: p for p in doc.models[0].inputs}


def shapes(doc: SpecDocument) -> dict[str, SpecShape]:
    return {s.name: s for s in doc.models[0].shapes}


def problems(doc: SpecDocument) -> list[tuple[Level, str | None]]:
    return [(p.level, p.location.pointer) for p in doc.problems]


def one_problem(doc: SpecDocument, level: Level, pointer: str) -> str:
    assert problems(doc) == [(level, pointer)], [str(p) for p in doc.problems]
    return doc.problems[0].message


def param(schema: dict[str, Any]) -> tuple[SpecParam, SpecDocument]:
    doc = load({"p": schema})
    return inputs(doc)["p"], doc


# types ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"type": "string"}, S),
        ({"type": "integer"}, I),
        ({"type": "number"}, N),
        ({"type": "boolean"}, SpecType(TypeKind.BOOLEAN)),
        ({"type": "string", "format": "binary"}, S),
        ({"type": "string", "nullable": True}, SpecType(TypeKind.STRING, nullable=True)),
        ({"type": ["integer", "null"]}, SpecType(TypeKind.INTEGER, nullable=True)),
        (
            {"anyOf": [{"type": "number"}, {"type": "null"}]},
            SpecType(TypeKind.NUMBER, nullable=True),
        ),
        (
            {"oneOf": [{"type": "null"}, {"type": "string"}]},
            SpecType(TypeKind.STRING, nullable=True),
        ),
        ({"type": ["string", "integer"]}, SpecType(TypeKind.UNION, variants=(S, I))),
        (
            {"anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}]},
            SpecType(TypeKind.UNION, variants=(S, I), nullable=True),
        ),
        ({"type": "null"}, SpecType(TypeKind.ANY, nullable=True)),
        ({}, ANY),
        ({"type": "array"}, SpecType(TypeKind.ARRAY, items=ANY)),
        ({"type": "array", "items": {"type": "string"}}, SpecType(TypeKind.ARRAY, items=S)),
        ({"type": "object"}, obj(None)),
        ({"type": "object", "properties": {}}, obj(None)),
        ({"type": "object", "additionalProperties": {"type": "string"}}, obj(None)),
        ({"title": "only words", "description": "no type"}, ANY),
    ],
)
def test_types(schema: dict[str, Any], expected: SpecType) -> None:
    p, doc = param(schema)
    assert p.type == expected
    assert doc.problems == ()


@pytest.mark.parametrize(
    ("schema", "expected", "field", "value"),
    [
        ({"minimum": 0}, N, "minimum", 0),
        ({"exclusiveMaximum": 5}, N, "exclusive_maximum", 5),
        ({"maxLength": 5}, S, "max_length", 5),
        ({"pattern": "^a"}, S, "pattern", "^a"),
        ({"enum": [1, 2]}, I, "allowed", (1, 2)),
        ({"enum": [1, 2.5]}, N, "allowed", (1, 2.5)),
        ({"enum": [True]}, SpecType(TypeKind.BOOLEAN), "allowed", (True,)),
        ({"const": "x"}, S, "allowed", ("x",)),
        ({"items": {"type": "integer"}}, SpecType(TypeKind.ARRAY, items=I), "min_items", None),
        ({"minItems": 2}, SpecType(TypeKind.ARRAY, items=ANY), "min_items", 2),
        ({"properties": {"a": {"type": "string"}}}, obj("InP"), "required", False),
    ],
)
def test_type_is_inferred_from_constraints(
    schema: dict[str, Any], expected: SpecType, field: str, value: object
) -> None:
    p, doc = param(schema)
    assert p.type == expected
    assert getattr(p, field) == value
    assert doc.problems == ()


def test_enum_without_type_mixing_kinds_is_a_union() -> None:
    p, doc = param({"enum": ["a", 1, None]})
    assert p.type == SpecType(TypeKind.UNION, variants=(S, I), nullable=True)
    assert p.allowed == ("a", 1)
    assert doc.problems == ()


def test_const_and_enum_unions_collapse_to_one_type() -> None:
    p, _ = param({"anyOf": [{"const": "a"}, {"const": "b"}, {"type": "null"}]})
    assert p.type == SpecType(TypeKind.STRING, nullable=True)
    assert p.allowed == ("a", "b")


def test_enum_or_free_text_is_free_text() -> None:
    p, _ = param({"anyOf": [{"type": "string", "enum": ["a"]}, {"type": "string"}]})
    assert p.type == S and p.allowed is None


def test_union_bounds_are_the_loosest() -> None:
    p, _ = param(
        {
            "anyOf": [
                {"type": "integer", "minimum": 1, "maximum": 5},
                {"type": "integer", "minimum": 3, "maximum": 9},
            ]
        }
    )
    assert p.type == I and (p.minimum, p.maximum) == (1, 9)


def test_union_of_ref_and_enum() -> None:
    doc = load(
        {
            "size": {
                "anyOf": [
                    {"$ref": "#/components/schemas/Size"},
                    {"type": "string", "enum": ["square", "wide"]},
                ]
            }
        },
        schemas={
            "Size": {
                "type": "object",
                "properties": {"w": {"type": "integer"}, "h": {"type": "integer"}},
            }
        },
    )
    size = inputs(doc)["size"]
    assert size.type == SpecType(TypeKind.UNION, variants=(obj("Size"), S))
    assert size.allowed == ("square", "wide")
    assert list(shapes(doc)) == ["Size"]
    assert doc.problems == ()


def test_items_constraints_are_carried_by_the_array() -> None:
    p, _ = param({"type": "array", "items": {"type": "integer", "enum": [1, 2]}, "minItems": 1})
    assert p.type == SpecType(TypeKind.ARRAY, items=I)
    assert p.allowed == (1, 2) and p.min_items == 1


def test_allof_wrapper_keeps_its_own_words() -> None:
    doc = load(
        {
            "mode": {
                "allOf": [{"$ref": "#/components/schemas/Mode"}],
                "description": "Which mode.",
                "title": "Mode!",
                "default": "fast",
                "examples": ["slow"],
            }
        },
        schemas={
            "Mode": {
                "type": "string",
                "enum": ["fast", "slow"],
                "description": "enum text",
                "title": "Mode",
            }
        },
    )
    mode = inputs(doc)["mode"]
    assert mode.type == S and mode.allowed == ("fast", "slow")
    assert (mode.description, mode.title, mode.default, mode.examples) == (
        "Which mode.",
        "Mode!",
        "fast",
        ("slow",),
    )
    assert doc.problems == ()


def test_ref_to_a_scalar_schema_takes_its_words() -> None:
    doc = load(
        {"mode": {"$ref": "#/components/schemas/Mode"}},
        schemas={"Mode": {"type": "integer", "enum": [1, 2], "description": "d"}},
    )
    mode = inputs(doc)["mode"]
    assert (mode.type, mode.allowed, mode.description) == (I, (1, 2), "d")


def test_ref_to_a_shape_does_not_take_the_shapes_words() -> None:
    doc = load(
        {"a": {"$ref": "#/components/schemas/A"}},
        schemas={
            "A": {
                "type": "object",
                "description": "shape words",
                "properties": {"x": {"type": "string"}},
            }
        },
    )
    assert inputs(doc)["a"].description == ""
    assert shapes(doc)["A"].description == "shape words"


def test_allof_merges_objects_into_an_inline_shape() -> None:
    doc = load(
        {
            "voice": {
                "allOf": [
                    {"$ref": "#/components/schemas/Base"},
                    {
                        "type": "object",
                        "properties": {"pitch": {"type": "number"}},
                        "required": ["pitch"],
                    },
                    {"required": ["name"]},
                ]
            }
        },
        schemas={"Base": {"type": "object", "properties": {"name": {"type": "string"}}}},
    )
    assert inputs(doc)["voice"].type == obj("InVoice")
    fields = {f.wire_name: f for f in shapes(doc)["InVoice"].fields}
    assert list(fields) == ["name", "pitch"]
    assert fields["name"].required and fields["pitch"].required
    assert doc.problems == ()


def test_allof_of_non_objects_is_any_with_a_warning() -> None:
    doc = load({"x": {"allOf": [{"type": "string"}, {"type": "integer"}]}})
    assert inputs(doc)["x"].type == ANY
    one_problem(doc, Level.WARNING, f"{IN}/x/allOf")


def test_ui_hints_are_ignored() -> None:
    p, doc = param(
        {"type": "integer", "ui": {"widget": "slider"}, "_fal_ui_field": "x", "x-anything": 1}
    )
    assert p.type == I and doc.problems == ()


def test_examples_and_example_are_both_kept() -> None:
    p, _ = param({"type": "string", "examples": ["a", "b"], "example": "c"})
    assert p.examples == ("a", "b", "c")


# shapes and names ------------------------------------------------------------------------------


def test_inline_objects_get_derived_names() -> None:
    doc = load(
        {
            "voice_settings": {"type": "object", "properties": {"pitch": {"type": "number"}}},
            "segments": {
                "type": "array",
                "items": {"type": "object", "properties": {"start": {"type": "number"}}},
            },
        }
    )
    params = inputs(doc)
    assert params["voice_settings"].type == obj("InVoiceSettings")
    assert params["segments"].type == SpecType(TypeKind.ARRAY, items=obj("InSegmentsItem"))
    assert list(shapes(doc)) == ["InVoiceSettings", "InSegmentsItem"]
    assert shapes(doc)["InVoiceSettings"].location.pointer == f"{IN}/voice_settings"


def test_derived_names_avoid_component_names() -> None:
    doc = load(
        {
            "x": {"type": "object", "properties": {"a": {"type": "string"}}},
            "y": {"$ref": "#/components/schemas/InX"},
        },
        schemas={"InX": {"type": "object", "properties": {"b": {"type": "string"}}}},
    )
    params = inputs(doc)
    assert params["x"].type == obj("InX2")
    assert params["y"].type == obj("InX")


def test_shape_referring_to_itself_is_read_once() -> None:
    doc = load(
        {"tree": {"$ref": "#/components/schemas/Node"}},
        schemas={
            "Node": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
                    "parent": {"anyOf": [{"$ref": "#/components/schemas/Node"}, {"type": "null"}]},
                },
            }
        },
    )
    node = shapes(doc)["Node"]
    fields = {f.wire_name: f.type for f in node.fields}
    assert fields["children"] == SpecType(TypeKind.ARRAY, items=obj("Node"))
    assert fields["parent"] == SpecType(TypeKind.OBJECT, ref="Node", nullable=True)
    assert doc.problems == ()


def test_nullable_shape_is_nullable_at_every_reference() -> None:
    doc = load(
        {"a": {"$ref": "#/components/schemas/A"}, "b": {"$ref": "#/components/schemas/A"}},
        schemas={"A": {"type": ["object", "null"], "properties": {"x": {"type": "string"}}}},
    )
    params = inputs(doc)
    assert params["a"].type == params["b"].type == SpecType(TypeKind.OBJECT, ref="A", nullable=True)


def test_shapes_referring_to_each_other() -> None:
    doc = load(
        {"a": {"$ref": "#/components/schemas/A"}},
        schemas={
            "A": {"type": "object", "properties": {"b": {"$ref": "#/components/schemas/B"}}},
            "B": {"type": "object", "properties": {"a": {"$ref": "#/components/schemas/A"}}},
        },
    )
    assert list(shapes(doc)) == ["A", "B"]
    assert doc.problems == ()


def test_escaped_and_percent_encoded_refs_resolve() -> None:
    doc = load(
        {
            "a": {"$ref": "#/components/schemas/A~1B"},
            "b": {"$ref": "#/components/schemas/T~0C"},
            "c": {"$ref": "#/components/schemas/With%20Space"},
        },
        schemas={
            "A/B": {"type": "integer"},
            "T~C": {"type": "boolean"},
            "With Space": {"type": "object", "properties": {"z": {"type": "string"}}},
        },
    )
    params = inputs(doc)
    assert params["a"].type == I
    assert params["b"].type == SpecType(TypeKind.BOOLEAN)
    assert params["c"].type == obj("With Space")
    assert doc.problems == ()


def test_property_names_are_escaped_in_pointers() -> None:
    doc = load(
        {"a/b~c": {"type": "integer", "minimum": 2, "maximum": 1}, 'quote"é': {"type": "string"}}
    )
    assert inputs(doc)['quote"é'].location.pointer == f'{IN}/quote"é'
    one_problem(doc, Level.ERROR, f"{IN}/a~1b~0c")


def test_inputs_without_order_keep_document_order() -> None:
    doc = load({"z": {"type": "string"}, "a": {"type": "string"}, "m": {"type": "string"}})
    assert list(inputs(doc)) == ["z", "a", "m"]


# references that are refused or broken ---------------------------------------------------------


@pytest.mark.parametrize(
    "ref",
    [
        "other.json#/components/schemas/X",
        "https://example.com/schemas.json#/X",
        "./x.yaml",
        "//host/x",
    ],
)
def test_refs_to_files_or_urls_are_refused(ref: str) -> None:
    doc = load({"x": {"$ref": ref}, "y": {"type": "string"}})
    message = one_problem(doc, Level.ERROR, f"{IN}/x/$ref")
    assert "another file or a URL" in message and "never reads or fetches" in message
    params = inputs(doc)
    assert params["x"].type == ANY
    assert params["y"].type == S  # the rest still loads


def test_dangling_ref_is_an_error_at_the_ref() -> None:
    doc = load({"x": {"allOf": [{"$ref": "#/components/schemas/Nope"}]}})
    message = one_problem(doc, Level.ERROR, f"{IN}/x/allOf/0/$ref")
    assert "'#/components/schemas/Nope' points at nothing" in message
    assert "no 'Nope' under /components/schemas" in message


@pytest.mark.parametrize(
    ("ref", "words"), [(42, "must be a string"), ("#components", "is not a JSON pointer")]
)
def test_malformed_refs(ref: object, words: str) -> None:
    doc = load({"x": {"$ref": ref}})
    assert words in one_problem(doc, Level.ERROR, f"{IN}/x/$ref")


def test_bare_reference_cycle_is_an_error() -> None:
    doc = load(
        {"x": {"$ref": "#/components/schemas/A"}},
        schemas={"A": {"$ref": "#/components/schemas/B"}, "B": {"$ref": "#/components/schemas/A"}},
    )
    assert inputs(doc)["x"].type == ANY
    assert "leads back to itself" in one_problem(doc, Level.ERROR, "/components/schemas/B/$ref")


def test_array_of_itself_is_an_error() -> None:
    doc = load(
        {"x": {"$ref": "#/components/schemas/L"}},
        schemas={"L": {"type": "array", "items": {"$ref": "#/components/schemas/L"}}},
    )
    assert inputs(doc)["x"].type == SpecType(TypeKind.ARRAY, items=ANY)
    one_problem(doc, Level.ERROR, "/components/schemas/L/items/$ref")


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    schema: dict[str, Any] = {"type": "string"}
    for _ in range(MAX_DEPTH + 10):
        schema = {"type": "array", "items": schema}
    doc = load({"deep": schema})
    assert [p.level for p in doc.problems] == [Level.ERROR]
    assert "nest more than" in doc.problems[0].message


# constraints that cannot hold --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("schema", "dropped", "words"),
    [
        (
            {"type": "number", "minimum": 10, "maximum": 5},
            ("minimum", "maximum"),
            "minimum 10 is greater than maximum 5",
        ),
        (
            {"type": "number", "exclusiveMinimum": 5, "maximum": 5},
            ("exclusive_minimum", "maximum"),
            "leave no number",
        ),
        (
            {"type": "number", "minimum": 5, "exclusiveMaximum": 5},
            ("minimum", "exclusive_maximum"),
            "leave no number",
        ),
        (
            {"type": "number", "minimum": 5, "exclusiveMinimum": True, "maximum": 5},
            ("exclusive_minimum",),
            "exclusiveMinimum 5",
        ),
        (
            {"type": "integer", "exclusiveMinimum": 1, "exclusiveMaximum": 2},
            ("exclusive_minimum",),
            "leave no whole number",
        ),
        (
            {"type": "integer", "minimum": 1.2, "maximum": 1.8},
            ("minimum", "maximum"),
            "whole number",
        ),
        (
            {"type": "string", "minLength": 10, "maxLength": 5},
            ("min_length", "max_length"),
            "minLength 10 is greater than maxLength 5",
        ),
        (
            {"type": "array", "minItems": 3, "maxItems": 1},
            ("min_items", "max_items"),
            "minItems 3 is greater than maxItems 1",
        ),
    ],
)
def test_bounds_that_leave_nothing_are_errors_and_dropped(
    schema: dict[str, Any], dropped: tuple[str, ...], words: str
) -> None:
    doc = load({"p": schema, "q": {"type": "string"}})
    message = one_problem(doc, Level.ERROR, f"{IN}/p")
    assert words in message and "ignored" in message
    p = inputs(doc)["p"]
    for name in dropped:
        assert getattr(p, name) is None
    assert "q" in inputs(doc)  # the property and its neighbours stay


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "number", "minimum": 5, "maximum": 5},
        {"type": "number", "exclusiveMinimum": 1, "exclusiveMaximum": 2},
        {"type": "integer", "exclusiveMinimum": 1, "exclusiveMaximum": 3},
        {"type": "string", "minLength": 3, "maxLength": 3},
    ],
)
def test_tight_but_possible_bounds_are_fine(schema: dict[str, Any]) -> None:
    assert param(schema)[1].problems == ()


@pytest.mark.parametrize(
    ("schema", "keyword"),
    [
        ({"type": "number", "minimum": "1"}, "minimum"),
        ({"type": "number", "maximum": True}, "maximum"),
        ({"type": "number", "exclusiveMaximum": [1]}, "exclusiveMaximum"),
        ({"type": "string", "minLength": -1}, "minLength"),
        ({"type": "string", "maxLength": 2.5}, "maxLength"),
        ({"type": "array", "minItems": "2"}, "minItems"),
        ({"type": "string", "pattern": "[unclosed"}, "pattern"),
        ({"type": "string", "pattern": 5}, "pattern"),
        ({"type": "string", "enum": []}, "enum"),
        ({"type": "string", "enum": "a"}, "enum"),
        ({"type": "strng"}, "type"),
        ({"type": ["string", 5]}, "type"),
    ],
)
def test_malformed_keywords_are_errors_at_the_keyword(schema: dict[str, Any], keyword: str) -> None:
    doc = load({"p": schema})
    message = one_problem(doc, Level.ERROR, f"{IN}/p/{keyword}")
    assert keyword in message or "type" in message


def test_unknown_type_names_the_known_ones() -> None:
    p, doc = param({"type": "strng", "minLength": 1})
    assert p.type == ANY and p.min_length == 1
    message = one_problem(doc, Level.ERROR, f"{IN}/p/type")
    assert "'strng'" in message and "string, integer, number" in message


def test_non_scalar_enum_values_are_dropped() -> None:
    p, doc = param({"type": "string", "enum": ["a", {"b": 1}]})
    assert p.allowed == ("a",)
    one_problem(doc, Level.ERROR, f"{IN}/p/enum/1")


def test_enum_values_of_the_wrong_type_are_dropped() -> None:
    p, doc = param({"type": "integer", "enum": ["a", 1, 2.0]})
    assert p.allowed == (1, 2.0)
    assert "'a' does not match the type (integer)" in one_problem(doc, Level.ERROR, f"{IN}/p")


def test_exclusive_true_without_minimum_is_a_warning() -> None:
    p, doc = param({"type": "number", "exclusiveMinimum": True})
    assert p.exclusive_minimum is None
    one_problem(doc, Level.WARNING, f"{IN}/p/exclusiveMinimum")


def test_exclusive_false_keeps_the_bound_inclusive() -> None:
    p, doc = param({"type": "number", "minimum": 1, "exclusiveMinimum": False})
    assert (p.minimum, p.exclusive_minimum) == (1, None) and doc.problems == ()


@pytest.mark.parametrize(
    ("schema", "words"),
    [
        ({"type": "integer", "minLength": 1}, "minLength does not apply"),
        ({"type": "string", "minimum": 1}, "minimum does not apply"),
        ({"type": "boolean", "maxItems": 1}, "maxItems does not apply"),
    ],
)
def test_constraints_of_another_type_are_warnings(schema: dict[str, Any], words: str) -> None:
    p, doc = param(schema)
    assert words in one_problem(doc, Level.WARNING, f"{IN}/p")
    assert (p.min_length, p.minimum, p.max_items) == (None, None, None)


@pytest.mark.parametrize(
    ("schema", "words"),
    [
        ({"type": "integer", "minimum": 1, "default": 0}, "outside the range"),
        ({"type": "integer", "exclusiveMaximum": 5, "default": 5}, "outside the range"),
        ({"type": "string", "enum": ["a"], "default": "b"}, "not one of the enum values"),
        ({"type": "integer", "default": "5"}, "does not match the type (integer)"),
    ],
)
def test_defaults_that_break_the_rules_are_warnings(schema: dict[str, Any], words: str) -> None:
    p, doc = param(schema)
    assert words in one_problem(doc, Level.WARNING, f"{IN}/p")
    assert p.has_default


def test_non_text_description_and_title_are_warnings() -> None:
    p, doc = param({"type": "string", "description": 5, "title": ["x"]})
    assert (p.description, p.title) == ("", None)
    assert problems(doc) == [
        (Level.WARNING, f"{IN}/p/description"),
        (Level.WARNING, f"{IN}/p/title"),
    ]


def test_schema_false_and_non_mapping_property() -> None:
    doc = load({"never": False, "broken": "string", "ok": True})
    params = inputs(doc)
    assert "broken" not in params  # skipped
    assert params["never"].type == ANY and params["ok"].type == ANY
    assert problems(doc) == [(Level.ERROR, f"{IN}/never"), (Level.ERROR, f"{IN}/broken")]


def test_tuple_items_are_a_warning() -> None:
    p, doc = param({"type": "array", "items": [{"type": "string"}]})
    assert p.type == SpecType(TypeKind.ARRAY, items=ANY)
    one_problem(doc, Level.WARNING, f"{IN}/p/items")


def test_empty_anyof_is_an_error() -> None:
    p, doc = param({"anyOf": []})
    assert p.type == ANY
    one_problem(doc, Level.ERROR, f"{IN}/p/anyOf")


def test_properties_that_are_not_a_mapping() -> None:
    p, doc = param({"type": "object", "properties": ["a"]})
    assert p.type == obj(None)
    one_problem(doc, Level.ERROR, f"{IN}/p/properties")


# required and order ----------------------------------------------------------------------------


def test_required_lists_a_missing_property() -> None:
    doc = load({"a": {"type": "string"}}, required=["a", "ghost"])
    assert inputs(doc)["a"].required
    message = one_problem(doc, Level.WARNING, "/components/schemas/In/required/1")
    assert "'ghost' is listed as required" in message


def test_required_that_is_not_a_list() -> None:
    doc = load({"a": {"type": "string"}}, required="a")
    assert not inputs(doc)["a"].required
    one_problem(doc, Level.ERROR, "/components/schemas/In/required")


def test_required_entry_that_is_not_text() -> None:
    doc = load({"a": {"type": "string"}}, required=[1])
    one_problem(doc, Level.ERROR, "/components/schemas/In/required/0")


def test_order_naming_an_unknown_property_is_a_warning() -> None:
    doc = load(
        {"a": {"type": "string"}, "b": {"type": "string"}},
        **{"x-fal-order-properties": ["b", "zzz"]},
    )
    assert list(inputs(doc)) == ["b", "a"]
    one_problem(doc, Level.WARNING, "/components/schemas/In/x-fal-order-properties/1")


def test_order_that_is_not_a_list_is_a_warning() -> None:
    doc = load({"a": {"type": "string"}}, **{"x-fal-order-properties": "a"})
    one_problem(doc, Level.WARNING, "/components/schemas/In/x-fal-order-properties")


# document-level problems ---------------------------------------------------------------------


def _fal_document(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(fal_text({"a": {"type": "string"}}))
    document.update(changes)
    return document


def test_fal_metadata_without_endpoint_id() -> None:
    document = _fal_document(info={"x-fal-metadata": {"category": "x"}})
    doc = openapi.load(json.dumps(document), "f.json")
    assert doc.provider == "fal" and doc.models == ()
    assert "endpointId" in one_problem(doc, Level.ERROR, "/info/x-fal-metadata")


def test_fal_metadata_with_an_empty_endpoint_id() -> None:
    document = _fal_document(info={"x-fal-metadata": {"endpointId": "/"}})
    doc = openapi.load(json.dumps(document), "f.json")
    assert doc.models == ()
    one_problem(doc, Level.ERROR, "/info/x-fal-metadata/endpointId")


def test_fal_metadata_that_is_not_a_mapping() -> None:
    doc = openapi.load(json.dumps(_fal_document(info={"x-fal-metadata": "acme/x"})), "f.json")
    assert doc.models == ()
    one_problem(doc, Level.ERROR, "/info/x-fal-metadata")


def test_fal_document_without_any_input_schema() -> None:
    document = _fal_document(paths={})
    del document["components"]["schemas"]["In"]
    doc = openapi.load(json.dumps(document), "f.json")
    model = doc.models[0]
    assert model.inputs is None and model.outputs is not None
    assert "request body of POST /acme/x" in one_problem(doc, Level.WARNING, "/paths")


def test_fal_document_with_two_candidate_input_schemas() -> None:
    document = _fal_document(paths={})
    document["components"]["schemas"]["OtherInput"] = {"type": "object", "properties": {}}
    document["components"]["schemas"]["In"] = {"type": "object", "properties": {}}
    document["components"]["schemas"]["AInput"] = {"type": "object", "properties": {}}
    doc = openapi.load(json.dumps(document), "f.json")
    assert doc.models[0].inputs is None


def test_fal_input_schema_that_is_not_an_object() -> None:
    document = _fal_document()
    document["components"]["schemas"]["In"] = {"type": "string"}
    doc = openapi.load(json.dumps(document), "f.json")
    assert doc.models[0].inputs is None
    one_problem(
        doc, Level.WARNING, "/paths/~1acme~1x/post/requestBody/content/application~1json/schema"
    )


def test_fal_input_object_without_properties_means_no_inputs() -> None:
    document = _fal_document()
    document["components"]["schemas"]["In"] = {"type": "object"}
    doc = openapi.load(json.dumps(document), "f.json")
    assert doc.models[0].inputs == () and doc.problems == ()


def test_wrong_openapi_version() -> None:
    doc = openapi.load('{"openapi": "2.0", "paths": {}}', "old.json")
    assert doc.models == ()
    assert "3.0 and 3.1" in one_problem(doc, Level.ERROR, "/openapi")


def test_missing_openapi_key() -> None:
    doc = openapi.load('{"paths": {}}', "x.json")
    one_problem(doc, Level.ERROR, "")


def test_top_level_must_be_a_mapping() -> None:
    doc = openapi.load("[1, 2]", "x.json")
    assert "mapping at the top level" in one_problem(doc, Level.ERROR, "")


def test_paths_that_are_not_a_mapping() -> None:
    doc = openapi.load('{"openapi": "3.1.0", "paths": []}', "x.json")
    one_problem(doc, Level.ERROR, "/paths")


def test_problems_are_reported_once_even_when_shared() -> None:
    text = json.dumps(
        {
            "openapi": "3.1.0",
            "components": {
                "schemas": {
                    "Body": {
                        "type": "object",
                        "properties": {
                            "model": {"type": "string"},
                            "n": {"type": "integer", "minimum": 3, "maximum": 1},
                        },
                    }
                }
            },
            "paths": {
                f"/v1/{name}": {
                    "post": {
                        "requestBody": {
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Body"}
                                }
                            }
                        }
                    }
                }
                for name in ("a", "b")
            },
        }
    )
    doc = openapi.load(text, "x.json")
    assert len(doc.models) == 2
    one_problem(doc, Level.ERROR, "/components/schemas/Body/properties/n")
