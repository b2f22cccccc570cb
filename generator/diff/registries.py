"""Diff: what changed between two registries, each change classified.

``diff_registries(old, new)`` compares models by ref and fields by wire name (a
field whose python name stayed but whose wire name changed is a rename) and
classifies every change from the point of view of code calling the model:

- breaking: a model or field removed, a new required field, a range narrowed, an
  allowed value removed, a type or wire name changed, a new cross-field rule;
- compatible: a new model, a new optional field, a range widened, a new allowed value;
- notable: a default, a price, a description or a provider's protocol changed.

Outputs are read by the caller, so there removing a field or making it optional
breaks and adding one does not. Registry JSON does not depend on the document
kind, so one diff covers OpenAPI documents, Scenario tables, fal and gateway pages.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from musicbind.generator.describe import describe_price
from musicbind.generator.diff.fields import (
    INPUT,
    OUTPUT,
    Change,
    Severity,
    diff_fields,
    plain,
)
from musicbind.generator.load.records import Location, TypeKind
from musicbind.generator.registry.model import Model, Pricing, Provider, Registry

_ORDER = {Severity.BREAKING: 0, Severity.COMPATIBLE: 1, Severity.NOTABLE: 2}


def diff_registries(old: Registry, new: Registry) -> list[Change]:
    """Every change from ``old`` to ``new``: breaking first, then by ref and subject."""
    changes: list[Change] = []
    old_models = {m.ref: m for m in old.models}
    new_models = {m.ref: m for m in new.models}
    for ref in sorted(old_models.keys() - new_models.keys()):
        model = old_models[ref]
        changes.append(
            Change(
                Severity.BREAKING,
                "model-removed",
                ref,
                "",
                f"model {ref} removed",
                location=_first(model.sources),
            )
        )
    for ref in sorted(new_models.keys() - old_models.keys()):
        model = new_models[ref]
        changes.append(
            Change(
                Severity.COMPATIBLE,
                "model-added",
                ref,
                "",
                f"new model {ref}",
                location=_first(model.sources),
            )
        )
    for ref in sorted(old_models.keys() & new_models.keys()):
        changes += diff_models(old_models[ref], new_models[ref])
    changes += _diff_providers(old.providers, new.providers)
    return sorted(changes, key=lambda c: (_ORDER[c.severity], c.ref, c.subject, c.kind))


def diff_models(old: Model, new: Model) -> list[Change]:
    """The changes of one model that both registries have."""
    ref = new.ref
    changes = diff_fields(ref, old.inputs, new.inputs, "", INPUT)
    if old.outputs is not None or new.outputs is not None:
        changes += diff_fields(ref, old.outputs or (), new.outputs or (), "output ", OUTPUT)
    changes += _diff_shapes(old, new)
    changes += _diff_rules(old, new)
    changes += _diff_details(old, new)
    price = _diff_pricing(ref, old.pricing, new.pricing)
    if price is not None:
        changes.append(price)
    return changes


def _diff_shapes(old: Model, new: Model) -> list[Change]:
    sent = sent_shapes(old) | sent_shapes(new)
    old_shapes = {s.name: s for s in old.shapes}
    new_shapes = {s.name: s for s in new.shapes}
    changes: list[Change] = []
    for name in sorted(old_shapes.keys() & new_shapes.keys()):
        before, after = old_shapes[name], new_shapes[name]
        direction = INPUT if name in sent else OUTPUT
        changes += diff_fields(new.ref, before.fields, after.fields, f"{name}.", direction)
    # A shape appearing or disappearing shows as the type change of the field using it.
    return changes


def sent_shapes(model: Model) -> set[str]:
    """Names of the shapes reachable from a model's inputs (their fields are sent)."""
    by_name = {shape.name: shape for shape in model.shapes}
    seen: set[str] = set()
    pending = [f.type for f in model.inputs]
    while pending:
        spec = pending.pop()
        if spec.kind is TypeKind.OBJECT and spec.ref in by_name and spec.ref not in seen:
            seen.add(spec.ref)
            pending += [f.type for f in by_name[spec.ref].fields]
        if spec.items is not None:
            pending.append(spec.items)
        pending += spec.variants
    return seen


