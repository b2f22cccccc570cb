"""The bad-payload corpus: every model x every kind of bad input, with where the error must be.

Payloads are laid out line by line (one input field per line), so the expected line and
column of the offending value follow from the layout, independently of the reader under
test. Each case says which finding code, JSON path and position ``musicbind validate``
must report, and the exit status.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field

from musicbind.generator.emit.docs import example_input, placeholder
from musicbind.generator.load.records import TypeKind
from musicbind.generator.registry.model import Field, Model

DEEP = 40  # nesting levels in the too-deep cases (the limit is 32)


@dataclass(frozen=True)
class Case:
    """One bad payload file and the finding it must produce."""

    name: str
    suffix: str
    text: str
    code: str
    path: str
    line: int | None
    column: int | None
    model_option: str | None = None
    media: dict[str, float] = field(default_factory=dict)
    exit_code: int = 1
    hint: str | None = None  # a word the "did you mean" must contain


def _raw(value: object) -> str:
    return json.dumps(value)


# -- layouts ---------------------------------------------------------------------------


def json_layout(ref: str, items: list[tuple[str, str]]) -> tuple[str, list[tuple[int, int, int]]]:
    """Pretty JSON, one input item a line; per item (line, key column, value column)."""
    lines = ["{", f'  "model": {_raw(ref)},', '  "input": {']
    spots = []
    for index, (key, raw) in enumerate(items):
        comma = "," if index < len(items) - 1 else ""
        head = f"    {_raw(key)}: "
        lines.append(f"{head}{raw}{comma}")
        spots.append((len(lines), 5, len(head) + 1))
    lines += ["  }", "}"]
    return "\n".join(lines) + "\n", spots


def yaml_layout(ref: str, items: list[tuple[str, str]]) -> tuple[str, list[tuple[int, int, int]]]:
    """Block YAML, one input item a line; per item (line, key column, value column)."""
    lines = [f"model: {_raw(ref)}", "input:"]
    spots = []
    for key, raw in items:
        head = f"  {key}: "
        lines.append(f"{head}{raw}")
        spots.append((len(lines), 3, len(head) + 1))
    return "\n".join(lines) + "\n", spots


def jsonl_layout(
    ref: str, items: list[tuple[str, str]], good_lines: int = 2
) -> tuple[str, int, int]:
    """JSON Lines: good payloads, then the bad one; (text, line, value column of last item)."""
    good = json.dumps({"model": ref, "input": dict((k, json.loads(v)) for k, v in items[:-1])})
    text = "\n".join([good] * good_lines)
    head = '{"model": ' + _raw(ref) + ', "input": {'
    parts = [f"{_raw(k)}: {v}" for k, v in items]
    line = head + ", ".join(parts[:-1]) + (", " if len(parts) > 1 else "")
    column = len(line) + len(_raw(items[-1][0])) + 3
    line += parts[-1] + "}}"
    return f"{text}\n{line}\n", good_lines + 1, column


# -- what is wrong ----------------------------------------------------------------------


def base_items(model: Model) -> list[tuple[str, str]]:
    """A valid input as (wire name, JSON text) items (never empty: the layouts need a key)."""
    items = [(k, _raw(v)) for k, v in example_input(model).items()]
    if not items and model.inputs:
        # Nothing is required and no example shows a key: send the first input's placeholder.
        first = model.inputs[0]
        items = [(first.wire_name, _raw(placeholder(first)))]
    return items


def _with(items: list[tuple[str, str]], key: str, raw: str) -> tuple[list[tuple[str, str]], int]:
    """Items with ``key`` set to ``raw`` (replaced in place or appended); the item's index."""
    out = list(items)
    for index, (existing, _) in enumerate(out):
        if existing == key:
            out[index] = (key, raw)
            return out, index
    out.append((key, raw))
    return out, len(out) - 1


def _numeric(field_: Field) -> bool:
    return field_.type.kind in (TypeKind.INTEGER, TypeKind.NUMBER)


def _value_problems(f: Field) -> Iterator[tuple[str, str, str]]:
    """(label, raw JSON, finding code) of bad values for one field."""
    if _numeric(f) and f.allowed is None:
        if f.maximum is not None:
            yield "above-max", _raw(f.maximum + 1), "range"
        if f.minimum is not None:
            yield "below-min", _raw(f.minimum - 1), "range"
    if _numeric(f):
        yield "number-as-string", '"5"', "type"
        yield "boolean-as-number", "true", "type"
        yield "array-as-number", "[1]", "type"
    elif f.type.kind in (TypeKind.STRING, TypeKind.FILE) and f.allowed is None:
        yield "number-as-string-field", "5", "type"
        yield "object-as-string", '{"a": 1}', "type"
    elif f.type.kind is TypeKind.BOOLEAN:
        yield "string-as-boolean", '"yes"', "type"
        yield "number-as-boolean", "1", "type"
    if f.allowed is not None:
        wrong = 12345 if _numeric(f) else "zzz-not-allowed"
        yield "not-allowed", _raw(wrong), "allowed"


