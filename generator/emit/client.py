"""Emit stage: the typed per-provider clients (one method per model, sync and async).

Files, per provider (each bounded in size whatever the catalogue's):

- ``<provider>/_methods/<model module>.py``: that model's methods (``Methods`` and
  ``AsyncMethods``), so ``client.<model>`` is found by its name; one changed model
  re-renders one file.
- ``<provider>/_methods/_group_NNN.py``: about GROUP_SIZE models' ``Methods`` composed into
  one class (a model's group is a hash of its module name: adding a model changes one group).
- ``<provider>/client.py``: the clients, composed of the groups, with per-ref ``run`` /
  ``submit`` overloads while at most REF_OVERLOAD_LIMIT refs have a typed output.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from musicbind.generator.emit.environment import (
    EmitContext,
    PlannedFile,
    built_template_file,
    digest,
    header,
    source_hashes,
    template_file,
)
from musicbind.generator.emit.literals import py_literal
from musicbind.generator.emit.outputs import (
    annotated_modules,
    output_annotation,
    output_model,
    protocol_output,
    ref_overloads,
    runtime_outputs,
)
from musicbind.generator.emit.pydantic_models import accepts_null
from musicbind.generator.load.records import SpecType, TypeKind
from musicbind.generator.registry import naming
from musicbind.generator.registry.field_checks import fits_type
from musicbind.generator.registry.model import Field, Model, Provider

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


METHODS = "_methods"
# Models per group module (the client composes about len(models) / GROUP_SIZE groups).
GROUP_SIZE = 128
# Per-ref run/submit overloads are emitted while a provider has at most this many refs with
# a typed output: each output type is four overloads in client.py (mypy checks overloads
# pairwise) and each ref is named in them, so past the limit client.py would grow with the
# catalogue. Past it, ``run``/``submit`` take ``output_type=``; the methods stay typed.
REF_OVERLOAD_LIMIT = 128


def methods_path(model: Model) -> str:
    """Where a model's typed client methods go."""
    return f"{model.provider}/{METHODS}/{model.module_name}.py"


def client_groups(models: list[Model]) -> dict[str, list[Model]]:
    """Models in groups of about GROUP_SIZE; a model's group is a hash of its module name."""
    count = 1
    while count * GROUP_SIZE < len(models):
        count *= 2
    groups: dict[str, list[Model]] = {}
    for model in models:
        bucket = int(hashlib.sha256(model.module_name.encode()).hexdigest()[:8], 16) % count
        groups.setdefault(f"{bucket:03d}", []).append(model)
    return dict(sorted(groups.items()))


def client_files(
    provider: Provider,
    models: list[Model],
    context: EmitContext,
    shared: str,
    model_keys: Mapping[str, str],
) -> list[PlannedFile]:
    """Every client file of ``provider``; ``model_keys``: each model module's key by ref."""
    shown_provider = repr(provider)
    planned = [
        _methods_file(provider, shown_provider, m, context, shared, model_keys[m.ref])
        for m in models
    ]
    groups = client_groups(models)
    for group, members in groups.items():
        head = header(context, sorted({s for m in members for s in m.sources}))
        planned.append(
            template_file(
                f"{provider.name}/{METHODS}/_group_{group}.py",
                digest(shared, repr(provider), group, head, *(m.module_name for m in members)),
                "client_group.py.j2",
                header=head,
                group=group,
                provider=provider,
                models=members,
            )
        )
    used_head = header(context, sorted({s for m in models for s in m.sources}))
    package = f"{provider.name}/{METHODS}/__init__.py"
    planned.append(
        template_file(
            package,
            digest(shared, repr(provider), used_head, package),
            "client_methods_package.py.j2",
            header=used_head,
            provider=provider,
        )
    )
    variables = client_context(provider, models, list(groups))
    # The client's key covers all it shows: its header (the documents' hashes), the groups
    # and the per-ref overloads (every ref and its output type).
    key = digest(shared, used_head, *groups, repr(variables))
    planned.append(
        template_file(
            f"{provider.name}/client.py", key, "client.py.j2", header=used_head, **variables
        )
    )
    return planned


def _methods_file(
    provider: Provider,
    shown_provider: str,
    model: Model,
    context: EmitContext,
    shared: str,
    model_key: str,
) -> PlannedFile:
    """A model's methods module. Its key holds what its header shows without rendering it
    (the version and regenerate command are in ``shared``); ``shown_provider``:
    ``repr(provider)``, made once per provider."""
    key = digest(shared, shown_provider, model_key, *source_hashes(context, model))
    variables = partial(_methods_variables, context, provider, model)
    return built_template_file(methods_path(model), key, "client_methods.py.j2", variables)


def _methods_variables(context: EmitContext, provider: Provider, model: Model) -> dict[str, Any]:
    head = header(context, list(model.sources))
    parameters = params(model)
    output = output_annotation(model)
    own = f"_{model.module_name}."
    return {
        "header": head,
        "provider": provider,
        "model": model,
        "params": parameters,
        "output": output,
        "output_type": output_model(model),
        "runtime_output": protocol_output(model),
        "annotates_module": output.startswith(own) or any(own in p.annotation for p in parameters),
    }


def client_context(provider: Provider, models: list[Model], groups: list[str]) -> dict[str, object]:
    """Template variables of ``client.py.j2``: the client classes and their per-ref overloads."""
    overloads = ref_overloads(models)
    over_limit = sum(len(overload.refs) for overload in overloads) > REF_OVERLOAD_LIMIT
    shown = [] if over_limit else overloads
    return {
        "provider": provider,
        "groups": groups,
        "overloads": shown,
        "over_limit": over_limit,
        "overload_limit": REF_OVERLOAD_LIMIT,
        "annotated_modules": annotated_modules(models) if shown else [],
        "runtime_outputs": runtime_outputs(models) if shown else [],
    }
