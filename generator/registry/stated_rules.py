"""Registry stage: a model's rules, from its documents' sentences merged with the overlay's.

Each input field's description is read by :mod:`generator.registry.prose_rules`; every
recognised sentence becomes a :class:`CrossFieldRule` citing the sentence and where it
stands. The overlay then adds rules, changes one (an entry with the same name:
``<kind>:<wire fields>``) or switches one off (``{name: ..., enabled: false}``). Length
caps and ranges also tighten the field's own constraints (never loosen them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from musicbind.generator.load.records import Level, Location, SpecProblem, TypeKind
from musicbind.generator.project_files.overlay import RuleFacts
from musicbind.generator.registry.field_checks import overlay_field
from musicbind.generator.registry.model import CrossFieldRule, Field, Provenance
from musicbind.generator.registry.prose_rules import (
    LENGTH,
    RANGE,
    SEGMENT,
    Candidate,
    ProseRule,
    read_description,
    rule_name,
)

_NUMERIC = frozenset({TypeKind.INTEGER, TypeKind.NUMBER})


def description_location(field: Field) -> Location | None:
    """Where ``field``'s description was stated (its first document), or None."""
    for provenance in field.provenance:
        if provenance.fact == "description":
            return provenance.location
    return None


def document_rules(fields: Sequence[Field]) -> tuple[list[ProseRule], list[Candidate]]:
    """The rules the fields' descriptions state, and the constraint-like sentences left alone."""
    names = [f.wire_name for f in fields]
    allowed = {f.wire_name: f.allowed for f in fields}
    rules: list[ProseRule] = []
    left: list[Candidate] = []
    for field in fields:
        location = description_location(field)
        if location is None or not field.description:
            continue
        found, candidates = read_description(
            field.description, field.wire_name, names, location, allowed
        )
        rules.extend(found)
        left.extend(candidates)
    return rules, left


def _fits(rule: ProseRule, by_wire: dict[str, Field]) -> bool:
    """Whether the fields a sentence names can carry its rule (else it stays documentation)."""
    fields = [by_wire[name] for name in rule.fields]
    if rule.kind == LENGTH:
        return fields[0].type.kind is TypeKind.STRING
    if rule.kind == RANGE:
        return fields[0].type.kind in _NUMERIC
    if rule.kind == SEGMENT:
        return all(f.type.kind in _NUMERIC for f in fields[1:])
    return True


def _from_sentence(rule: ProseRule, by_wire: dict[str, Field]) -> CrossFieldRule:
    python = tuple(by_wire[name].python_name for name in rule.fields)
    segment = rule.kind == SEGMENT
    return CrossFieldRule(
        kind=rule.kind,
        media=python[0] if segment else "",
        start=python[1] if segment else None,
        length=python[2] if segment else None,
        location=rule.location,
        name=rule.name,
        fields=() if segment else python,
        minimum=rule.minimum,
        maximum=rule.maximum,
        value=rule.value,
        sentence=rule.sentence,
    )


def combine_rules(
    ref: str,
    prose: Sequence[ProseRule],
    overlay: Sequence[RuleFacts],
    fields: Sequence[Field],
    problems: list[SpecProblem],
) -> tuple[CrossFieldRule, ...]:
    """The documents' rules, then the overlay's additions, changes and switches, by name."""
    by_wire = {f.wire_name: f for f in fields}
    rules: dict[str, CrossFieldRule] = {}
    for stated in prose:
        if stated.name not in rules and _fits(stated, by_wire):
            rules[stated.name] = _from_sentence(stated, by_wire)
    for facts in overlay:
        if not facts.enabled:
            name = facts.name or _overlay_name(facts)
            if rules.pop(name, None) is None:
                known = ", ".join(sorted(rules)) or "none"
                problems.append(
                    SpecProblem(
                        Level.WARNING,
                        facts.location,
                        f"{ref}: overlay switches off rule {name!r}, which no document states "
                        f"(rules: {known})",
                    )
                )
            continue
        rule = _overlay_rule(ref, facts, by_wire, problems)
        if rule is not None:
            rules[rule.name] = rule
    return tuple(rules[name] for name in sorted(rules))


def _overlay_name(facts: RuleFacts) -> str:
    if facts.kind == SEGMENT:
        wires = tuple(n for n in (facts.media, facts.start, facts.length) if n is not None)
    else:
        wires = facts.fields
    return rule_name(facts.kind or "", wires)


def _overlay_rule(
    ref: str, facts: RuleFacts, by_wire: dict[str, Field], problems: list[SpecProblem]
) -> CrossFieldRule | None:
    numeric = facts.kind in {SEGMENT, RANGE}
    names: dict[str, Field] = {}
    wanted = [(facts.media, False), (facts.start, True), (facts.length, True)]
    wanted += [(name, facts.kind == RANGE) for name in facts.fields]
    count = len(problems)
    for wire, must_be_number in wanted:
        if wire is None:
            continue
        number = must_be_number and numeric
        found = overlay_field(ref, wire, by_wire, facts.location, problems, numeric=number)
        if found is not None:
            names[wire] = found
    if len(problems) > count or facts.kind is None:
        return None

    def python(wire: str | None) -> str | None:
        return names[wire].python_name if wire is not None else None

    return CrossFieldRule(
        kind=facts.kind,
        media=python(facts.media) or "",
        start=python(facts.start),
        length=python(facts.length),
        location=facts.location,
        name=facts.name or _overlay_name(facts),
        fields=tuple(names[w].python_name for w in facts.fields),
        minimum=facts.minimum,
        maximum=facts.maximum,
        value=facts.value,
    )


def _error(location: Location, message: str) -> SpecProblem:
    return SpecProblem(Level.ERROR, location, message)


def apply_bounds(fields: Sequence[Field], rules: Sequence[CrossFieldRule]) -> tuple[Field, ...]:
    """The fields with the length caps and ranges of ``rules`` as their own constraints,
    where a field has none or a looser one."""
    result = []
    for field in fields:
        for rule in rules:
            if rule.kind in {LENGTH, RANGE} and rule.fields[:1] == (field.python_name,):
                field = _tighten(field, rule)
        result.append(field)
    return tuple(result)


def _tighten(field: Field, rule: CrossFieldRule) -> Field:
    low_name, high_name = (
        ("min_length", "max_length") if rule.kind == LENGTH else ("minimum", "maximum")
    )
    low, high = getattr(field, low_name), getattr(field, high_name)
    changes: dict[str, object] = {}
    if rule.minimum is not None and (low is None or rule.minimum > low):
        changes[low_name] = int(rule.minimum) if rule.kind == LENGTH else rule.minimum
    if rule.maximum is not None and (high is None or rule.maximum < high):
        changes[high_name] = int(rule.maximum) if rule.kind == LENGTH else rule.maximum
    if not changes:
        return field
    stated = tuple(Provenance(fact, rule.location) for fact in changes)
    kept = tuple(p for p in field.provenance if p.fact not in changes)
    return replace(field, provenance=kept + stated, **changes)  # type: ignore[arg-type]
