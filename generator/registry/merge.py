"""Registry stage: merge what several documents say about one parameter, with provenance.

The first document (in authority order: OpenAPI before model pages) to state a
fact wins; a later document stating a different value is a conflict, reported
as a warning naming both places. Facts a document kind cannot state (a gateway
page cannot say whether a field is required) are not counted against others.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from musicbind.generator.load.records import (
    DocumentKind,
    Level,
    SpecParam,
    SpecProblem,
    SpecType,
    TypeKind,
)
from musicbind.generator.registry.model import Provenance

# Kinds whose "required" and "default" silence means "no" rather than "not stated".
_STATES_REQUIRED = frozenset(
    {
        DocumentKind.OPENAPI,
        DocumentKind.FAL_MODELS_API,
        DocumentKind.FAL_PAGE,
        DocumentKind.SCENARIO_TABLE,
    }
)
# Facts compared between documents; the rest (examples, title) are taken from the first.
_FACTS = (
    "type",
    "required",
    "default",
    "allowed",
    "minimum",
    "maximum",
    "exclusive_minimum",
    "exclusive_maximum",
    "min_length",
    "max_length",
    "min_items",
    "max_items",
    "pattern",
    "description",
)
_AUTHORITY = {
    DocumentKind.OPENAPI: 0,
    DocumentKind.FAL_MODELS_API: 0,
    DocumentKind.SCENARIO_TABLE: 1,
    DocumentKind.FAL_PAGE: 2,
    DocumentKind.GATEWAY_PAGE: 3,
    DocumentKind.UNKNOWN: 4,
}


def authority(kind: DocumentKind) -> int:
    """Lower is more authoritative."""
    return _AUTHORITY[kind]


@dataclass(frozen=True, slots=True)
class Stated:
    """A parameter as one document states it."""

    param: SpecParam
    kind: DocumentKind


@dataclass(frozen=True, slots=True)
class Merged:
    """A parameter merged across documents."""

    param: SpecParam
    provenance: tuple[Provenance, ...]


def same_type(a: SpecType, b: SpecType) -> bool:
    """Types equal up to nullability and media hints (a page cannot state those)."""
    if a.kind != b.kind:
        return False
    if a.kind is TypeKind.ARRAY:
        return a.items is None or b.items is None or same_type(a.items, b.items)
    if a.kind is TypeKind.OBJECT:
        return a.ref is None or b.ref is None or a.ref == b.ref
    if a.kind is TypeKind.UNION:
        return len(a.variants) == len(b.variants) and all(
            same_type(x, y) for x, y in zip(a.variants, b.variants, strict=True)
        )
    return True


def _stated(stated: Stated, fact: str) -> bool:
    """Whether this document actually states ``fact`` (as opposed to leaving it empty)."""
    value = getattr(stated.param, fact)
    if fact == "required":
        return stated.kind in _STATES_REQUIRED or bool(value)
    if fact == "default":
        return stated.param.has_default
    if fact == "description":
        return bool(value.strip())
    return value is not None


def _equal(fact: str, a: Any, b: Any) -> bool:
    if fact == "type":
        return same_type(a, b)
    if fact == "description":
        return " ".join(str(a).split()) == " ".join(str(b).split())
    if fact == "allowed" and a is not None and b is not None:
        return set(map(repr, a)) == set(map(repr, b))
    if isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool):
        return float(a) == float(b)
    return bool(a == b)


def merge_param(statements: Sequence[Stated], context: str, problems: list[SpecProblem]) -> Merged:
    """Merge every statement about one parameter; statements are in authority order."""
    first = statements[0]
    chosen: dict[str, Any] = {}
    provenance: list[Provenance] = []
    for fact in _FACTS:
        winner: Stated | None = None
        for stated in statements:
            if not _stated(stated, fact):
                continue
            if winner is None:
                winner = stated
            elif fact != "description" and not _equal(
                fact, getattr(winner.param, fact), getattr(stated.param, fact)
            ):
                problems.append(_conflict(context, fact, winner, stated))
        if winner is None:
            continue
        chosen[fact] = getattr(winner.param, fact)
        if fact == "default":
            chosen["has_default"] = True
        provenance.append(Provenance(fact, winner.param.location))
    if "type" in chosen and first.param.type.nullable and not chosen["type"].nullable:
        chosen["type"] = replace(chosen["type"], nullable=True)
    examples = next((s.param.examples for s in statements if s.param.examples), ())
    title = next((s.param.title for s in statements if s.param.title), None)
    chosen.setdefault("required", False)
    if "default" not in chosen:
        chosen.update(has_default=False, default=None)
    merged = replace(first.param, examples=examples, title=title, **chosen)
    return Merged(merged, tuple(provenance))


def _conflict(context: str, fact: str, winner: Stated, other: Stated) -> SpecProblem:
    won = _show(fact, getattr(winner.param, fact))
    lost = _show(fact, getattr(other.param, fact))
    return SpecProblem(
        Level.WARNING,
        other.param.location,
        f"{context}: {fact} of {other.param.wire_name!r} is {lost} here but {won} in "
        f"{winner.param.location}; using {won}",
    )


def _show(fact: str, value: Any) -> str:
    if fact == "type" and isinstance(value, SpecType):
        return value.kind.value
    return repr(value)


def merge_params(
    groups: Sequence[Sequence[SpecParam]],
    kinds: Sequence[DocumentKind],
    context: str,
    problems: list[SpecProblem],
) -> list[Merged]:
    """Merge parameter lists from several documents; order follows the first to name each."""
    by_name: dict[str, list[Stated]] = {}
    for params, kind in zip(groups, kinds, strict=True):
        for param in params:
            by_name.setdefault(param.wire_name, []).append(Stated(param, kind))
    return [merge_param(statements, context, problems) for statements in by_name.values()]
