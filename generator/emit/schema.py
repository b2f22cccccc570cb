"""Emit stage: a registry model as JSON Schema (the input of the schema -> pydantic step)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from musicbind.generator.emit.literals import clean_text
from musicbind.generator.load.records import SpecType, TypeKind
from musicbind.generator.registry.model import Field, Model

_SCALARS = {
    TypeKind.STRING: "string",
    TypeKind.FILE: "string",
    TypeKind.INTEGER: "integer",
    TypeKind.NUMBER: "number",
    TypeKind.BOOLEAN: "boolean",
}
_CONSTRAINTS = (
    ("minimum", "minimum"),
    ("maximum", "maximum"),
    ("exclusive_minimum", "exclusiveMinimum"),
    ("exclusive_maximum", "exclusiveMaximum"),
    ("min_length", "minLength"),
    ("max_length", "maxLength"),
    ("min_items", "minItems"),
    ("max_items", "maxItems"),
    ("pattern", "pattern"),
)


def type_schema(spec: SpecType, shape_refs: dict[str, str], ref_prefix: str) -> dict[str, Any]:
    """The JSON Schema of a type; object refs point at ``ref_prefix + class name``."""
    if spec.kind in _SCALARS:
        return {"type": _SCALARS[spec.kind]}
    if spec.kind is TypeKind.ARRAY:
        items = type_schema(spec.items, shape_refs, ref_prefix) if spec.items else {}
        return {"type": "array", "items": items}
    if spec.kind is TypeKind.OBJECT:
        if spec.ref is not None and spec.ref in shape_refs:
            return {"$ref": ref_prefix + shape_refs[spec.ref]}
        return {"type": "object", "additionalProperties": True}
    if spec.kind is TypeKind.UNION:
        return {"anyOf": [type_schema(v, shape_refs, ref_prefix) for v in spec.variants]}
    return {}


_NUMERIC_KEYWORDS = frozenset({"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"})
_STRING_KEYWORDS = frozenset({"minLength", "maxLength", "pattern"})
_ARRAY_KEYWORDS = frozenset({"minItems", "maxItems"})


def _fits(schema: dict[str, Any], keyword: str) -> bool:
    kind = schema.get("type")
    if keyword in _NUMERIC_KEYWORDS:
        return kind in ("integer", "number")
    if keyword in _STRING_KEYWORDS:
        return kind == "string"
    if keyword in _ARRAY_KEYWORDS:
        return kind == "array"
    return keyword == "enum" and kind in ("string", "integer", "number", "boolean")


def _constrain(schema: dict[str, Any], keyword: str, value: Any) -> None:
    """Put a constraint where it applies: on the value, its array items, or fitting union variants.

    The loaders attach an array's item constraints (and allowed values) to the array field,
    and a union's to the union: a registry field has one set of constraints.
    """
    if _fits(schema, keyword):
        schema[keyword] = value
    elif schema.get("type") == "array" and isinstance(schema.get("items"), dict):
        _constrain(schema["items"], keyword, value)
    elif "anyOf" in schema:
        for variant in schema["anyOf"]:
            if keyword != "enum" or variant.get("type") == "array":
                _constrain(variant, keyword, value)
                continue
            # A union's allowed values hold for the variants of their kinds only: in
            # ``"auto" | integer``, "auto" constrains the string variant, not the integer.
            fitting = [v for v in value if _enum_fits(variant, v)]
            if fitting:
                _constrain(variant, keyword, fitting)


_JSON_KINDS = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
}


def _enum_fits(schema: dict[str, Any], value: Any) -> bool:
    """Whether an allowed value is of a (scalar) variant's type; bool is never a number."""
    kinds = _JSON_KINDS.get(str(schema.get("type")))
    if kinds is None or (isinstance(value, bool) and bool not in kinds):
        return False
    return isinstance(value, kinds)


def field_schema(
    field: Field, shape_refs: dict[str, str], ref_prefix: str, *, descriptions: bool = True
) -> dict[str, Any]:
    """One property's JSON Schema, constraints and allowed values included."""
    schema = type_schema(field.type, shape_refs, ref_prefix)
    if "$ref" in schema and (field.has_default or (descriptions and field.description)):
        schema = {"allOf": [schema]}
    for attribute, keyword in _CONSTRAINTS:
        value = getattr(field, attribute)
        if value is not None:
            _constrain(schema, keyword, value)
    if field.allowed is not None:
        _constrain(schema, "enum", list(field.allowed))
    if field.has_default:
        schema["default"] = field.default
    if descriptions and field.description:
        schema["description"] = clean_text(field.description)
    return schema


def object_schema(
    fields: Sequence[Field],
    shape_refs: dict[str, str],
    ref_prefix: str,
    description: str = "",
    *,
    descriptions: bool = True,
) -> dict[str, Any]:
    """An object schema with properties by wire name, in the fields' order."""
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {
            f.wire_name: field_schema(f, shape_refs, ref_prefix, descriptions=descriptions)
            for f in fields
        },
    }
    required = [f.wire_name for f in fields if f.required]
    if required:
        schema["required"] = required
    if descriptions and description:
        schema["description"] = clean_text(description)
    return schema


def components(model: Model, input_class: str) -> dict[str, dict[str, Any]]:
    """Every class of a model as OpenAPI component schemas keyed by class name."""
    refs = {shape.name: shape.class_name for shape in model.shapes}
    prefix = "#/components/schemas/"
    schemas = {
        shape.class_name: object_schema(shape.fields, refs, prefix, shape.description)
        for shape in model.shapes
    }
    schemas[input_class] = object_schema(model.inputs, refs, prefix, model.description)
    if model.outputs is not None and model.output_class is not None:
        schemas[model.output_class] = object_schema(model.outputs, refs, prefix)
    return schemas


def input_shapes(model: Model) -> set[str]:
    """Class names of the shapes reachable from the model's inputs."""
    by_name = {shape.name: shape for shape in model.shapes}
    seen: set[str] = set()

    def visit(spec: SpecType | None) -> None:
        if spec is None:
            return
        if spec.kind is TypeKind.OBJECT and spec.ref in by_name and spec.ref not in seen:
            seen.add(spec.ref)
            for f in by_name[spec.ref].fields:
                visit(f.type)
        visit(spec.items)
        for variant in spec.variants:
            visit(variant)

    for f in model.inputs:
        visit(f.type)
    return {by_name[name].class_name for name in seen}
