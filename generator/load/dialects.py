"""Load stage: the named dialects of provider documents (the ways a provider writes one kind).

A document kind (:class:`generator.load.records.DocumentKind`) says which loader reads a
file; a dialect says which of the provider's known ways of writing that kind the file
shows. Loaders record the dialects they recognise on :attr:`SpecDocument.dialects`, so a
report can say "read as fal queue OpenAPI, allOf-wrapped references". docs/dialects.md
lists them with how each is recognised and where it is handled.
"""

from __future__ import annotations

from enum import StrEnum


class Dialect(StrEnum):
    """One provider's way of writing one kind of document; the value is its display name."""

    FAL_QUEUE_ALLOF_REFS = "fal queue OpenAPI, allOf-wrapped references (older)"
    """Recognised by a property schema ``allOf: [{$ref: ...}]`` holding one reference (with
    the annotations beside it): older fal queue documents wrap every reference to a shape or
    enum so that a description can sit next to it. Read by ``SchemaReader._describe_all_of``
    (openapi_schema.py): one typed element, the others' keywords laid over it."""

    FAL_QUEUE_ANYOF_NULL = "fal queue OpenAPI, anyOf-null optionals (newer)"
    """Recognised by a property schema ``anyOf: [{...}, {type: null}]``: newer fal queue
    documents write an optional value as a union with null instead of leaving it out of
    ``required``. Read by ``SchemaReader._describe_any_of`` (openapi_schema.py): the null
    variant makes the parameter nullable, the other variant is its type."""

    FAL_MODELS_API_ENVELOPE = "fal models API answer (OpenAPI documents in an envelope)"
    """Recognised by a top-level ``models`` list whose entries name an ``endpoint_id`` (and no
    ``openapi`` key): fal's models API serves each model's queue document embedded in an
    entry. Read by fal_models_api.py; each embedded document is then read as a fal queue
    document (and shows its own queue dialect)."""

    FAL_MODEL_PAGE = "fal model page (LLM markdown)"
    """Recognised by an Endpoint or Model ID bullet and an ``Input Schema`` heading (or an
    Endpoint on fal.run): the page fal writes for language models, with parameters as
    bullets ``- **`name`** (`type`, _required_):``. Read by fal_page.py."""

    FAL_MODEL_PAGE_WITH_OPENAPI = "fal model page with the queue OpenAPI document pasted in"
    """A fal model page that also carries the whole queue OpenAPI document in a code fence;
    recognised by a fence whose JSON has an ``openapi`` key. The bullets are read, the pasted
    document is ignored (fal_page.py)."""

    SCENARIO_TABLE_CURRENT = "Scenario Parameters Reference, Parameter/Required columns"
    """Recognised by a parameter table whose header names a ``Parameter`` column (and
    ``Required``): Parameter / Type / Required / Default / Min / Max / Allowed Values /
    Description. Read by scenario_table.py (``_columns`` maps the header)."""

    SCENARIO_TABLE_OLDER = "Scenario Parameters Reference, Input/Label columns (older)"
    """Recognised by a parameter table whose header names an ``Input`` column and no
    ``Required`` one: Input / Label / Type / Default / Min / Max / Allowed Values / Notes. A
    parameter is required only when its Notes say so outright (scenario_table_rows.py,
    ``_REQUIRED_NOTE``); the Label becomes the parameter's title."""

    GATEWAY_MODEL_PAGE = "AIgateway model page (request example with // a | b hints)"
    """Recognised by a ``POST .../v1/...`` line, a JSON example and the AIgateway name: the
    per-model page whose request-body example carries ``// a | b`` comments naming allowed
    values. Read by gateway_page.py."""
