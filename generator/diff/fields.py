"""Diff: the changes between two versions of one list of fields, classified.

Used by :mod:`generator.diff.registries` for a model's inputs, outputs and shapes. A
field is matched by wire name; an unmatched pair with the same python name is a
rename. Of the fields left unmatched, a removed one and an added one with the same
type and constraints, each the other's only such match, are hinted as a possible
rename (both changes stay: the hint only helps a person read them). What breaks
depends on the direction: callers send inputs (a narrower range breaks them) and read
outputs (a field that may now be missing breaks them).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from musicbind.generator.describe import describe_type, show_value
from musicbind.generator.load.records import JsonValue
from musicbind.generator.registry.model import Field


class Severity(StrEnum):
    """How a change affects code written against the old registry."""

    BREAKING = "breaking"
    COMPATIBLE = "compatible"
    NOTABLE = "notable"


@dataclass(frozen=True, slots=True)
class Change:
    """One classified change.

    ``subject`` is what changed inside the model: ``""`` for the model itself, a
    wire name for an input field, ``output <name>`` or ``<Shape>.<name>`` otherwise.
    ``location`` is where the newer document states it (the older one for removals).
    ``hint`` helps a person read the change (``possibly renamed from duration``).
    """

    severity: Severity
    kind: str
    ref: str
    subject: str
    message: str
    old: JsonValue = None
    new: JsonValue = None
    location: str | None = None
    hint: str | None = None


# (attribute, is a lower bound) for every range-like constraint; attributes are provenance facts.
_BOUNDS: tuple[tuple[str, bool], ...] = (
    ("minimum", True),
    ("exclusive_minimum", True),
    ("min_length", True),
    ("min_items", True),
    ("maximum", False),
    ("exclusive_maximum", False),
    ("max_length", False),
    ("max_items", False),
)


@dataclass(frozen=True, slots=True)
class Direction:
    """Whether a field is sent (input) or read (output): it decides what breaks."""

    sent: bool


INPUT = Direction(sent=True)
OUTPUT = Direction(sent=False)


def diff_fields(
    ref: str,
    old: Sequence[Field],
    new: Sequence[Field],
    prefix: str,
    direction: Direction,
) -> list[Change]:
    """Every change from ``old`` to ``new`` fields; ``prefix`` starts each subject."""
    changes: list[Change] = []
    old_by_wire = {f.wire_name: f for f in old}
    new_by_wire = {f.wire_name: f for f in new}
    removed = [f for f in old if f.wire_name not in new_by_wire]
    added = [f for f in new if f.wire_name not in old_by_wire]
    renamed: list[tuple[Field, Field]] = []
    added_by_python = {f.python_name: f for f in added}
    for field in list(removed):
        match = added_by_python.get(field.python_name)
        if match is not None:
            renamed.append((field, match))
            removed.remove(field)
            added.remove(match)
    renamed_to = dict(likely_renames(removed, added))
    renamed_from = {new: old for old, new in renamed_to.items()}
    for field in removed:
        change = _removed(ref, prefix + field.wire_name, field)
        if field.wire_name in renamed_to:
            change = replace(change, hint=f"possibly renamed to {renamed_to[field.wire_name]}")
        changes.append(change)
    for field in added:
        change = _added(ref, prefix + field.wire_name, field, direction)
        if field.wire_name in renamed_from:
            change = replace(change, hint=f"possibly renamed from {renamed_from[field.wire_name]}")
        changes.append(change)
    for before, after in renamed:
        subject = prefix + after.wire_name
        changes.append(
            Change(
                Severity.BREAKING,
                "wire-name-changed",
                ref,
                subject,
                f"{prefix}{before.wire_name}: wire name changed to {after.wire_name}",
                before.wire_name,
                after.wire_name,
                _cite(after, "type"),
            )
        )
        changes += _diff_field(ref, subject, before, after, direction)
    for field in old:
        if field.wire_name in new_by_wire:
            after = new_by_wire[field.wire_name]
            changes += _diff_field(ref, prefix + field.wire_name, field, after, direction)
    return changes


def likely_renames(removed: Sequence[Field], added: Sequence[Field]) -> list[tuple[str, str]]:
    """(old wire name, new wire name) for each removed field whose only match among the
    added ones, by type and constraints, has it as its only match among the removed."""

    def matches(field: Field, others: Sequence[Field]) -> list[Field]:
        return [
            other
            for other in others
            if other.type == field.type and _constraints(other) == _constraints(field)
        ]

    pairs: list[tuple[str, str]] = []
    for field in removed:
        found = matches(field, added)
        if len(found) == 1 and len(matches(found[0], removed)) == 1:
            pairs.append((field.wire_name, found[0].wire_name))
    return pairs


def _removed(ref: str, subject: str, field: Field) -> Change:
    return Change(
        Severity.BREAKING,
        "field-removed",
        ref,
        subject,
        f"{subject}: field removed",
        location=_cite(field, "type"),
    )


def _added(ref: str, subject: str, field: Field, direction: Direction) -> Change:
    if direction.sent and field.required:
        return Change(
            Severity.BREAKING,
            "required-field-added",
            ref,
            subject,
            f"{subject}: new required field",
            location=_cite(field, "required"),
        )
    kind = "optional-field-added" if direction.sent else "field-added"
    what = "new optional field" if direction.sent else "new field"
    return Change(
        Severity.COMPATIBLE, kind, ref, subject, f"{subject}: {what}", location=_cite(field, "type")
    )


def _diff_field(
    ref: str, subject: str, old: Field, new: Field, direction: Direction
) -> list[Change]:
    changes: list[Change] = []
    changes += _diff_required(ref, subject, old, new, direction)
    changes += _diff_type(ref, subject, old, new)
    if direction.sent:
        changes += _diff_bounds(ref, subject, old, new)
        changes += _diff_allowed(ref, subject, old, new)
        changes += _diff_pattern(ref, subject, old, new)
    elif _constraints(old) != _constraints(new):
        changes.append(
            Change(
                Severity.NOTABLE,
                "constraints-changed",
                ref,
                subject,
                f"{subject}: documented ranges or allowed values changed",
                plain(_constraints(old)),
                plain(_constraints(new)),
                _cite(new, "type"),
            )
        )
    if (old.has_default, old.default) != (new.has_default, new.default):
        changes.append(
            Change(
                Severity.NOTABLE,
                "default-changed",
                ref,
                subject,
                f"{subject}: default {_show_default(old)} -> {_show_default(new)}",
                old.default,
                new.default,
                _cite(new, "default"),
            )
        )
    if old.description != new.description:
        changes.append(
            Change(
                Severity.NOTABLE,
                "description-changed",
                ref,
                subject,
                f"{subject}: description changed",
                old.description,
                new.description,
                _cite(new, "description"),
            )
        )
    return changes


def _diff_required(
    ref: str, subject: str, old: Field, new: Field, direction: Direction
) -> list[Change]:
    if old.required == new.required:
        return []
    now_required = new.required
    # Inputs: a field that must now be sent breaks callers. Outputs: a field that may now
    # be missing breaks readers.
    breaking = now_required if direction.sent else not now_required
    return [
        Change(
            Severity.BREAKING if breaking else Severity.COMPATIBLE,
            "field-now-required" if now_required else "field-now-optional",
            ref,
            subject,
            f"{subject}: now {'required' if now_required else 'optional'}",
            old.required,
            new.required,
            _cite(new, "required"),
        )
    ]


def _diff_type(ref: str, subject: str, old: Field, new: Field) -> list[Change]:
    before, after = old.type, new.type
    if replace(before, nullable=False) != replace(after, nullable=False):
        return [
            Change(
                Severity.BREAKING,
                "type-changed",
                ref,
                subject,
                f"{subject}: type {describe_type(before)} -> {describe_type(after)}",
                describe_type(before),
                describe_type(after),
                _cite(new, "type"),
            )
        ]
    if before.nullable == after.nullable:
        return []
    widened = after.nullable
    return [
        Change(
            Severity.COMPATIBLE if widened else Severity.BREAKING,
            "null-allowed" if widened else "type-changed",
            ref,
            subject,
            f"{subject}: null {'now accepted' if widened else 'no longer accepted'}",
            describe_type(before),
            describe_type(after),
            _cite(new, "type"),
        )
    ]


def _diff_bounds(ref: str, subject: str, old: Field, new: Field) -> list[Change]:
    changes: list[Change] = []
    for attribute, lower in _BOUNDS:
        before, after = getattr(old, attribute), getattr(new, attribute)
        if before == after:
            continue
        narrowed = _narrower(before, after, lower)
        changes.append(
            Change(
                Severity.BREAKING if narrowed else Severity.COMPATIBLE,
                "range-narrowed" if narrowed else "range-widened",
                ref,
                subject,
                f"{subject}: {attribute.replace('_', ' ')} {_show(before)} -> {_show(after)}",
                before,
                after,
                _cite(new if after is not None else old, attribute),
            )
        )
    return changes


def _narrower(before: float | None, after: float | None, lower: bool) -> bool:
    if after is None:
        return False
    if before is None:
        return True
    return after > before if lower else after < before


def _diff_allowed(ref: str, subject: str, old: Field, new: Field) -> list[Change]:
    before, after = old.allowed, new.allowed
    if before == after:
        return []
    if before is None or after is None:
        restricted = after is not None
        shown = list(after if after is not None else before or ())
        return [
            Change(
                Severity.BREAKING if restricted else Severity.COMPATIBLE,
                "allowed-values-restricted" if restricted else "allowed-values-lifted",
                ref,
                subject,
                f"{subject}: "
                + (f"only {_values(shown)} allowed now" if restricted else "any value allowed now"),
                None if before is None else list(before),
                None if after is None else list(after),
                _cite(new if restricted else old, "allowed"),
            )
        ]
    changes: list[Change] = []
    gone = [v for v in before if not _contains(after, v)]
    fresh = [v for v in after if not _contains(before, v)]
    if gone:
        changes.append(
            Change(
                Severity.BREAKING,
                "allowed-value-removed",
                ref,
                subject,
                f"{subject}: allowed value{'s' if len(gone) > 1 else ''} {_values(gone)} removed",
                list(before),
                list(after),
                _cite(new, "allowed"),
            )
        )
    if fresh:
        changes.append(
            Change(
                Severity.COMPATIBLE,
                "allowed-value-added",
                ref,
                subject,
                f"{subject}: new allowed value{'s' if len(fresh) > 1 else ''} {_values(fresh)}",
                list(before),
                list(after),
                _cite(new, "allowed"),
            )
        )
    return changes


def _contains(values: Iterable[Any], value: Any) -> bool:
    # 1 == True in Python; allowed values of different JSON types are different values.
    return any(type(v) is type(value) and v == value for v in values)


def _diff_pattern(ref: str, subject: str, old: Field, new: Field) -> list[Change]:
    if old.pattern == new.pattern:
        return []
    lifted = new.pattern is None
    return [
        Change(
            Severity.COMPATIBLE if lifted else Severity.BREAKING,
            "range-widened" if lifted else "range-narrowed",
            ref,
            subject,
            f"{subject}: pattern {_show(old.pattern)} -> {_show(new.pattern)}",
            old.pattern,
            new.pattern,
            _cite(new if not lifted else old, "pattern"),
        )
    ]


def _constraints(field: Field) -> dict[str, Any]:
    names = [name for name, _ in _BOUNDS] + ["allowed", "pattern"]
    return {name: getattr(field, name) for name in names if getattr(field, name) is not None}


def _cite(field: Field, fact: str) -> str | None:
    for provenance in field.provenance:
        if provenance.fact == fact:
            return str(provenance.location)
    return str(field.provenance[0].location) if field.provenance else None


def _show(value: Any) -> str:
    return "none" if value is None else show_value(value)


def _show_default(field: Field) -> str:
    return _show(field.default) if field.has_default else "none"


def _values(values: Iterable[Any]) -> str:
    return ", ".join(_show(v) for v in values)


def plain(value: Any) -> JsonValue:
    """Registry values (tuples, enums) as JSON values for a Change."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)
