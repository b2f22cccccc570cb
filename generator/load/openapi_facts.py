"""Load stage: the keywords of one OpenAPI schema (annotations and constraints), combined.

:class:`Facts` is what one schema says about a value. Readers combine the facts of wrappers
(``allOf: [{$ref}]``, ``anyOf: [X, null]``, a ``$ref`` with siblings) with those of what they
wrap; the wrapper's own words win. :func:`check_param` then reports, once per parameter and at
its pointer, constraints that cannot hold (:mod:`generator.load.openapi_checks`).

The records carry one set of constraints per parameter, so two conventions apply:

* an ``ARRAY`` parameter also carries its items' value constraints (``enum``, bounds, lengths,
  ``pattern``): ``list[Literal["a", "b"]]`` is ``ARRAY`` of ``STRING`` with ``allowed=("a", "b")``;
* a ``UNION`` parameter carries a constraint only when every variant it applies to states it
  (bounds and lengths become the loosest of them; ``allowed`` lists the values of all of them),
  and each constraint applies to the variants of its kind.
"""

from __future__ import annotations

import math
import re
import warnings
from dataclasses import dataclass, replace
from typing import Any

from pydantic_core import SchemaError, SchemaValidator, core_schema

from musicbind.generator.load.located import pointer_child
from musicbind.generator.load.openapi_document import OpenApiDocument, show
from musicbind.generator.load.records import JsonScalar, JsonValue, SpecType, TypeKind

Number = int | float

_K = TypeKind
NUMERIC_KINDS = frozenset({_K.INTEGER, _K.NUMBER, _K.ANY})
_TEXT = frozenset({_K.STRING, _K.FILE, _K.ANY})
SCALAR_KINDS = frozenset({_K.STRING, _K.INTEGER, _K.NUMBER, _K.BOOLEAN, _K.FILE, _K.ANY})

# Record field -> (the OpenAPI keyword a person edits, the kinds the constraint applies to).
CONSTRAINTS: dict[str, tuple[str, frozenset[TypeKind]]] = {
    "allowed": ("enum", SCALAR_KINDS),
    "minimum": ("minimum", NUMERIC_KINDS),
    "maximum": ("maximum", NUMERIC_KINDS),
    "exclusive_minimum": ("exclusiveMinimum", NUMERIC_KINDS),
    "exclusive_maximum": ("exclusiveMaximum", NUMERIC_KINDS),
    "min_length": ("minLength", _TEXT),
    "max_length": ("maxLength", _TEXT),
    "min_items": ("minItems", frozenset({_K.ARRAY, _K.ANY})),
    "max_items": ("maxItems", frozenset({_K.ARRAY, _K.ANY})),
    "pattern": ("pattern", _TEXT),
}
_ITEM_CONSTRAINTS = tuple(name for name in CONSTRAINTS if name not in ("min_items", "max_items"))
_ANY_TYPE = SpecType(TypeKind.ANY)
_ANNOTATIONS = ("description", "title", "examples")
_LOOSEST_LOW = ("minimum", "exclusive_minimum", "min_length", "min_items")
_LOOSEST_HIGH = ("maximum", "exclusive_maximum", "max_length", "max_items")


@dataclass(frozen=True, slots=True)
class Facts:
    """What one schema says about a value: its type, annotations and constraints."""

    type: SpecType = _ANY_TYPE
    nullable: bool = False
    description: str = ""
    title: str | None = None
    has_default: bool = False
    default: JsonValue = None
    examples: tuple[JsonValue, ...] = ()
    allowed: tuple[JsonScalar, ...] | None = None
    minimum: Number | None = None
    maximum: Number | None = None
    exclusive_minimum: Number | None = None
    exclusive_maximum: Number | None = None
    min_length: int | None = None
    max_length: int | None = None
    min_items: int | None = None
    max_items: int | None = None
    pattern: str | None = None

    def typed(self) -> SpecType:
        """The type with the nullability folded in."""
        if self.nullable and not self.type.nullable:
            return replace(self.type, nullable=True)
        return self.type

    def without_annotations(self) -> Facts:
        """Only the type: what a reference to a named shape contributes to a parameter."""
        return Facts(type=self.typed())


def read_keywords(schema: dict[str, JsonValue], pointer: str, doc: OpenApiDocument) -> Facts:
    """The annotations and constraints written in ``schema`` itself (not in what it wraps)."""
    allowed, enum_null = _read_allowed(schema, pointer, doc)
    minimum, exclusive_minimum = _read_bound(schema, "minimum", "exclusiveMinimum", pointer, doc)
    maximum, exclusive_maximum = _read_bound(schema, "maximum", "exclusiveMaximum", pointer, doc)
    return Facts(
        nullable=schema.get("nullable") is True or enum_null,
        description=_read_text(schema, "description", pointer, doc) or "",
        title=_read_text(schema, "title", pointer, doc),
        has_default="default" in schema,
        default=schema.get("default"),
        examples=_read_examples(schema, pointer, doc),
        allowed=allowed,
        minimum=minimum,
        maximum=maximum,
        exclusive_minimum=exclusive_minimum,
        exclusive_maximum=exclusive_maximum,
        min_length=_read_count(schema, "minLength", pointer, doc),
        max_length=_read_count(schema, "maxLength", pointer, doc),
        min_items=_read_count(schema, "minItems", pointer, doc),
        max_items=_read_count(schema, "maxItems", pointer, doc),
        pattern=_read_pattern(schema, pointer, doc),
    )


