"""Emit stage: a model's input as a standalone JSON Schema (2020-12) for ``musicbind schema``.

Properties are the wire names, with the constraints, allowed values, defaults and
descriptions of :mod:`generator.emit.schema`; shapes go under ``$defs``. The schema
accepts what the generated input model accepts: unknown properties are refused and
``null`` only where the documents allow null (leaving a property out is "not given").
Cross-field rules have no JSON Schema keyword: they are stated in the
custom keyword ``x-musicbind-rules`` (:data:`RULES_KEYWORD`) and in the description.
"""

from __future__ import annotations

from typing import Any

from musicbind.generator.describe import show_value
from musicbind.generator.emit.literals import clean_text
from musicbind.generator.emit.pydantic_models import accepts_null
from musicbind.generator.emit.schema import input_shapes, object_schema
from musicbind.generator.registry.model import CrossFieldRule, Field, Model

DIALECT = "https://json-schema.org/draft/2020-12/schema"
RULES_KEYWORD = "x-musicbind-rules"
_DEFS = "#/$defs/"


def input_json_schema(model: Model) -> dict[str, Any]:
    """The JSON Schema of ``model``'s input, cross-field rules included."""
    refs = {shape.name: shape.class_name for shape in model.shapes}
    schema: dict[str, Any] = {
        "$schema": DIALECT,
        "$comment": f"Input of {model.ref}, from {', '.join(model.sources)}",
        "title": model.input_class,
    }
    schema.update(_strict_object(model.inputs, refs, model.description))
    statements = [rule_statement(rule, model.inputs) for rule in model.rules]
    if statements:
        text = "\n".join(f"Cross-field rule: {s}." for s in statements)
        schema["description"] = (
            f"{schema['description']}\n\n{text}" if "description" in schema else text
        )
        schema[RULES_KEYWORD] = [_rule_record(rule, model.inputs) for rule in model.rules]
    if model.input_examples:
        schema["examples"] = list(model.input_examples)
    shapes = input_shapes(model)
    definitions = {
        shape.class_name: _strict_object(shape.fields, refs, shape.description)
        for shape in model.shapes
        if shape.class_name in shapes
    }
    if definitions:
        schema["$defs"] = dict(sorted(definitions.items()))
    return schema


def _strict_object(
    fields: tuple[Field, ...], refs: dict[str, str], description: str
) -> dict[str, Any]:
    schema = object_schema(fields, refs, _DEFS, description)
    schema["properties"] = {
        f.wire_name: _nullable(schema["properties"][f.wire_name])
        if _accepts_null(f)
        else schema["properties"][f.wire_name]
        for f in fields
    }
    schema["additionalProperties"] = False
    return schema


def _accepts_null(field: Field) -> bool:
    return accepts_null(field)


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` or null, keeping default and description on the outside."""
    kind = schema.get("type")
    if isinstance(kind, str) and "$ref" not in schema and "anyOf" not in schema:
        widened = dict(schema, type=[kind, "null"])
        if "enum" in widened:
            widened["enum"] = [*widened["enum"], None]
        return widened
    outer: dict[str, Any] = {k: schema[k] for k in ("default", "description") if k in schema}
    inner = {key: value for key, value in schema.items() if key not in outer}
    return {"anyOf": [inner, {"type": "null"}], **outer}


def wire_name(fields: tuple[Field, ...], python_name: str | None) -> str | None:
    """The wire name of the field called ``python_name`` (rules and pricing use python names)."""
    if python_name is None:
        return None
    for field in fields:
        if field.python_name == python_name:
            return field.wire_name
    return python_name


def rule_statement(rule: CrossFieldRule, fields: tuple[Field, ...]) -> str:
    """A rule in words, with wire names (``duration <= length of video_url``)."""
    names = [wire_name(fields, name) or name for name in rule.fields]
    if rule.kind in {"length", "range"} and names:
        unit = " characters" if rule.kind == "length" else ""
        low, high = rule.minimum, rule.maximum
        if low is not None and high is not None:
            return f"{names[0]} is {show_value(low)} to {show_value(high)}{unit}"
        if high is not None:
            return f"{names[0]} is at most {show_value(high)}{unit}"
        return f"{names[0]} is at least {show_value(low)}{unit}"
    if rule.kind == "requires" and len(names) == 2:
        return f"{names[0]} is only used together with {names[1]}"
    if rule.kind == "excludes" and len(names) == 2:
        return f"{names[0]} cannot be used together with {names[1]}"
    if rule.kind == "required_when" and len(names) == 2:
        return f"{names[0]} is required when {names[1]} is {show_value(rule.value)}"
    media = wire_name(fields, rule.media)
    start = wire_name(fields, rule.start)
    length = wire_name(fields, rule.length)
    if rule.kind != "segment_within_media":
        return f"{rule.kind} on {media}"
    parts = []
    if start is not None:
        parts.append(f"{start} < length of {media}")
    if length is not None:
        head = f"{start} (0 when unset) + " if start is not None else ""
        parts.append(f"{head}{length} <= length of {media}")
    return f"{' and '.join(parts)} (media length in seconds)"


def _rule_record(rule: CrossFieldRule, fields: tuple[Field, ...]) -> dict[str, Any]:
    record: dict[str, Any] = {"name": rule.name, "kind": rule.kind}
    if rule.media:
        record["media"] = wire_name(fields, rule.media)
    if rule.start is not None:
        record["start"] = wire_name(fields, rule.start)
    if rule.length is not None:
        record["length"] = wire_name(fields, rule.length)
    if rule.fields:
        record["fields"] = [wire_name(fields, name) for name in rule.fields]
    if rule.minimum is not None:
        record["minimum"] = rule.minimum
    if rule.maximum is not None:
        record["maximum"] = rule.maximum
    if rule.kind == "required_when":
        record["value"] = rule.value
    record["statement"] = clean_text(rule_statement(rule, fields))
    if rule.sentence:
        record["sentence"] = clean_text(rule.sentence)
    record["source"] = str(rule.location)
    return record
