"""OpenAPI loader, property tests: random documents load or give located problems, never raise."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from musicbind.generator.load import openapi
from musicbind.generator.load.records import (
    DocumentKind,
    JsonValue,
    SpecDocument,
    SpecModel,
    SpecParam,
    SpecType,
    TypeKind,
)

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

NAMES = st.one_of(
    st.text(max_size=10),
    st.sampled_from(
        [
            "class",
            "def",
            "None",
            "model",
            'a"b',
            "a'b",
            "a/b",
            "~0",
            "~1",
            "日本語",
            "",
            " ",
            "__init__",
            "$ref",
            "0",
        ]
    ),
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(max_size=6),
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=4,
)
NUMBERS = st.integers(-50, 50) | st.floats(-50, 50, allow_nan=False)
COUNTS = st.integers(-2, 20)
REFS = st.sampled_from(
    [
        "#/components/schemas/A",
        "#/components/schemas/B",
        "#/components/schemas/In",
        "#/components/schemas/A/properties/x",
        "#/components/schemas/Zed",
        "#/components/schemas/A~1B",
        "#/",
        "#",
        "#/paths",
        "#nope",
        "other.json#/components/schemas/A",
        "https://example.com/x.json",
    ]
)
TYPES = st.sampled_from(
    ["string", "integer", "number", "boolean", "array", "object", "null", "strng"]
)


def _maybe(good: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly well-formed values, sometimes any JSON value."""
    return st.one_of(good, good, good, JSON_VALUES)


KEYWORDS: dict[str, st.SearchStrategy[Any]] = {
    "type": _maybe(TYPES | st.lists(TYPES, max_size=3)),
    "minimum": _maybe(NUMBERS),
    "maximum": _maybe(NUMBERS),
    "exclusiveMinimum": _maybe(NUMBERS | st.booleans()),
    "exclusiveMaximum": _maybe(NUMBERS | st.booleans()),
    "minLength": _maybe(COUNTS),
    "maxLength": _maybe(COUNTS),
    "minItems": _maybe(COUNTS),
    "maxItems": _maybe(COUNTS),
    "pattern": _maybe(st.sampled_from(["^a", "[", "\\d+", "(?P<x>a)", "\\p{L}"])),
    "enum": _maybe(st.lists(SCALARS, max_size=4)),
    "const": SCALARS,
    "nullable": _maybe(st.booleans()),
    "default": JSON_VALUES,
    "examples": _maybe(st.lists(JSON_VALUES, max_size=2)),
    "example": JSON_VALUES,
    "description": _maybe(st.text(max_size=10)),
    "title": _maybe(st.text(max_size=10)),
    "format": st.sampled_from(["binary", "uri", "int32"]),
    "$ref": _maybe(REFS),
    "required": _maybe(st.lists(NAMES, max_size=3)),
    "x-fal-order-properties": _maybe(st.lists(NAMES, max_size=3)),
    "_fal_ui_field": JSON_VALUES,
}


def _extend(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    structure = {
        "items": _maybe(children),
        "properties": _maybe(st.dictionaries(NAMES, children, max_size=4)),
        "anyOf": _maybe(st.lists(children | st.just({"type": "null"}), max_size=3)),
        "oneOf": st.lists(children, max_size=3),
        "allOf": _maybe(st.lists(children, max_size=2)),
        "additionalProperties": st.booleans() | children,
    }
    return st.fixed_dictionaries({}, optional={**KEYWORDS, **structure})


SCHEMAS = st.recursive(
    st.fixed_dictionaries({}, optional=KEYWORDS) | st.booleans(),
    _extend,
    max_leaves=10,
)


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    """A fal queue document or a gateway-style document built from random schemas."""
    properties = draw(st.dictionaries(NAMES, SCHEMAS, max_size=5))
    input_schema: dict[str, Any] = {"type": "object", "properties": properties}
    input_schema.update(
        draw(
            st.fixed_dictionaries(
                {},
                optional={
                    "required": KEYWORDS["required"],
                    "x-fal-order-properties": KEYWORDS["x-fal-order-properties"],
                },
            )
        )
    )
    schemas = {"In": input_schema, "A": draw(SCHEMAS), "B": draw(SCHEMAS), "XOutput": draw(SCHEMAS)}
    body = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/In"}}}}
    if draw(st.booleans()):
        info: dict[str, Any] = {
            "title": "t",
            "x-fal-metadata": draw(
                _maybe(st.fixed_dictionaries({"endpointId": st.sampled_from(["acme/x", "acme/y"])}))
            ),
        }
        paths: dict[str, Any] = {"/acme/x": {"post": {"requestBody": body}}}
    else:
        info = {"title": "gateway"}
        input_schema["properties"] = {"model": {"type": "string"}, **properties}
        paths = {
            "/v1/x": {
                "post": {
                    "requestBody": body,
                    "responses": {
                        "202": {
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/XOutput"}
                                }
                            }
                        }
                    },
                }
            }
        }
    return {
        "openapi": draw(st.sampled_from(["3.0.3", "3.1.0"])),
        "info": info,
        "servers": [
            {
                "url": draw(
                    st.sampled_from(
                        ["https://queue.fal.run", "https://api.aigateway.sh", "https://x.example"]
                    )
                )
            }
        ],
        "components": {"schemas": schemas},
        "paths": paths,
    }


