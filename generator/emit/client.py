"""Emit stage: the typed per-provider client module (one method per model, sync and async)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from musicbind.generator.emit.literals import py_literal
from musicbind.generator.emit.outputs import (
    annotated_modules,
    output_annotation,
    output_model,
    ref_overloads,
    runtime_outputs,
)
from musicbind.generator.emit.pydantic_models import accepts_null
from musicbind.generator.load.records import SpecType, TypeKind
from musicbind.generator.registry import naming
from musicbind.generator.registry.model import Field, Model, Provider
from musicbind.generator.registry.validate import fits_type

_SCALARS = {
    TypeKind.STRING: "str",
    TypeKind.INTEGER: "int",
    TypeKind.NUMBER: "float",
    TypeKind.BOOLEAN: "bool",
    TypeKind.ANY: "Any",
}


@dataclass(frozen=True, slots=True)
class Param:
    """One keyword argument of a typed client method."""

    name: str  # the keyword
    field: str  # the model attribute it fills
    annotation: str
    required: bool


def annotation(spec: SpecType, model: Model) -> str:
    """The Python annotation for a value of ``spec`` (shape classes by their generated names)."""
    if spec.kind in _SCALARS:
        return _SCALARS[spec.kind]
    if spec.kind is TypeKind.FILE:
        return "str | Path"
    if spec.kind is TypeKind.ARRAY:
        inner = annotation(spec.items, model) if spec.items else "Any"
        return f"list[{inner}]"
    if spec.kind is TypeKind.OBJECT:
        shapes = {shape.name: shape.class_name for shape in model.shapes}
        if spec.ref in shapes:
            # Shapes of different models may share a class name: refer to them by module.
            return f"_{model.module_name}.{shapes[spec.ref]} | dict[str, Any]"
        return "dict[str, Any]"
    if spec.kind is TypeKind.UNION:
        return " | ".join(dict.fromkeys(annotation(v, model) for v in spec.variants)) or "Any"
    return "Any"


def field_annotation(field: Field, model: Model) -> str:
    """A keyword's annotation: Literal for allowed values, else the type; ``| None`` only
    where the documents allow null; ``| NotGiven`` when optional (its default is NOT_GIVEN,
    which is never sent)."""
    text = _allowed_annotation(field.type, field.allowed, model) if field.allowed else None
    text = text or annotation(field.type, model)
    if not field.required:
        text = f"{text} | NotGiven"
    takes_none = accepts_null(field) and field.type.kind is not TypeKind.ANY
    return f"{text} | None" if takes_none else text


def _allowed_annotation(spec: SpecType, allowed: tuple[Any, ...], model: Model) -> str:
    """Literal of the allowed values where they apply: the value, an array's items, or the
    union variants of their kinds (the other variants keep their own annotation)."""
    if spec.kind is TypeKind.ARRAY and spec.items is not None:
        return f"list[{_allowed_annotation(spec.items, allowed, model)}]"
    if spec.kind is TypeKind.UNION:
        fitting = [v for v in spec.variants if any(fits_type(a, v) for a in allowed)]
        if fitting:
            others = [annotation(v, model) for v in spec.variants if v not in fitting]
            values = [a for a in allowed if any(fits_type(a, v) for v in fitting)]
            literal = f"Literal[{', '.join(py_literal(v) for v in values)}]"
            return " | ".join(dict.fromkeys([literal, *others]))
    return f"Literal[{', '.join(py_literal(v) for v in allowed)}]"


def params(model: Model) -> list[Param]:
    """The keyword arguments of a model's client methods, in field order."""
    names = naming.parameter_names(f.python_name for f in model.inputs)
    return [
        Param(name, f.python_name, field_annotation(f, model), f.required)
        for name, f in zip(names, model.inputs, strict=True)
    ]


def client_params(models: list[Model]) -> dict[str, list[Param]]:
    """Parameters per model ref, for the client template."""
    return {model.ref: params(model) for model in models}


def part_context(provider: Provider, models: list[Model]) -> dict[str, object]:
    """Template variables of ``client_part.py.j2`` (the typed methods of ``models``)."""
    return {
        "provider": provider,
        "models": models,
        "params": client_params(models),
        "outputs": {model.ref: output_annotation(model) for model in models},
        "output_types": {model.ref: output_model(model) for model in models},
        "runtime_outputs": runtime_outputs(models),
    }


def client_context(provider: Provider, models: list[Model], parts: list[str]) -> dict[str, object]:
    """Template variables of ``client.py.j2``: the client classes and their per-ref overloads."""
    return {
        "provider": provider,
        "parts": parts,
        "overloads": ref_overloads(models),
        "annotated_modules": annotated_modules(models),
        "runtime_outputs": runtime_outputs(models),
    }
