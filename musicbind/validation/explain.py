"""Tooling: pydantic's validation errors -> located findings that cite the spec.

Each error of ``Input.model_validate`` becomes a :class:`Finding`: its ``loc`` is
walked through the payload (wire or python names, union tags skipped) to the
value's JSON path and position; the rule broken is stated with the registry's
numbers (``duration <= 600``) and cited from the field's provenance
(``specs/scenario/sonilo-parameters.md:27``); unknown fields get a "did you mean".
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from musicbind.generator.describe import describe_type, show_value
from musicbind.generator.emit.json_schema import rule_statement
from musicbind.generator.load.located import JsonPath, Position, json_path
from musicbind.generator.load.records import TypeKind
from musicbind.generator.registry.model import CrossFieldRule, Field, Model
from musicbind.validation.findings import Finding

_EXPECTED = {
    "string_type": "a string",
    "int_type": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "bool_type": "true or false",
    "list_type": "an array",
    "tuple_type": "an array",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
    "none_required": "null",
}
# error type -> (context key, provenance fact, operator, words for a value that breaks it)
_BOUNDS = {
    "less_than_equal": ("le", "maximum", "<=", "above the maximum"),
    "greater_than_equal": ("ge", "minimum", ">=", "below the minimum"),
    "less_than": ("lt", "exclusive_maximum", "<", "not below"),
    "greater_than": ("gt", "exclusive_minimum", ">", "not above"),
}
_LENGTHS = {
    "string_too_long": ("max_length", "max_length", "at most", "characters"),
    "string_too_short": ("min_length", "min_length", "at least", "characters"),
    "too_long": ("max_length", "max_items", "at most", "items"),
    "too_short": ("min_length", "min_items", "at least", "items"),
}
_NUMERIC_EXPECTED = frozenset({"int_type", "float_type", "int_from_float"})


@dataclass(frozen=True, slots=True)
class ModelFacts:
    """What explaining errors of one model needs: names, registry record, rules."""

    ref: str
    record: Model | None  # the registry model (provenance); None without a snapshot
    wire_names: tuple[str, ...]  # top-level input wire names, in document order
    alternatives: Mapping[str, str]  # wire name <-> python name, every level
    fields: Mapping[str, Field]  # top-level registry fields by wire and python name
    shapes: Mapping[str, Mapping[str, Field]]  # shape name -> fields by wire and python name

    def field_at(self, path: Sequence[str | int]) -> Field | None:
        """The registry field a payload path (relative to the input) names, if any."""
        keys = [k for k in path if isinstance(k, str)]
        if not keys:
            return None
        field = self.fields.get(keys[0])
        for key in keys[1:]:
            shape = _shape_of(field.type) if field else None
            field = self.shapes.get(shape, {}).get(key) if shape else None
        return field

    def names_at(self, path: Sequence[str | int]) -> list[str]:
        """The wire names accepted in the object at ``path`` (for "did you mean")."""
        keys = [k for k in path if isinstance(k, str)]
        if not keys:
            return list(self.wire_names)
        field = self.field_at(keys)
        shape = _shape_of(field.type) if field else None
        fields = self.shapes.get(shape or "", {})
        return sorted({f.wire_name for f in fields.values()})


def _shape_of(spec: Any) -> str | None:
    while spec is not None:
        if spec.kind is TypeKind.OBJECT:
            return str(spec.ref) if spec.ref else None
        if spec.kind is TypeKind.UNION:
            refs = [_shape_of(v) for v in spec.variants]
            return next((r for r in refs if r), None)
        spec = spec.items
    return None


def model_facts(ref: str, model_fields: Mapping[str, Any], record: Model | None) -> ModelFacts:
    """Facts of one model from its pydantic fields and (when known) its registry record."""
    wire_names = tuple((info.alias or name) for name, info in model_fields.items())
    alternatives: dict[str, str] = {}
    for name, info in model_fields.items():
        if info.alias and info.alias != name:
            alternatives[info.alias], alternatives[name] = name, info.alias
    fields: dict[str, Field] = {}
    shapes: dict[str, dict[str, Field]] = {}
    if record is not None:
        for f in record.inputs:
            fields[f.wire_name] = fields[f.python_name] = f
        for shape in record.shapes:
            table = shapes.setdefault(shape.name, {})
            for f in shape.fields:
                table[f.wire_name] = table[f.python_name] = f
                if f.wire_name != f.python_name:
                    alternatives.setdefault(f.wire_name, f.python_name)
                    alternatives.setdefault(f.python_name, f.wire_name)
    return ModelFacts(ref, record, wire_names, alternatives, fields, shapes)


@dataclass(frozen=True, slots=True)
class Where:
    """How to locate values of one payload's input: file, document, paths."""

    file: str
    base: JsonPath  # path of the input object in its document
    value_position: Callable[[JsonPath], Position]
    key_position: Callable[[JsonPath], Position]


