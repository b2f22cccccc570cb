"""Pipeline: documents that yield no model get a warning saying why (an error when strict).

A document listed in the manifest (or given on the command line) that the loaders read
without an error but that describes no model adds nothing to the bindings, and used to
pass without a word: usually it is the wrong file, or a page whose layout changed. The
warning says what its kind needs to yield a model; ``--strict`` makes it an error, so the
pre-commit hook and CI fail. Documents that yield no model by design are named here, each
with its reason.
"""

from __future__ import annotations

from dataclasses import replace

from musicbind.generator.load.records import (
    DocumentKind,
    Level,
    Location,
    SpecDocument,
    SpecProblem,
)

# What a document of each kind needs to yield a model.
_NEEDS: dict[DocumentKind, str] = {
    DocumentKind.OPENAPI: (
        "an OpenAPI document yields a model from a fal queue endpoint "
        "(info.x-fal-metadata.endpointId) or from each POST operation whose JSON request "
        "body has a `model` property (a gateway endpoint); it has neither"
    ),
    DocumentKind.FAL_MODELS_API: (
        "a fal models API answer yields a model from each entry of `models` with an "
        "`endpoint_id` and an `openapi` document; none had both"
    ),
    DocumentKind.SCENARIO_TABLE: (
        "a Scenario parameters page yields a model from each section with a "
        "`**Model ID:**` line and a parameter table under it; none was found"
    ),
    DocumentKind.FAL_PAGE: (
        "a fal model page yields its model from the Overview's Endpoint or Model ID and "
        "the `### Input Schema` section; they were not found"
    ),
    DocumentKind.GATEWAY_PAGE: (
        "a gateway model page yields its model from its `POST .../v1/...` line and the "
        "request body example; they were not found"
    ),
}

# (kind, provider as the loader read it): documents that yield no model by design.
NO_MODEL_BY_DESIGN: dict[tuple[DocumentKind, str], str] = {
    # generator/load/openapi.py: its generate body is free-form; the parameter pages
    # describe Scenario's models.
    (DocumentKind.OPENAPI, "scenario"): "Scenario's platform document",
}


def no_model_problem(document: SpecDocument, *, strict: bool) -> SpecProblem | None:
    """The warning (``strict``: error) for a document that yields no model; None otherwise.

    A document with errors has its errors to explain it, so it gets none.
    """
    if document.models or any(p.level is Level.ERROR for p in document.problems):
        return None
    if (document.kind, document.provider or "") in NO_MODEL_BY_DESIGN:
        return None
    why = _NEEDS.get(document.kind, "no loader read a model from it")
    level = Level.ERROR if strict else Level.WARNING
    return SpecProblem(level, Location(document.path), f"yields no model: {why}")


def with_no_model_problem(document: SpecDocument, *, strict: bool) -> SpecDocument:
    """``document`` with its no-model problem added, when it has one."""
    problem = no_model_problem(document, strict=strict)
    if problem is None:
        return document
    return replace(document, problems=(*document.problems, problem))


def is_no_model_problem(problem: SpecProblem) -> bool:
    """Whether ``problem`` is the one :func:`no_model_problem` makes."""
    return problem.message.startswith("yields no model: ")
