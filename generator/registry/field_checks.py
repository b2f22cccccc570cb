"""Registry stage: consistency checks on one merged field (defaults vs ranges, allowed values)
and on the fields the overlay names."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from musicbind.generator.load.records import (
    JsonValue,
    Level,
    Location,
    SpecParam,
    SpecProblem,
    SpecType,
    TypeKind,
)
from musicbind.generator.registry.model import Field


def check_field(param: SpecParam, ref: str) -> list[SpecProblem]:
    """Problems that make the field impossible to generate faithfully (all errors)."""
    problems: list[str] = []
    low = _max(param.minimum, param.exclusive_minimum)
    high = _min(param.maximum, param.exclusive_maximum)
    if low is not None and high is not None and low > high:
        problems.append(f"minimum {low} is above maximum {high}")
    if (
        param.min_length is not None
        and param.max_length is not None
        and param.min_length > param.max_length
    ):
        problems.append(f"minLength {param.min_length} is above maxLength {param.max_length}")
    if param.allowed is not None:
        bad = [v for v in param.allowed if not fits_type(v, _allowed_type(param.type))]
        if bad:
            problems.append(f"allowed values {bad!r} are not of type {param.type.kind.value}")
    if param.has_default and param.default is not None:
        problems.extend(_check_default(param))
    return [
        SpecProblem(Level.ERROR, param.location, f"{ref}: field {param.wire_name!r}: {text}")
        for text in problems
    ]


def _check_default(param: SpecParam) -> list[str]:
    value = param.default
    if not fits_type(value, param.type):
        return [f"default {value!r} is not of type {param.type.kind.value}"]
    if param.allowed is not None and not _default_allowed(value, param):
        return [f"default {value!r} is not one of the allowed values {list(param.allowed)!r}"]
    if isinstance(value, int | float) and not isinstance(value, bool):
        checks: tuple[tuple[int | float | None, str, Callable[[int | float], bool]], ...] = (
            (param.minimum, ">=", lambda b: value >= b),
            (param.maximum, "<=", lambda b: value <= b),
            (param.exclusive_minimum, ">", lambda b: value > b),
            (param.exclusive_maximum, "<", lambda b: value < b),
        )
        for bound, sign, holds in checks:
            if bound is not None and not holds(bound):
                return [f"default {value!r} breaks the range (must be {sign} {bound})"]
    return []


def _allowed_type(spec: SpecType) -> SpecType:
    """The type allowed values are of: an array's allowed values are its items' values."""
    if spec.kind is TypeKind.ARRAY and spec.items is not None:
        return _allowed_type(spec.items)
    return spec


def _default_allowed(value: JsonValue, param: SpecParam) -> bool:
    """Whether a default keeps to the allowed values, which constrain scalar values only.

    An array's default keeps to them item by item; an object or list default of a union
    (``image_size``: a preset name or a width and height) is a value of a variant the
    allowed values do not constrain, as is a scalar default of such a variant.
    """
    allowed = param.allowed or ()
    if param.type.kind is TypeKind.ARRAY and isinstance(value, list):
        return all(item in allowed for item in value)
    if param.type.kind is TypeKind.UNION:
        # Allowed values hold for the variants of their kind (``"auto" | integer``).
        constrained = [v for v in param.type.variants if any(fits_type(a, v) for a in allowed)]
        free = [v for v in param.type.variants if v not in constrained]
        if any(fits_type(value, v) for v in free):
            return True
    if isinstance(value, dict | list):
        return False
    return value in allowed


def fits_type(value: JsonValue, spec: SpecType) -> bool:
    """Whether a JSON value is of the spec type (bool is never a number)."""
    if value is None:
        return spec.nullable or spec.kind is TypeKind.ANY
    kind = spec.kind
    if kind is TypeKind.UNION:
        return any(fits_type(value, variant) for variant in spec.variants)
    if kind is TypeKind.BOOLEAN:
        return isinstance(value, bool)
    if kind is TypeKind.INTEGER:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind is TypeKind.NUMBER:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind in (TypeKind.STRING, TypeKind.FILE):
        return isinstance(value, str)
    if kind is TypeKind.ARRAY:
        return isinstance(value, list) and (
            spec.items is None or all(fits_type(v, spec.items) for v in value)
        )
    if kind is TypeKind.OBJECT:
        return isinstance(value, dict)
    return True


def _max(a: int | float | None, b: int | float | None) -> int | float | None:
    return b if a is None else a if b is None else max(a, b)


def _min(a: int | float | None, b: int | float | None) -> int | float | None:
    return b if a is None else a if b is None else min(a, b)


_NUMERIC = frozenset({TypeKind.INTEGER, TypeKind.NUMBER})


def overlay_field(
    ref: str,
    wire: str,
    by_wire: Mapping[str, Field],
    location: Location,
    problems: list[SpecProblem],
    *,
    numeric: bool,
) -> Field | None:
    """The model's field an overlay entry names by wire name; None, with an error at the
    entry, when the model has no such field or (``numeric``) the field is not a number."""
    found = by_wire.get(wire)
    if found is None:
        known = ", ".join(sorted(by_wire)) or "none"
        message = f"{ref}: overlay names field {wire!r}, which the model does not have"
        problems.append(SpecProblem(Level.ERROR, location, f"{message} (fields: {known})"))
        return None
    if numeric and found.type.kind not in _NUMERIC:
        message = (
            f"{ref}: overlay field {wire!r} must be a number, "
            f"the documents say {found.type.kind.value}"
        )
        problems.append(SpecProblem(Level.ERROR, location, message))
        return None
    return found