_TEXT_PROBLEMS = (
    ("nan", "NaN", "not-a-number"),
    ("infinity", "Infinity", "not-a-number"),
    ("minus-infinity", "-Infinity", "not-a-number"),
    ("huge-float", "1e400", "huge-number"),
    ("huge-integer", "123456789012345678901234567890", "huge-number"),
    ("five-thousand-digits", "9" * 5000, "huge-number"),
    ("huge-string", _raw("x" * 70_000), "huge-string"),
)


def _typo(name: str) -> str:
    return name[:-1] + name[-1] * 2 + "s" if len(name) > 2 else name + "xx"


def cases(models: list[Model]) -> Iterator[Case]:
    """The whole corpus."""
    for model in models:
        yield from _field_cases(model)
        yield from _text_cases(model)
        yield from _envelope_cases(model)
        yield from _syntax_cases(model)
        yield from _yaml_cases(model)
        yield from _rule_cases(model)


def _field_cases(model: Model) -> Iterator[Case]:
    items = base_items(model)
    slug = model.ref.replace(":", "_").replace("/", "_")
    for f in model.inputs:
        for label, raw, code in _value_problems(f):
            bad, index = _with(items, f.wire_name, raw)
            text, spots = json_layout(model.ref, bad)
            line, _, column = spots[index]
            yield Case(
                f"{slug}-{f.wire_name}-{label}",
                ".json",
                text,
                code,
                f"$.input.{f.wire_name}",
                line,
                column,
            )
        typo = _typo(f.wire_name)
        bad, index = _with(items, typo, "1")
        text, spots = json_layout(model.ref, bad)
        line, key_column, _ = spots[index]
        yield Case(
            f"{slug}-{f.wire_name}-unknown",
            ".json",
            text,
            "unknown-field",
            f"$.input.{typo}",
            line,
            key_column,
            hint=f.wire_name,
        )
        if f.required:
            without = [(k, v) for k, v in items if k != f.wire_name]
            text, _ = json_layout(model.ref, without)
            yield Case(
                f"{slug}-{f.wire_name}-missing",
                ".json",
                text,
                "missing",
                f"$.input.{f.wire_name}",
                3,
                12,
            )


def _text_cases(model: Model) -> Iterator[Case]:
    items = base_items(model)
    slug = model.ref.replace(":", "_").replace("/", "_")
    target = next((f.wire_name for f in model.inputs if _numeric(f)), model.inputs[0].wire_name)
    for label, raw, code in _TEXT_PROBLEMS:
        bad, index = _with(items, target, raw)
        text, spots = json_layout(model.ref, bad)
        line, _, column = spots[index]
        yield Case(f"{slug}-{label}", ".json", text, code, f"$.input.{target}", line, column)
        jsonl, jline, jcolumn = jsonl_layout(model.ref, bad[: index + 1])
        yield Case(
            f"{slug}-{label}-lines", ".jsonl", jsonl, code, f"$.input.{target}", jline, jcolumn
        )
    deep = "[" * DEEP + "]" * DEEP
    bad, index = _with(items, target, deep)
    text, spots = json_layout(model.ref, bad)
    line, _, column = spots[index]
    path = f"$.input.{target}" + "[0]" * 30
    yield Case(f"{slug}-too-deep", ".json", text, "too-deep", path, line, column + 30)
    first = items[0][0]
    twice = [*items, (first, items[0][1])]
    text, spots = json_layout(model.ref, twice)
    line, key_column, _ = spots[-1]
    yield Case(
        f"{slug}-duplicate-key",
        ".json",
        text,
        "duplicate-key",
        f"$.input.{first}",
        line,
        key_column,
    )


def _envelope_cases(model: Model) -> Iterator[Case]:
    items = base_items(model)
    slug = model.ref.replace(":", "_").replace("/", "_")
    typo_ref = model.ref[:-1] + ("x" if model.ref[-1] != "x" else "y")
    text, _ = json_layout(typo_ref, items)
    yield Case(
        f"{slug}-unknown-ref", ".json", text, "unknown-model", "$.model", 2, 12, hint=model.ref
    )
    bare = "{\n" + ",\n".join(f"  {_raw(k)}: {v}" for k, v in items) + "\n}\n"
    yield Case(f"{slug}-no-model", ".json", bare, "no-model", "$", 1, 1)
    listed = json.dumps({"model": model.ref, "input": [1, 2]}, indent=2)
    yield Case(f"{slug}-input-array", ".json", listed, "type", "$.input", 3, 12)
    no_input = json.dumps({"model": model.ref}, indent=2)
    yield Case(f"{slug}-no-input", ".json", no_input, "missing", "$", 1, 1)
    extra = json.dumps({"model": model.ref, "input": {}, "inputs": {}}, indent=2)
    yield Case(f"{slug}-extra-envelope-key", ".json", extra, "unknown-field", "$.inputs", 4, 3)
    numeric_ref = json.dumps({"model": 7, "input": {}}, indent=2)
    yield Case(f"{slug}-ref-not-string", ".json", numeric_ref, "type", "$.model", 2, 12)
    with_option = json.dumps(dict((k, json.loads(v)) for k, v in items) | {"zzz": 1}, indent=2)
    yield Case(
        f"{slug}-bare-with-model-option",
        ".json",
        with_option,
        "unknown-field",
        "$.zzz",
        len(items) + 2,
        3,
        model_option=model.ref,
    )


