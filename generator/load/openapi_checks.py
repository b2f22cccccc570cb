"""Load stage: checks of one parameter's facts; constraints that cannot hold are dropped.

Run once per parameter, at its pointer. Bounds that leave no value are an error and are dropped
(the parameter itself is kept, so one bad keyword never costs the whole model); constraints that
do not fit the type, and defaults that break them, are warnings.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from musicbind.generator.load.openapi_document import OpenApiDocument, show
from musicbind.generator.load.openapi_facts import (
    CONSTRAINTS,
    NUMERIC_KINDS,
    SCALAR_KINDS,
    Facts,
    Number,
    contains_value,
    leaf_kinds,
)
from musicbind.generator.load.records import JsonValue, TypeKind

_NOT_CHECKED = (TypeKind.UNION, TypeKind.ARRAY, TypeKind.ANY)  # kinds whose defaults aren't checked


def check_param(facts: Facts, pointer: str, doc: OpenApiDocument) -> Facts:
    """Report and drop constraints that do not fit the type or that leave no value at all."""
    kinds = leaf_kinds(facts.type)
    facts = _drop_misfit_enum_values(facts, kinds, pointer, doc)
    facts = _drop_inapplicable(facts, kinds, pointer, doc)
    facts = _drop_numeric_conflict(facts, kinds, pointer, doc)
    facts = _drop_count_conflict(facts, "min_length", "max_length", "text", pointer, doc)
    facts = _drop_count_conflict(facts, "min_items", "max_items", "list", pointer, doc)
    _check_default(facts, pointer, doc)
    return facts


def value_fits(value: JsonValue, kinds: frozenset[TypeKind]) -> bool:
    """Whether a JSON value can be a value of one of these kinds."""
    if TypeKind.ANY in kinds:
        return True
    if isinstance(value, bool):
        return TypeKind.BOOLEAN in kinds
    if isinstance(value, int):
        return bool(kinds & {TypeKind.INTEGER, TypeKind.NUMBER})
    if isinstance(value, float):
        return TypeKind.NUMBER in kinds or (TypeKind.INTEGER in kinds and value.is_integer())
    if isinstance(value, str):
        return bool(kinds & {TypeKind.STRING, TypeKind.FILE})
    if isinstance(value, list):
        return TypeKind.ARRAY in kinds
    if isinstance(value, dict):
        return TypeKind.OBJECT in kinds
    return False


def _kind_words(kinds: frozenset[TypeKind]) -> str:
    return " or ".join(sorted(kind.value for kind in kinds))


def _drop_misfit_enum_values(
    facts: Facts, kinds: frozenset[TypeKind], pointer: str, doc: OpenApiDocument
) -> Facts:
    if facts.allowed is None or not kinds & SCALAR_KINDS:
        return facts
    scalar_kinds = kinds & SCALAR_KINDS
    fitting = tuple(v for v in facts.allowed if value_fits(v, scalar_kinds))
    for value in facts.allowed:
        if not value_fits(value, scalar_kinds):
            doc.error(
                pointer,
                f"enum value {show(value)} does not match the type ({_kind_words(scalar_kinds)}); "
                "it is dropped from the allowed values",
            )
    return replace(facts, allowed=fitting or None)


def _drop_inapplicable(
    facts: Facts, kinds: frozenset[TypeKind], pointer: str, doc: OpenApiDocument
) -> Facts:
    dropped: dict[str, Any] = {}
    for name, (keyword, applies_to) in CONSTRAINTS.items():
        if getattr(facts, name) is not None and not kinds & applies_to:
            doc.warning(
                pointer,
                f"{keyword} does not apply to a value of type {_kind_words(kinds)}; it is ignored",
            )
            dropped[name] = None
    return replace(facts, **dropped) if dropped else facts


def _drop_numeric_conflict(
    facts: Facts, kinds: frozenset[TypeKind], pointer: str, doc: OpenApiDocument
) -> Facts:
    low, high = _lower_bound(facts), _upper_bound(facts)
    if low is None or high is None:
        return facts
    (low_value, low_open, low_word), (high_value, high_open, high_word) = low, high
    if kinds & NUMERIC_KINDS == {TypeKind.INTEGER}:
        empty = _first_integer(low_value, low_open) > _last_integer(high_value, high_open)
        what = "whole number"
    else:
        empty = low_value > high_value or (low_value == high_value and (low_open or high_open))
        what = "number"
    if not empty:
        return facts
    if low_value > high_value:
        clash = f"{low_word} {low_value} is greater than {high_word} {high_value}"
    else:
        clash = f"{low_word} {low_value} and {high_word} {high_value} leave no {what} between them"
    doc.error(
        pointer,
        f"{clash}, so no {what} fits; fix one of them "
        "(all numeric bounds of this field are ignored until then)",
    )
    return replace(
        facts, minimum=None, maximum=None, exclusive_minimum=None, exclusive_maximum=None
    )


def _lower_bound(facts: Facts) -> tuple[Number, bool, str] | None:
    inclusive, exclusive = facts.minimum, facts.exclusive_minimum
    if exclusive is not None and (inclusive is None or exclusive >= inclusive):
        return exclusive, True, "exclusiveMinimum"
    return None if inclusive is None else (inclusive, False, "minimum")


def _upper_bound(facts: Facts) -> tuple[Number, bool, str] | None:
    inclusive, exclusive = facts.maximum, facts.exclusive_maximum
    if exclusive is not None and (inclusive is None or exclusive <= inclusive):
        return exclusive, True, "exclusiveMaximum"
    return None if inclusive is None else (inclusive, False, "maximum")


def _first_integer(value: Number, open_: bool) -> int:
    return math.floor(value) + 1 if open_ else math.ceil(value)


def _last_integer(value: Number, open_: bool) -> int:
    return math.ceil(value) - 1 if open_ else math.floor(value)


def _drop_count_conflict(
    facts: Facts, low_name: str, high_name: str, what: str, pointer: str, doc: OpenApiDocument
) -> Facts:
    low, high = getattr(facts, low_name), getattr(facts, high_name)
    if low is None or high is None or low <= high:
        return facts
    low_word, high_word = CONSTRAINTS[low_name][0], CONSTRAINTS[high_name][0]
    doc.error(
        pointer,
        f"{low_word} {low} is greater than {high_word} {high}, so no {what} fits; "
        "fix one of them (both are ignored until then)",
    )
    cleared: dict[str, Any] = {low_name: None, high_name: None}
    return replace(facts, **cleared)


def _check_default(facts: Facts, pointer: str, doc: OpenApiDocument) -> None:
    default = facts.default
    if (
        not facts.has_default
        or default is None
        or facts.type.kind in (TypeKind.UNION, TypeKind.ARRAY, TypeKind.ANY)
    ):
        return
    kinds = frozenset({facts.type.kind})
    if not value_fits(default, kinds):
        doc.warning(
            pointer, f"default {show(default)} does not match the type ({_kind_words(kinds)})"
        )
    elif facts.allowed is not None and not contains_value(facts.allowed, default):
        doc.warning(
            pointer,
            f"default {show(default)} is not one of the enum values {show(list(facts.allowed))}",
        )
    elif isinstance(default, int | float) and not isinstance(default, bool):
        _check_default_range(facts, default, pointer, doc)


def _check_default_range(facts: Facts, default: Number, pointer: str, doc: OpenApiDocument) -> None:
    checks = (
        (facts.minimum, "minimum", default < (facts.minimum or 0)),
        (facts.maximum, "maximum", default > (facts.maximum or 0)),
        (facts.exclusive_minimum, "exclusiveMinimum", default <= (facts.exclusive_minimum or 0)),
        (facts.exclusive_maximum, "exclusiveMaximum", default >= (facts.exclusive_maximum or 0)),
    )
    for bound, word, broken in checks:
        if bound is not None and broken:
            doc.warning(pointer, f"default {show(default)} is outside the range ({word} {bound})")
            return