def _diff_rules(old: Model, new: Model) -> list[Change]:
    before = {_rule_key(r): r for r in old.rules}
    after = {_rule_key(r): r for r in new.rules}
    changes: list[Change] = []
    for key in sorted(after.keys() - before.keys()):
        changes.append(
            Change(
                Severity.BREAKING,
                "rule-added",
                new.ref,
                "",
                f"new cross-field rule {_show_rule(key)}",
                None,
                _show_rule(key),
                str(after[key].location),
            )
        )
    for key in sorted(before.keys() - after.keys()):
        changes.append(
            Change(
                Severity.COMPATIBLE,
                "rule-removed",
                new.ref,
                "",
                f"cross-field rule {_show_rule(key)} removed",
                _show_rule(key),
                None,
                str(before[key].location),
            )
        )
    for key in sorted(before.keys() & after.keys()):
        was, now = _rule_terms(before[key]), _rule_terms(after[key])
        if was != now:  # the same rule with other bounds or fields: treated as breaking
            changes.append(
                Change(
                    Severity.BREAKING,
                    "rule-changed",
                    new.ref,
                    "",
                    f"rule {_show_rule(key)} changed: {was} -> {now}",
                    was,
                    now,
                    str(after[key].location),
                )
            )
    return changes


def _rule_key(rule: Any) -> tuple[str, ...]:
    """A rule's identity: its name (``<kind>:<fields>``), else its kind and media fields."""
    if rule.name:
        return (rule.name,)
    return (rule.kind, rule.media, rule.start or "", rule.length or "")


def _rule_terms(rule: Any) -> str:
    terms = {"minimum": rule.minimum, "maximum": rule.maximum, "value": rule.value}
    shown = [f"{name}={value}" for name, value in terms.items() if value is not None]
    return ", ".join(shown) or "as stated"


def _show_rule(key: tuple[str, ...]) -> str:
    if len(key) == 1:
        return key[0]
    kind, media, start, length = key
    parts = [f"media={media}"] + [
        f"{n}={v}" for n, v in (("start", start), ("length", length)) if v
    ]
    return f"{kind}({', '.join(parts)})"


def _diff_details(old: Model, new: Model) -> list[Change]:
    changes: list[Change] = []
    facts: tuple[tuple[str, Callable[[Model], Any]], ...] = (
        ("title", lambda m: m.title),
        ("description", lambda m: m.description),
        ("category", lambda m: m.category),
        ("capabilities", lambda m: list(m.capabilities)),
    )
    for name, read in facts:
        before, after = read(old), read(new)
        if before != after:
            kind = "description-changed" if name == "description" else f"{name}-changed"
            changes.append(
                Change(
                    Severity.NOTABLE,
                    kind,
                    new.ref,
                    "",
                    f"model {name} changed",
                    before,
                    after,
                    _first(new.sources),
                )
            )
    return changes


def _diff_pricing(ref: str, old: Pricing | None, new: Pricing | None) -> Change | None:
    before = None if old is None else replace(old, location=Location(""))
    after = None if new is None else replace(new, location=Location(""))
    if before == after:
        return None
    where = new.location if new is not None else old.location if old is not None else None
    return Change(
        Severity.NOTABLE,
        "price-changed",
        ref,
        "",
        f"price {describe_price(old)} -> {describe_price(new)}",
        describe_price(old),
        describe_price(new),
        None if where is None else str(where),
    )


def _diff_providers(old: Sequence[Provider], new: Sequence[Provider]) -> list[Change]:
    before = {p.name: p for p in old}
    after = {p.name: p for p in new}
    changes: list[Change] = []
    for name in sorted(before.keys() & after.keys()):
        a, b = before[name], after[name]
        for fact in ("base_url", "auth", "statuses"):
            if getattr(a, fact) != getattr(b, fact):
                changes.append(
                    Change(
                        Severity.NOTABLE,
                        "protocol-changed",
                        f"{name}:",
                        "",
                        f"provider {name}: {fact.replace('_', ' ')} changed",
                        plain(getattr(a, fact)),
                        plain(getattr(b, fact)),
                    )
                )
    return changes


def _first(sources: Sequence[str]) -> str | None:
    return sources[0] if sources else None


__all__ = [
    "Change",
    "Severity",
    "diff_models",
    "diff_registries",
    "sent_shapes",
]
