"""Load stage: the structure of OpenAPI schemas: which make an object, which mean null, what type.

Pure lookups shared by :mod:`generator.load.openapi_schema` and :mod:`generator.load.openapi`;
the only problems reported here are broken references and unknown type names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from musicbind.generator.load.located import pointer_child
from musicbind.generator.load.openapi_document import OpenApiDocument, as_mapping, show
from musicbind.generator.load.openapi_facts import Facts
from musicbind.generator.load.records import JsonValue, TypeKind

MAX_DEPTH = 48  # nesting levels; deeper schemas are read as "any value" with an error
ANY_VALUE = "read as 'any value'"

_TYPE_NAMES = {
    "string": TypeKind.STRING,
    "integer": TypeKind.INTEGER,
    "number": TypeKind.NUMBER,
    "boolean": TypeKind.BOOLEAN,
    "array": TypeKind.ARRAY,
    "object": TypeKind.OBJECT,
}
STRUCTURE_KEYS = frozenset(
    {"$ref", "type", "properties", "items", "allOf", "anyOf", "oneOf", "enum", "const", "required"}
)


@dataclass(frozen=True, slots=True)
class Part:
    """One schema contributing properties to an object (several when ``allOf`` merges them)."""

    schema: dict[str, JsonValue]
    pointer: str


def camel(text: str) -> str:
    """``voice_settings`` -> ``VoiceSettings``; used to derive names of inline shapes."""
    words = [w for w in re.split(r"[\W_]+", text) if w]
    return "".join(w[:1].upper() + w[1:] for w in words) or "Field"


def object_parts(
    doc: OpenApiDocument, schema: JsonValue, pointer: str, seen: frozenset[str] = frozenset()
) -> list[Part] | None:
    """The schemas whose properties make up this object (following ``$ref`` and ``allOf``).

    None when the schema is not an object with properties.
    """
    mapping = as_mapping(schema)
    if mapping is None or pointer in seen or len(seen) > MAX_DEPTH:
        return None
    seen = seen | {pointer}
    if "$ref" in mapping:
        target = doc.resolve(mapping["$ref"], pointer_child(pointer, "$ref"))
        return None if target is None else object_parts(doc, target.value, target.pointer, seen)
    parts: list[Part] = []
    all_of = mapping.get("allOf")
    for index, element in enumerate(all_of if isinstance(all_of, list) else []):
        element_pointer = pointer_child(pointer_child(pointer, "allOf"), index)
        element_parts = _all_of_element_parts(doc, element, element_pointer, seen)
        if element_parts is None:
            return None
        parts.extend(element_parts)
    properties = mapping.get("properties")
    if isinstance(properties, dict) and properties:
        parts.append(Part(mapping, pointer))
    return parts if any(_has_properties(part) for part in parts) else None


def _all_of_element_parts(
    doc: OpenApiDocument, element: JsonValue, pointer: str, seen: frozenset[str]
) -> list[Part] | None:
    mapping = as_mapping(element)
    if mapping is not None and STRUCTURE_KEYS.isdisjoint(mapping):
        return []  # annotations only
    if mapping is not None and STRUCTURE_KEYS & set(mapping) == {"required"}:
        return [Part(mapping, pointer)]  # adds requirements to properties stated elsewhere
    return object_parts(doc, element, pointer, seen)


def _has_properties(part: Part) -> bool:
    return bool(as_mapping(part.schema.get("properties")))


def is_null_schema(schema: JsonValue) -> bool:
    mapping = as_mapping(schema)
    if mapping is None or "$ref" in mapping:
        return False
    return (
        mapping.get("type") in ("null", ["null"])
        or mapping.get("enum") == [None]
        or ("const" in mapping and mapping["const"] is None)
    )


def declares_null(schema: JsonValue) -> bool:
    """Whether the schema itself allows null (``nullable: true`` or ``type: [..., null]``)."""
    mapping = as_mapping(schema) or {}
    kinds = mapping.get("type")
    return (
        mapping.get("nullable") is True
        or kinds == "null"
        or (isinstance(kinds, list) and "null" in kinds)
    )


def type_kinds(
    doc: OpenApiDocument, schema: dict[str, JsonValue], pointer: str
) -> tuple[list[TypeKind] | None, bool]:
    """The kinds ``type`` names (None when absent) and whether it allows null."""
    if "type" not in schema:
        return None, False
    raw = schema["type"]
    kinds: list[TypeKind] = []
    allows_null = False
    for name in raw if isinstance(raw, list) else [raw]:
        if name == "null":
            allows_null = True
            continue
        kind = _TYPE_NAMES.get(name) if isinstance(name, str) else None
        if kind is None:
            doc.error(
                pointer_child(pointer, "type"),
                f"unknown type {show(name)}; OpenAPI types are string, integer, number, "
                f"boolean, array, object and null. The value is {ANY_VALUE}",
            )
            kind = TypeKind.ANY
        if kind not in kinds:
            kinds.append(kind)
    return kinds, allows_null


def inferred_kinds(schema: dict[str, JsonValue], own: Facts) -> list[TypeKind]:
    """The type of a schema that names none, from what it constrains."""
    if own.allowed:
        return _kinds_of_values(own.allowed)
    if "properties" in schema or "additionalProperties" in schema:
        return [TypeKind.OBJECT]
    if "items" in schema or own.min_items is not None or own.max_items is not None:
        return [TypeKind.ARRAY]
    bounds = (own.minimum, own.maximum, own.exclusive_minimum, own.exclusive_maximum)
    if any(bound is not None for bound in bounds):
        return [TypeKind.NUMBER]
    if own.min_length is not None or own.max_length is not None or own.pattern is not None:
        return [TypeKind.STRING]
    return [TypeKind.ANY]


def _kinds_of_values(values: tuple[JsonValue, ...]) -> list[TypeKind]:
    kinds: list[TypeKind] = []
    for value in values:
        if isinstance(value, bool):
            kind = TypeKind.BOOLEAN
        elif isinstance(value, int):
            kind = TypeKind.INTEGER
        elif isinstance(value, float):
            kind = TypeKind.NUMBER
        else:
            kind = TypeKind.STRING
        if kind not in kinds:
            kinds.append(kind)
    if TypeKind.NUMBER in kinds and TypeKind.INTEGER in kinds:
        kinds.remove(TypeKind.INTEGER)
    return kinds
