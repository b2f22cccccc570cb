"""Emit stage: the schema -> pydantic step, done by datamodel-code-generator.

Each model's classes (shapes, Input, Output) go through one in-process
``generate()`` call with the options that make it strict and reproducible:
pydantic v2, no timestamp, ``--strict-refs``, strict scalar types, Literal for
allowed values, field constraints, and every attribute name dictated by the
registry through scoped aliases (``Class.wire`` -> python name).

The tool types every optional field ``T | None = None``; the input classes are then
retyped from the registry's nullability (:func:`retype_inputs`): an optional field the
documents do not let be null becomes ``T = UNSET`` (no ``None``: absent is "not set"), a
nullable one keeps or gains ``| None``. Output classes stay lenient.

The result is :class:`ModelClasses`: the classes' source and, as data, the imports they
need (read from the tool's text with ``ast``); the module template writes every import.
A model with cross-field rules keeps one public input class: its base is the private
rules class the template writes (:func:`rules_class`).
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from typing import Any

from musicbind.generator.emit.pydantic_direct import direct_classes
from musicbind.generator.emit.schema import components, input_shapes
from musicbind.generator.load.records import TypeKind
from musicbind.generator.registry.model import Field, Model

INPUT_BASE = "musicbind.runtime.InputModel"
# Inputs with numeric allowed values (the CLI reads them from musicbind_numeric_choices;
# every input model refuses a boolean for them, see runtime.bases).
CHOICE_INPUT_BASE = "musicbind.runtime.ChoiceInputModel"
OUTPUT_BASE = "musicbind.runtime.OutputModel"


class SchemaToPydanticError(RuntimeError):
    """datamodel-code-generator refused or failed on a model's schema."""


Imports = tuple[tuple[str, tuple[str, ...]], ...]
"""Import statements as data: (module, names); module ``""`` for ``import name``."""


@dataclass(frozen=True, slots=True)
class ModelClasses:
    """A model's classes (shapes, Input, Output): their source and the imports they need."""

    imports: Imports
    body: str


def rules_class(model: Model) -> str | None:
    """The private base class holding the model's cross-field rules, if it has any."""
    if not any(rule.checked_by_validator for rule in model.rules):
        return None
    return f"_{model.input_class}Rules"


def _aliases(model: Model, input_name: str) -> dict[str, str]:
    owners: list[tuple[str, tuple[Field, ...]]] = [(input_name, model.inputs)]
    owners += [(shape.class_name, shape.fields) for shape in model.shapes]
    if model.outputs is not None and model.output_class is not None:
        owners.append((model.output_class, model.outputs))
    return {
        f"{owner}.{f.wire_name}": f.python_name
        for owner, fields in owners
        for f in fields
        if f.python_name != f.wire_name
    }


def input_base(fields: tuple[Field, ...]) -> str:
    """The dotted base class of an input class with ``fields``."""
    numeric = any(
        isinstance(value, int | float) and not isinstance(value, bool)
        for f in fields
        for value in (f.allowed or ())
    )
    return CHOICE_INPUT_BASE if numeric else INPUT_BASE


def render_classes(model: Model) -> ModelClasses:
    """The model's classes.

    Plain schemas are written directly (:mod:`generator.emit.pydantic_direct`, the same
    text), the others by datamodel-code-generator.
    """
    classes = _classes(model, direct_only=False)
    if classes is None:  # cannot happen: the tool writes what the direct writer declines
        raise SchemaToPydanticError(f"{model.ref}: no classes were written")
    return classes


def direct_model_classes(model: Model) -> ModelClasses | None:
    """:func:`render_classes` when the model's schemas are plain (no parser run), else None."""
    return _classes(model, direct_only=True)


def class_inputs(model: Model) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """What the schema -> pydantic step reads: component schemas, scoped aliases, bases."""
    input_name = model.input_class
    shapes = {shape.class_name: shape.fields for shape in model.shapes}
    base_map: dict[str, str] = {name: input_base(shapes[name]) for name in input_shapes(model)}
    # The rules class has no module: the tool writes ``import name`` for it, dropped below.
    base_map[input_name] = rules_class(model) or input_base(model.inputs)
    return components(model, input_name), _aliases(model, input_name), base_map


def _classes(model: Model, *, direct_only: bool) -> ModelClasses | None:
    schemas, aliases, base_map = class_inputs(model)
    text = direct_classes(schemas, aliases, base_map, OUTPUT_BASE)
    if text is None:
        if direct_only:
            return None
        text = _generate(model.ref, schemas, aliases, base_map)
    shapes = {shape.class_name: shape.fields for shape in model.shapes}
    owners = {model.input_class: model.inputs}
    owners.update({name: shapes[name] for name in input_shapes(model)})
    text, uses_unset = retype_inputs(text, owners)
    imports, body = split_imports(text)
    local = rules_class(model)
    kept = [(module, names) for module, names in imports if (module, names) != ("", (local,))]
    if uses_unset:
        kept.append(("musicbind.runtime", ("UNSET",)))
    return ModelClasses(tuple(kept), body)