def resolve(loc: Sequence[str | int], data: Any, alternatives: Mapping[str, str]) -> JsonPath:
    """The payload path a pydantic ``loc`` names: real keys, union tags dropped."""
    path: list[str | int] = []
    current = data
    last = len(loc) - 1
    for index, element in enumerate(loc):
        if isinstance(current, dict) and isinstance(element, str):
            key = element if element in current else alternatives.get(element, element)
            if key in current:
                path.append(key)
                current = current[key]
            elif index == last:
                path.append(element)
        elif isinstance(current, list) and isinstance(element, int) and element < len(current):
            path.append(element)
            current = current[element]
    return tuple(path)


def explain(error: Mapping[str, Any], data: Any, facts: ModelFacts, where: Where) -> Finding:
    """One pydantic error as a finding."""
    kind = str(error["type"])
    path = resolve(tuple(error.get("loc", ())), data, facts.alternatives)
    if kind == "value_error" and not path:
        return _cross_field(error, data, facts, where)
    field = facts.field_at(path)
    wire = field.wire_name if field else _last_key(path)
    absolute = (*where.base, *path)
    position: Position
    if kind == "extra_forbidden":
        position = where.key_position(absolute)
    elif kind == "missing":
        position = where.value_position(absolute[:-1])
    else:
        position = where.value_position(absolute)
    explained = _describe(kind, error, wire, field, facts, path)
    source = _cite(field, explained.fact) if explained.fact else None
    if kind == "extra_forbidden" and facts.record is not None:
        source = ", ".join(facts.record.sources)
    return Finding(
        where.file,
        position.line,
        position.column,
        json_path(absolute),
        explained.code,
        explained.message,
        explained.rule,
        source,
        explained.hint,
        facts.ref,
    )


def _last_key(path: JsonPath) -> str:
    keys = [k for k in path if isinstance(k, str)]
    return keys[-1] if keys else "value"


@dataclass(frozen=True, slots=True)
class _Explained:
    """What one error means: its code, message, rule, the provenance fact to cite, a hint."""

    code: str
    message: str
    rule: str | None = None
    fact: str | None = None
    hint: str | None = None


def _limit(field: Field | None, fact: str, context: Mapping[str, Any], key: str) -> Any:
    """The registry's number for a constraint (exact as documented), else pydantic's."""
    stated = getattr(field, fact) if field is not None else None
    return stated if stated is not None else context.get(key)


def _describe(
    kind: str,
    error: Mapping[str, Any],
    wire: str,
    field: Field | None,
    facts: ModelFacts,
    path: JsonPath,
) -> _Explained:
    value = error.get("input")
    context: Mapping[str, Any] = error.get("ctx") or {}
    if kind == "missing":
        message = f"required parameter {wire} is missing"
        return _Explained("missing", message, f"{wire} is required", "required")
    if kind == "extra_forbidden":
        return _unknown(path, facts)
    if kind in _EXPECTED:
        return _type_problem(kind, value, wire, field)
    if kind in _BOUNDS:
        key, fact, operator, words = _BOUNDS[kind]
        shown = show_value(_limit(field, fact, context, key))
        message = f"{_show(value)} is {words} {shown}"
        return _Explained("range", message, f"{wire} {operator} {shown}", fact)
    if kind in _LENGTHS:
        key, fact, words, unit = _LENGTHS[kind]
        limit = _limit(field, fact, context, key)
        count = len(value) if isinstance(value, str | list | dict) else context.get("actual_length")
        rule = f"{wire} has {words} {limit} {unit}"
        return _Explained("length", f"{count} {unit}: {wire} has {words} {limit}", rule, fact)
    if kind in ("literal_error", "enum"):
        stated = field.allowed if field is not None else None
        allowed = (
            ", ".join(show_value(v) for v in stated)
            if stated is not None
            else str(context.get("expected", ""))
        )
        rule = f"{wire} is one of {allowed}"
        if stated and not any(_same_json_type(value, v) for v in stated):
            message = f"expected one of {allowed}, got {_got(value)}"
            if isinstance(value, str) and _numeric_text(value):
                message += " (numbers are written without quotes)"
            return _Explained("type", message, rule, "allowed")
        return _Explained("allowed", f"{_show(value)} is not an allowed value", rule, "allowed")
    if kind == "string_pattern_mismatch":
        pattern = _limit(field, "pattern", context, "pattern")
        message = f"{_show(value)} does not match the pattern"
        return _Explained("pattern", message, f"{wire} matches {pattern}", "pattern")
    return _Explained("invalid", str(error.get("msg", kind)))