def overlay(base: Facts, top: Facts) -> Facts:
    """``base`` with every annotation and constraint that ``top`` states replaced by top's."""
    changes: dict[str, Any] = {
        name: getattr(top, name)
        for name in (*_ANNOTATIONS, *CONSTRAINTS)
        if _is_stated(getattr(top, name))
    }
    if top.has_default:
        changes.update(has_default=True, default=top.default)
    return replace(base, nullable=base.nullable or top.nullable, **changes)


def lift_item_constraints(array: Facts, items: Facts) -> Facts:
    """The array's facts plus its items' value constraints (see the module docstring)."""
    changes = {
        name: getattr(items, name)
        for name in _ITEM_CONSTRAINTS
        if getattr(array, name) is None and getattr(items, name) is not None
    }
    return replace(array, **changes) if changes else array


def union_constraints(variants: list[Facts]) -> Facts:
    """The constraints that hold for a union of ``variants`` (see the module docstring)."""
    changes: dict[str, Any] = {}
    for name, (_, kinds) in CONSTRAINTS.items():
        applicable = [v for v in variants if leaf_kinds(v.type) & kinds]
        values = [getattr(v, name) for v in applicable]
        if name == "allowed":
            allowed = _union_allowed(applicable)
            if allowed is not None:
                changes[name] = allowed
            continue
        if values and all(value is not None for value in values):
            changes[name] = _loosest(name, values)
    return replace(Facts(), **changes)


def _union_allowed(variants: list[Facts]) -> tuple[JsonScalar, ...] | None:
    """The allowed values of a union, or None when some variant takes values of their kinds.

    ``const "auto" | integer 40..240`` keeps ``("auto",)``: the value constrains the string
    variant only, and the integer variant takes no string. ``const "a" | any string`` keeps
    nothing: the second variant takes every string.
    """
    stated = [v for v in variants if v.allowed is not None]
    if not stated:
        return None
    values = _merge_allowed([v.allowed or () for v in stated])
    kinds = frozenset().union(*(_value_kinds(value) for value in values))
    for variant in variants:
        if variant.allowed is None and leaf_kinds(variant.type) & (kinds | {TypeKind.ANY}):
            return None
    return values


def _value_kinds(value: JsonScalar) -> frozenset[TypeKind]:
    """The kinds of variant that take ``value``."""
    if isinstance(value, bool):
        return frozenset({TypeKind.BOOLEAN})
    if isinstance(value, int | float):
        return frozenset({TypeKind.INTEGER, TypeKind.NUMBER})
    return frozenset({TypeKind.STRING, TypeKind.FILE})


def leaf_kinds(spec_type: SpecType) -> frozenset[TypeKind]:
    """The kinds a value of this type, or of its items or variants, can have."""
    if spec_type.kind is TypeKind.UNION:
        return frozenset().union(*(leaf_kinds(v) for v in spec_type.variants))
    if spec_type.kind is TypeKind.ARRAY:
        items = leaf_kinds(spec_type.items) if spec_type.items else frozenset({TypeKind.ANY})
        return items | {TypeKind.ARRAY}
    return frozenset({spec_type.kind})


def _is_stated(value: object) -> bool:
    return value is not None and not (isinstance(value, str | tuple) and len(value) == 0)


def _merge_allowed(groups: list[tuple[JsonScalar, ...]]) -> tuple[JsonScalar, ...]:
    merged: list[JsonScalar] = []
    for group in groups:
        merged.extend(v for v in group if not contains_value(merged, v))
    return tuple(merged)


def _loosest(name: str, values: list[object]) -> object:
    numbers = [v for v in values if isinstance(v, int | float)]
    if name in _LOOSEST_LOW and len(numbers) == len(values):
        return min(numbers)
    if name in _LOOSEST_HIGH and len(numbers) == len(values):
        return max(numbers)
    return values[0] if all(v == values[0] for v in values) else None


def contains_value(values: list[JsonScalar] | tuple[JsonScalar, ...], value: JsonValue) -> bool:
    return any(_same_value(v, value) for v in values)


def _same_value(a: JsonValue, b: JsonValue) -> bool:
    return isinstance(a, bool) == isinstance(b, bool) and a == b


