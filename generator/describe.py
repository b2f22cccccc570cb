"""Registry, in words: facts as plain text, shared by the reference docs, diff and validate.

Plain text only (no markup): ``describe_type`` -> ``array of string``, ``describe_range``
-> ``1 to 600``, ``describe_price`` -> ``0.009 USD per second of duration x num_samples``.
"""

from __future__ import annotations

import json
import math

from musicbind.generator.load.records import JsonValue, SpecType, TypeKind
from musicbind.generator.registry.model import Field, Pricing


def describe_type(spec: SpecType) -> str:
    """A short name of a type: ``number``, ``array of string``, ``Audio``, ``file (video)``."""
    if spec.kind is TypeKind.ARRAY:
        text = f"array of {describe_type(spec.items)}" if spec.items else "array"
    elif spec.kind is TypeKind.OBJECT:
        text = spec.ref or "object"
    elif spec.kind is TypeKind.UNION:
        text = " or ".join(describe_type(v) for v in spec.variants)
    elif spec.kind is TypeKind.FILE and spec.media:
        text = f"file ({spec.media})"
    else:
        text = spec.kind.value
    return f"{text} or null" if spec.nullable else text


def show_value(value: JsonValue) -> str:
    """A value as JSON text (``"mp3"``, ``600``, ``true``); numbers without a needless ``.0``."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):
        return str(value)


def _sizes(low: int | None, high: int | None, unit: str) -> str | None:
    if low is not None and high is not None:
        return f"{low} to {high} {unit}"
    if low is not None:
        return f"at least {low} {unit}"
    if high is not None:
        return f"at most {high} {unit}"
    return None


def _values(field: Field) -> str | None:
    """``1 to 600``, ``at least 0``, ``> 0 and <= 4``: the numeric bounds of a field."""
    low = (field.exclusive_minimum, ">") if field.exclusive_minimum is not None else None
    low = low or ((field.minimum, ">=") if field.minimum is not None else None)
    high = (field.exclusive_maximum, "<") if field.exclusive_maximum is not None else None
    high = high or ((field.maximum, "<=") if field.maximum is not None else None)
    if low and high and low[1] == ">=" and high[1] == "<=":
        return f"{show_value(low[0])} to {show_value(high[0])}"
    if low and high:
        return f"{low[1]} {show_value(low[0])} and {high[1]} {show_value(high[0])}"
    if low:
        return f"at least {show_value(low[0])}" if low[1] == ">=" else f"> {show_value(low[0])}"
    if high:
        return f"at most {show_value(high[0])}" if high[1] == "<=" else f"< {show_value(high[0])}"
    return None


def describe_range(field: Field) -> str:
    """Every range-like constraint of a field in words, or ``""`` when it has none."""
    parts = [
        _values(field),
        _sizes(field.min_length, field.max_length, "characters"),
        _sizes(field.min_items, field.max_items, "items"),
    ]
    if field.pattern is not None:
        parts.append(f"matches {field.pattern}")
    return ", ".join(p for p in parts if p)


def describe_price(pricing: Pricing | None) -> str:
    """``0.009 USD per second of duration x num_samples``, or ``none``."""
    if pricing is None:
        return "none"
    text = f"{pricing.amount} {pricing.currency} per {pricing.unit}"
    if pricing.seconds_from:
        text += f" of {pricing.seconds_from}"
    elif pricing.media:
        text += f" of {pricing.media}"
    for name in pricing.multiplied_by:
        text += f" x {name}"
    return text
