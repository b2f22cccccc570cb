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
"""

from __future__ import annotations

import ast
import json
from typing import Any

from musicbind.generator.emit.pydantic_direct import direct_classes
from musicbind.generator.emit.schema import components, input_shapes
from musicbind.generator.load.records import TypeKind
from musicbind.generator.registry.model import Field, Model

INPUT_BASE = "musicbind.runtime.InputModel"
# Inputs with numeric allowed values need the guard against booleans (see runtime.bases).
CHOICE_INPUT_BASE = "musicbind.runtime.ChoiceInputModel"
OUTPUT_BASE = "musicbind.runtime.OutputModel"


class SchemaToPydanticError(RuntimeError):
    """datamodel-code-generator refused or failed on a model's schema."""


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


def _input_base(fields: tuple[Field, ...]) -> str:
    numeric = any(
        isinstance(value, int | float) and not isinstance(value, bool)
        for f in fields
        for value in (f.allowed or ())
    )
    return CHOICE_INPUT_BASE if numeric else INPUT_BASE


def render_classes(model: Model, input_name: str) -> str:
    """Python source of the model's classes (no header); ``input_name`` names the Input class.

    Plain schemas are written directly (:mod:`generator.emit.pydantic_direct`, the same
    text), the others by datamodel-code-generator.
    """
    return _classes(model, input_name, direct_only=False) or ""


def direct_model_classes(model: Model, input_name: str) -> str | None:
    """:func:`render_classes` when the model's schemas are plain (no parser run), else None."""
    return _classes(model, input_name, direct_only=True)


def _classes(model: Model, input_name: str, *, direct_only: bool) -> str | None:
    schemas = components(model, input_name)
    shapes = {shape.class_name: shape.fields for shape in model.shapes}
    reachable = input_shapes(model)
    base_map: dict[str, str] = {name: _input_base(shapes[name]) for name in reachable}
    base_map[input_name] = _input_base(model.inputs)
    aliases = _aliases(model, input_name)
    text = direct_classes(schemas, aliases, base_map, OUTPUT_BASE)
    if text is None:
        if direct_only:
            return None
        text = _generate(model.ref, schemas, aliases, base_map)
    owners = {input_name: model.inputs}
    owners.update({name: shapes[name] for name in reachable})
    return retype_inputs(text, owners)


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
    starts = [0]
    for index, byte in enumerate(source):
        if byte == 0x0A:
            starts.append(index + 1)
    return starts


def retype_inputs(text: str, owners: dict[str, tuple[Field, ...]]) -> str:
    """``text`` with the input classes' (``owners``: class -> fields) fields typed by
    nullability: ``T = UNSET`` where null is not allowed, ``T | None`` where it is."""
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
    if not edits:
        return text
    for start, end, replacement in sorted(edits, reverse=True):
        source = source[:start] + replacement + source[end:]
    result = source.decode("utf-8")
    if unset:
        cut = result.find("\nclass ")
        cut = len(result) if cut < 0 else cut + 1
        result = f"{result[:cut]}from musicbind.runtime import UNSET\n\n{result[cut:]}"
    return result


_BANNER = ("# generated by datamodel-codegen", "#   filename:")