def _syntax_cases(model: Model) -> Iterator[Case]:
    items = base_items(model)
    slug = model.ref.replace(":", "_").replace("/", "_")
    text, spots = json_layout(model.ref, items)
    lines = text.splitlines()
    last = spots[-1][0]
    trailing = "\n".join([*lines[: last - 1], lines[last - 1] + ",", *lines[last:]]) + "\n"
    yield Case(f"{slug}-trailing-comma", ".json", trailing, "syntax", "$.input", last + 1, 3)
    yield Case(f"{slug}-unclosed", ".json", "\n".join(lines[:-1]) + "\n", "syntax", "$", None, None)
    single = text.replace('"model"', "'model'")
    yield Case(f"{slug}-single-quotes", ".json", single, "syntax", "$", 2, 3)
    control = text.replace('"model": "', '"model": "\t', 1)
    yield Case(f"{slug}-control-character", ".json", control, "syntax", "$.model", 2, 13)
    yield Case(f"{slug}-empty", ".json", "   \n", "syntax", "$", None, None)
    garbage = text + "{}\n"
    yield Case(f"{slug}-extra-data", ".json", garbage, "syntax", "$", len(lines) + 1, 1)


def _yaml_cases(model: Model) -> Iterator[Case]:
    items = base_items(model)
    slug = model.ref.replace(":", "_").replace("/", "_")
    numeric = [f for f in model.inputs if _numeric(f) and f.allowed is None]
    for label, raw, code in (
        ("yaml-nan", ".nan", "not-a-number"),
        ("yaml-inf", "-.inf", "not-a-number"),
        ("yaml-yes", "yes", "type"),
        ("yaml-quoted-number", '"30"', "type"),
        ("yaml-huge", "123456789012345678901234567890", "huge-number"),
    ):
        target = numeric[0].wire_name if numeric else model.inputs[0].wire_name
        if code == "type" and not numeric:
            continue
        bad, index = _with(items, target, raw)
        text, spots = yaml_layout(model.ref, bad)
        line, _, column = spots[index]
        yield Case(f"{slug}-{label}", ".yaml", text, code, f"$.input.{target}", line, column)
    text, spots = yaml_layout(model.ref, [*items, (items[0][0], items[0][1])])
    line, key_column, _ = spots[-1]
    yield Case(
        f"{slug}-yaml-duplicate",
        ".yaml",
        text,
        "duplicate-key",
        f"$.input.{items[0][0]}",
        line,
        key_column,
    )
    broken = f"model: {_raw(model.ref)}\ninput: [1, 2\n"
    yield Case(f"{slug}-yaml-syntax", ".yaml", broken, "syntax", "$", 3, 1)
    for f in model.inputs:
        if f.maximum is not None and f.allowed is None:
            bad, index = _with(items, f.wire_name, _raw(f.maximum + 1))
            text, spots = yaml_layout(model.ref, bad)
            line, _, column = spots[index]
            yield Case(
                f"{slug}-{f.wire_name}-yaml-range",
                ".yaml",
                text,
                "range",
                f"$.input.{f.wire_name}",
                line,
                column,
            )


def _rule_cases(model: Model) -> Iterator[Case]:
    slug = model.ref.replace(":", "_").replace("/", "_")
    wires = {f.python_name: f.wire_name for f in model.inputs}
    for rule in model.rules:
        if rule.start is None or rule.length is None:
            continue
        media, start, length = wires[rule.media], wires[rule.start], wires[rule.length]
        items, _ = _with(base_items(model), start, "30")
        items, index = _with(items, length, "40")
        text, spots = json_layout(model.ref, items)
        line, _, column = spots[index]
        yield Case(
            f"{slug}-segment-past-media",
            ".json",
            text,
            "cross-field",
            f"$.input.{length}",
            line,
            column,
            media={media: 60.0},
        )
        items, index = _with(base_items(model), start, "70")
        text, spots = json_layout(model.ref, items)
        line, _, column = spots[index]
        yield Case(
            f"{slug}-start-past-media",
            ".json",
            text,
            "cross-field",
            f"$.input.{start}",
            line,
            column,
            media={media: 60.0},
        )
