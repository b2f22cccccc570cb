"""Emit stage: the output type of each binding (its own model, its protocol's, or none).

A model whose documents state an output schema gets its own generated ``<Name>Output``.
Scenario's documents state none, and need not: a Scenario result is built by the job
protocol (job id, asset ids, the assets with their download URLs), the same for every
model, so its type is the runtime's :class:`ScenarioJobOutput` (runtime/protocol_outputs.py,
parsed from what runtime/providers/scenario.py returns). Anything else stays ``BaseModel``
(at run time the runtime's ``RawOutput``, the provider's JSON as it is).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from musicbind.generator.registry.model import Model

# provider -> the runtime's public model of the results its job protocol builds.
PROTOCOL_OUTPUTS: Mapping[str, str] = {"scenario": "ScenarioJobOutput"}
# The annotation of a result nothing describes.
UNTYPED_OUTPUT = "BaseModel"


def protocol_output(model: Model) -> str | None:
    """The runtime model ``model``'s results parse into when its documents state no output."""
    if model.output_class is not None:
        return None
    return PROTOCOL_OUTPUTS.get(model.provider)


def output_model(model: Model) -> str | None:
    """The ``output_model`` of the binding, as a name in the model's own module (or None)."""
    return model.output_class or protocol_output(model)


def output_annotation(model: Model) -> str:
    """The output type as client modules write it.

    A model module's class through the module (imported under TYPE_CHECKING as
    ``_<module>``), a runtime model by its public name, else ``BaseModel``.
    """
    if model.output_class is not None:
        return f"_{model.module_name}.{model.output_class}"
    return protocol_output(model) or UNTYPED_OUTPUT


@dataclass(frozen=True, slots=True)
class RefOverload:
    """One ``run`` / ``submit`` overload of a provider client: these refs give this output."""

    refs: tuple[str, ...]
    output: str  # the annotation (see output_annotation)


def ref_overloads(models: list[Model]) -> list[RefOverload]:
    """The per-ref overloads of a provider client, refs sorted; one per output type.

    Refs that share an output type share an overload (every Scenario ref gives a
    ScenarioJobOutput), which keeps the overload list, and mypy's pairwise overlap check
    of it, small. Refs with no typed output are left to the general overload.
    """
    grouped: dict[str, list[str]] = {}
    for model in sorted(models, key=lambda m: m.ref):
        output = output_annotation(model)
        if output != UNTYPED_OUTPUT:
            grouped.setdefault(output, []).append(model.ref)
    return [RefOverload(tuple(refs), output) for output, refs in grouped.items()]


def annotated_modules(models: list[Model]) -> list[str]:
    """Model modules a client module names in annotations (imported under TYPE_CHECKING)."""
    return sorted({m.module_name for m in models if m.output_class is not None})


def runtime_outputs(models: list[Model]) -> list[str]:
    """Runtime output models the models use (imported from ``musicbind.runtime``)."""
    return sorted({name for m in models if (name := protocol_output(m)) is not None})