def split_imports(text: str) -> tuple[Imports, str]:
    """The leading import statements of ``text`` as data (``__future__`` left out), and
    the source from its first other statement on."""
    imports: list[tuple[str, tuple[str, ...]]] = []
    lines = text.splitlines(keepends=True)
    start = len(lines)
    for statement in ast.parse(text).body:
        if isinstance(statement, ast.ImportFrom) and statement.level == 0 and statement.module:
            if statement.module != "__future__":
                imports.append((statement.module, _names(statement.names)))
        elif isinstance(statement, ast.Import):
            imports.append(("", _names(statement.names)))
        else:
            start = statement.lineno - 1
            break
    return tuple(imports), "".join(lines[start:])


def _names(aliases: list[ast.alias]) -> tuple[str, ...]:
    return tuple(f"{a.name} as {a.asname}" if a.asname else a.name for a in aliases)


def _generate(
    ref: str, schemas: dict[str, Any], aliases: dict[str, str], base_map: dict[str, str]
) -> str:
    """datamodel-code-generator's text for ``schemas`` (its banner dropped)."""
    from datamodel_code_generator import (  # type: ignore[attr-defined]
        DataModelType,
        InputFileType,
        PythonVersion,
        generate,
    )
    from datamodel_code_generator.enums import StrictTypes
    from datamodel_code_generator.parser import LiteralType

    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": "musicbind", "version": "1"},
        "paths": {},
        "components": {"schemas": schemas},
    }
    try:
        output = generate(
            json.dumps(document, sort_keys=False),
            input_file_type=InputFileType.OpenAPI,
            output_model_type=DataModelType.PydanticV2BaseModel,
            target_python_version=PythonVersion.PY_311,
            disable_timestamp=True,
            formatters=[],
            custom_file_header="",
            field_constraints=True,
            use_annotated=True,
            enum_field_as_literal=LiteralType.All,
            strict_types=[StrictTypes.str, StrictTypes.int, StrictTypes.float, StrictTypes.bool],
            strict_refs=True,
            use_schema_description=True,
            use_field_description=True,
            use_double_quotes=True,
            use_standard_collections=True,
            use_union_operator=True,
            aliases=aliases,
            base_class=OUTPUT_BASE,
            base_class_map=dict(base_map),
        )
    except Exception as exc:  # the library raises many kinds; all mean the same here
        raise SchemaToPydanticError(f"{ref}: datamodel-code-generator failed: {exc}") from exc
    if not isinstance(output, str):
        raise SchemaToPydanticError(f"{ref}: datamodel-code-generator returned no module")
    # Drop the tool's own banner: our header names the real sources.
    lines = output.splitlines(keepends=True)
    return "".join(line for line in lines if not line.startswith(_BANNER))


def accepts_null(field: Field) -> bool:
    """Whether the documents let this input be null (``nullable``, ``type: [.., null]``,
    ``anyOf`` with null, an any-typed value, or a null default)."""
    return (
        field.type.nullable
        or field.type.kind is TypeKind.ANY
        or (field.has_default and field.default is None)
    )


def _offsets(source: bytes) -> list[int]:
    """The byte offset at which each line of ``source`` starts."""
    starts = [0]
    index = source.find(b"\n")
    while index >= 0:
        starts.append(index + 1)
        index = source.find(b"\n", index + 1)
    return starts


def retype_inputs(text: str, owners: dict[str, tuple[Field, ...]]) -> tuple[str, bool]:
    """``text`` with the input classes' (``owners``: class -> fields) fields typed by
    nullability: ``T = UNSET`` where null is not allowed, ``T | None`` where it is; and
    whether the text now uses ``UNSET`` (the module template imports it)."""
    source = text.encode("utf-8")
    starts = _offsets(source)

    def span(node: ast.expr) -> tuple[int, int]:
        # ast columns are UTF-8 byte offsets: edit the bytes.
        assert node.end_lineno is not None and node.end_col_offset is not None
        return (
            starts[node.lineno - 1] + node.col_offset,
            starts[node.end_lineno - 1] + node.end_col_offset,
        )

    edits: list[tuple[int, int, bytes]] = []
    unset = False
    for cls in ast.parse(text).body:
        if not isinstance(cls, ast.ClassDef) or cls.name not in owners:
            continue
        fields = {f.python_name: f for f in owners[cls.name]}
        for stmt in cls.body:
            if not (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)):
                continue
            field = fields.get(stmt.target.id)
            if field is None:
                continue
            inner = stmt.annotation
            if (
                isinstance(inner, ast.Subscript)
                and isinstance(inner.value, ast.Name)
                and inner.value.id == "Annotated"
                and isinstance(inner.slice, ast.Tuple)
            ):
                inner = inner.slice.elts[0]
            has_none = (
                isinstance(inner, ast.BinOp)
                and isinstance(inner.op, ast.BitOr)
                and isinstance(inner.right, ast.Constant)
                and inner.right.value is None
            )
            if accepts_null(field):
                if not has_none:
                    start, end = span(inner)
                    edits.append((start, end, source[start:end] + b" | None"))
                continue
            if field.required or not isinstance(inner, ast.BinOp) or not has_none:
                continue
            start, end = span(inner)
            left_start, left_end = span(inner.left)
            edits.append((start, end, source[left_start:left_end]))
            value = stmt.value
            if isinstance(value, ast.Constant) and value.value is None:
                start, end = span(value)
                edits.append((start, end, b"UNSET"))
                unset = True
    for start, end, replacement in sorted(edits, reverse=True):
        source = source[:start] + replacement + source[end:]
    return (source.decode("utf-8") if edits else text), unset


_BANNER = ("# generated by datamodel-codegen", "#   filename:")