def _read_text(
    schema: dict[str, JsonValue], key: str, pointer: str, doc: OpenApiDocument
) -> str | None:
    value = schema.get(key)
    if value is None or isinstance(value, str):
        return value
    doc.warning(
        pointer_child(pointer, key), f"{key} should be text, got {show(value)}; it is ignored"
    )
    return None


def _read_examples(
    schema: dict[str, JsonValue], pointer: str, doc: OpenApiDocument
) -> tuple[JsonValue, ...]:
    examples: list[JsonValue] = []
    raw = schema.get("examples")
    if isinstance(raw, list):
        examples.extend(raw)
    elif raw is not None:
        doc.warning(
            pointer_child(pointer, "examples"),
            f"examples should be a list of example values, got {show(raw)}; it is ignored",
        )
    if "example" in schema:
        examples.append(schema["example"])
    return tuple(examples)


def _read_allowed(
    schema: dict[str, JsonValue], pointer: str, doc: OpenApiDocument
) -> tuple[tuple[JsonScalar, ...] | None, bool]:
    if "const" in schema:
        key, raw = "const", [schema["const"]]
    elif "enum" in schema:
        key, raw_enum = "enum", schema["enum"]
        if not isinstance(raw_enum, list) or not raw_enum:
            doc.error(
                pointer_child(pointer, key),
                f"enum must be a non-empty list of allowed values, got {show(raw_enum)}; "
                "it is ignored",
            )
            return None, False
        raw = raw_enum
    else:
        return None, False
    allowed: list[JsonScalar] = []
    for index, value in enumerate(raw):
        if isinstance(value, dict | list):
            where = (
                pointer_child(pointer_child(pointer, key), index)
                if key == "enum"
                else pointer_child(pointer, key)
            )
            doc.error(
                where,
                f"{key} value {show(value)} is not a string, number or boolean; it is ignored",
            )
        elif value is not None and not contains_value(allowed, value):
            allowed.append(value)
    return (tuple(allowed) if allowed else None), None in raw


def _read_number(
    schema: dict[str, JsonValue], key: str, pointer: str, doc: OpenApiDocument
) -> Number | None:
    value = schema.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        doc.error(
            pointer_child(pointer, key), f"{key} must be a number, got {show(value)}; it is ignored"
        )
        return None
    return value


def _read_bound(
    schema: dict[str, JsonValue],
    inclusive_key: str,
    exclusive_key: str,
    pointer: str,
    doc: OpenApiDocument,
) -> tuple[Number | None, Number | None]:
    """(inclusive, exclusive); 3.0's ``exclusiveMinimum: true`` makes ``minimum`` exclusive."""
    inclusive = _read_number(schema, inclusive_key, pointer, doc)
    flag = schema.get(exclusive_key)
    if not isinstance(flag, bool):
        return inclusive, _read_number(schema, exclusive_key, pointer, doc)
    if not flag:
        return inclusive, None
    if inclusive is None:
        doc.warning(
            pointer_child(pointer, exclusive_key),
            f"{exclusive_key}: true makes {inclusive_key} exclusive, but there is no "
            f"{inclusive_key}; it is ignored",
        )
        return None, None
    return None, inclusive


def _read_count(
    schema: dict[str, JsonValue], key: str, pointer: str, doc: OpenApiDocument
) -> int | None:
    value = schema.get(key)
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer() and value >= 0:
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        doc.error(
            pointer_child(pointer, key),
            f"{key} must be a whole number of at least 0, got {show(value)}; it is ignored",
        )
        return None
    return value


def _read_pattern(schema: dict[str, JsonValue], pointer: str, doc: OpenApiDocument) -> str | None:
    value = schema.get("pattern")
    if value is None:
        return None
    where = pointer_child(pointer, "pattern")
    if not isinstance(value, str):
        doc.error(
            where, f"pattern must be a regular expression as text, got {show(value)}; it is ignored"
        )
        return None
    try:
        with warnings.catch_warnings():  # "possible nested set" and the like: still a pattern
            warnings.simplefilter("ignore")
            re.compile(value)
    except (re.error, OverflowError, RecursionError) as exc:
        doc.error(
            where, f"pattern {show(value)} is not a valid regular expression ({exc}); it is ignored"
        )
        return None
    if _too_large_for_pydantic(value):
        doc.error(
            where,
            f"pattern {show(value)} compiles past the size limit of pydantic's regular-expression "
            "engine, so the generated model could not be imported; it is ignored",
        )
        return None
    return value


def _too_large_for_pydantic(pattern: str) -> bool:
    """Whether pydantic's default (Rust) engine refuses ``pattern`` for its compiled size.

    Other refusals (lookarounds, Python-only syntax) are fine: the schema -> pydantic step
    then has the model use Python's engine. A size refusal is not: it fails on import.
    """
    try:
        SchemaValidator(core_schema.str_schema(pattern=pattern))
    except SchemaError as exc:
        return "size limit" in str(exc)
    return False