def _resolves(document: JsonValue, pointer: str) -> bool:
    value = document
    for token in pointer.split("/")[1:] if pointer else []:
        key = token.replace("~1", "/").replace("~0", "~")
        if isinstance(value, dict) and key in value:
            value = value[key]
        elif isinstance(value, list) and key.isdigit() and int(key) < len(value):
            value = value[int(key)]
        else:
            return False
    return True


def _refs(spec_type: SpecType) -> list[str]:
    found = [spec_type.ref] if spec_type.kind is TypeKind.OBJECT and spec_type.ref else []
    if spec_type.items is not None:
        found += _refs(spec_type.items)
    for variant in spec_type.variants:
        found += _refs(variant)
    return found


def _params(model: SpecModel) -> list[SpecParam]:
    params = [*(model.inputs or ()), *(model.outputs or ())]
    for shape in model.shapes:
        params += shape.fields
    return params


def _check_invariants(document: dict[str, Any], doc: SpecDocument) -> None:
    assert doc.kind is DocumentKind.OPENAPI
    for problem in doc.problems:
        assert problem.message
        assert problem.location.pointer is not None
        assert _resolves(document, problem.location.pointer), str(problem)
    for model in doc.models:
        shape_names = [s.name for s in model.shapes]
        assert len(shape_names) == len(set(shape_names))
        for param in _params(model):
            assert _resolves(document, param.location.pointer or ""), param.location
            assert set(_refs(param.type)) <= set(shape_names)
            assert param.type.kind is not TypeKind.ARRAY or param.type.items is not None


@pytest.mark.slow
@SETTINGS
@given(documents())
def test_random_documents_load_with_located_problems(document: dict[str, Any]) -> None:
    text = json.dumps(document)
    doc = openapi.load(text, "random.json")
    _check_invariants(document, doc)
    assert openapi.looks_like(text)
    assert openapi.load(text, "random.json") == doc  # deterministic


@pytest.mark.slow
@SETTINGS
@given(documents())
def test_json_and_yaml_say_the_same(document: dict[str, Any]) -> None:
    as_yaml = yaml.safe_dump(document, allow_unicode=True, sort_keys=False)
    assume(yaml.safe_load(as_yaml) == document)  # YAML itself cannot carry every string
    from_json = openapi.load(json.dumps(document), "same")
    from_yaml = openapi.load(as_yaml, "same")
    assert _without_lines(from_json) == _without_lines(from_yaml)


@SETTINGS
@given(st.text(max_size=200))
def test_random_text_never_raises(text: str) -> None:
    doc = openapi.load(text, "noise.txt")
    assert doc.kind is DocumentKind.OPENAPI
    openapi.looks_like(text)


@SETTINGS
@given(st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=6))
def test_random_openapi_shaped_mappings_never_raise(mapping: dict[str, Any]) -> None:
    for version in ("3.1.0", "3.0.0"):
        document = {**mapping, "openapi": version}
        doc = openapi.load(json.dumps(document), "m.json")
        _check_invariants(document, doc)


def _without_lines(value: object) -> object:
    if isinstance(value, tuple | list):
        return [_without_lines(v) for v in value]
    fields = getattr(value, "__dataclass_fields__", None)
    if fields is None:
        return value
    return {
        name: None if name in ("line", "sha256") else _without_lines(getattr(value, name))
        for name in fields
    }