def _unknown(path: JsonPath, facts: ModelFacts) -> _Explained:
    key = _last_key(path)
    close = difflib.get_close_matches(key, facts.names_at(path[:-1]), n=3, cutoff=0.6)
    hint = f"did you mean {' or '.join(json.dumps(c) for c in close)}?" if close else None
    rule = f"{facts.ref} takes only the parameters its documents list"
    return _Explained("unknown-field", f"unknown parameter {json.dumps(key)}", rule, None, hint)


def _type_problem(kind: str, value: Any, wire: str, field: Field | None) -> _Explained:
    expected = _EXPECTED[kind]
    message = f"expected {expected}, got {_got(value)}"
    if kind == "int_from_float":
        message = f"expected an integer, got {_show(value)} (it has a fractional part)"
    elif kind in _NUMERIC_EXPECTED and isinstance(value, str) and _numeric_text(value):
        message += " (numbers are written without quotes)"
    elif kind in _NUMERIC_EXPECTED and isinstance(value, bool):
        message += " (a boolean is not a number)"
    kind_text = describe_type(field.type) if field else expected
    return _Explained("type", message, f"{wire} is {_article(kind_text)}", "type")


def _article(text: str) -> str:
    if text.startswith(("a ", "an ", "true", "null")):
        return text
    return f"an {text}" if text[:1] in "aeiou" else f"a {text}"


def _same_json_type(value: Any, allowed: Any) -> bool:
    """Whether two values are of one JSON type (int and float are both numbers)."""
    if isinstance(value, bool) or isinstance(allowed, bool):
        return isinstance(value, bool) and isinstance(allowed, bool)
    numbers = (int, float)
    if isinstance(value, numbers) and isinstance(allowed, numbers):
        return True
    return type(value) is type(allowed)


def _numeric_text(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _got(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        return f"the string {_show(value)}"
    if isinstance(value, int | float):
        return f"the number {_show(value)}"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _show(value: Any, limit: int = 60) -> str:
    text = show_value(value)
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


def _cite(field: Field | None, fact: str) -> str | None:
    if field is None or not field.provenance:
        return None
    for provenance in field.provenance:
        if provenance.fact == fact:
            return str(provenance.location)
    for provenance in field.provenance:
        if provenance.fact == "type":
            return str(provenance.location)
    return str(field.provenance[0].location)


def _cross_field(error: Mapping[str, Any], data: Any, facts: ModelFacts, where: Where) -> Finding:
    message = str(error.get("msg", "")).removeprefix("Value error, ")
    rule = _rule_for(message, facts.record.rules if facts.record else ())
    target: JsonPath = ()
    statement = source = None
    if rule is not None and facts.record is not None:
        statement = rule_statement(rule, facts.record.inputs)
        source = str(rule.location)
        for name in (rule.length, rule.start, rule.media or None, *rule.fields):
            key = _present_key(name, data, facts)
            if key is not None:
                target = (key,)
                break
    position = where.value_position((*where.base, *target))
    return Finding(
        where.file,
        position.line,
        position.column,
        json_path((*where.base, *target)),
        "cross-field",
        message,
        statement,
        source,
        None,
        facts.ref,
    )


def _rule_for(message: str, rules: Sequence[CrossFieldRule]) -> CrossFieldRule | None:
    for rule in rules:
        if rule.name and f"(rule {rule.name})" in message:
            return rule
    for rule in rules:
        if rule.media and rule.media in message:
            return rule
    return rules[0] if rules else None


def _present_key(python_name: str | None, data: Any, facts: ModelFacts) -> str | None:
    if python_name is None or not isinstance(data, dict):
        return None
    for key in (python_name, facts.alternatives.get(python_name)):
        if key is not None and key in data:
            return key
    return None
