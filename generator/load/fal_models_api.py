"""Load stage: an answer of fal's models API (OpenAPI documents in an envelope) -> SpecDocument.

fal serves its models' documents as ``{"models": [{"endpoint_id": ..., "metadata": {...},
"openapi": {...}}], "next_cursor": ..., "has_more": ...}``: one model, or a page of many.
Each entry with an ``endpoint_id`` and an embedded OpenAPI 3 document becomes one fal model
whose id is the ``endpoint_id``; its inputs and outputs are read as in a fal queue document
(:mod:`generator.load.openapi`), its ``$ref`` values point inside the embedded document, and
problems are located in the whole file (``#/models/1/openapi/components/...``). The entry's
``metadata`` (``display_name``, ``description``, ``category``) describes the model.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

from musicbind.generator.load.dialects import Dialect
from musicbind.generator.load.document_text import read_document
from musicbind.generator.load.located import pointer_child
from musicbind.generator.load.openapi import fal_queue_dialects, is_version_3, read_fal_endpoint
from musicbind.generator.load.openapi_document import OpenApiDocument, as_mapping, as_text, show
from musicbind.generator.load.records import (
    DocumentKind,
    JsonValue,
    SpecDocument,
    SpecModel,
    SpecProblem,
)


def looks_like(text: str) -> bool:
    """Whether ``text`` is a JSON or YAML mapping with a ``models`` list whose entries name an
    ``endpoint_id`` (and no ``openapi`` key of its own: that is an OpenAPI document)."""
    parsed = read_document(text, "")
    root = as_mapping(parsed.value) if parsed.readable else None
    models = root.get("models") if root is not None and "openapi" not in root else None
    if not isinstance(models, list):
        return False
    entries = [as_mapping(entry) for entry in models]
    return any(entry is not None and "endpoint_id" in entry for entry in entries)


def load(text: str, path: str) -> SpecDocument:
    """Read one models API answer; each problem is located by line and JSON pointer."""
    sha256 = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    parsed = read_document(text, path)
    doc = OpenApiDocument(parsed, path)
    root = as_mapping(parsed.value) if parsed.readable else None
    if root is None:
        return SpecDocument(path, DocumentKind.FAL_MODELS_API, sha256, "fal", (), doc.problems())
    if root.get("has_more") is True:
        doc.warning(
            "/has_more",
            "has_more is true: this answer holds one page of models; the others come with "
            "next_cursor and are not in this file",
        )
    models: list[SpecModel] = []
    inner_problems: list[SpecProblem] = []
    dialects = {Dialect.FAL_MODELS_API_ENVELOPE}
    raw = root.get("models")
    for index, entry in enumerate(raw if isinstance(raw, list) else []):
        where = pointer_child("/models", index)
        read = _read_entry(doc, where, entry)
        if read is None:
            continue
        model, inner = read
        if any(m.model_id == model.model_id for m in models):
            doc.error(
                pointer_child(where, "endpoint_id"),
                f"endpoint_id {model.model_id!r} is listed twice; the second entry is skipped",
            )
            continue
        models.append(model)
        inner_problems.extend(inner.problems())
        dialects.update(fal_queue_dialects(inner))
    problems = (*doc.problems(), *inner_problems)
    return SpecDocument(
        path,
        DocumentKind.FAL_MODELS_API,
        sha256,
        "fal",
        tuple(models),
        problems,
        dialects=tuple(dialect for dialect in Dialect if dialect in dialects),
    )


def _read_entry(
    doc: OpenApiDocument, where: str, entry: JsonValue
) -> tuple[SpecModel, OpenApiDocument] | None:
    mapping = as_mapping(entry)
    if mapping is None:
        doc.error(where, f"an entry of models must be a mapping, got {show(entry)}; it is skipped")
        return None
    endpoint_id = (as_text(mapping.get("endpoint_id")) or "").strip("/")
    if not endpoint_id:
        doc.error(
            pointer_child(where, "endpoint_id") if "endpoint_id" in mapping else where,
            "endpoint_id must name the endpoint, e.g. 'example-ai/tide-composer'; got "
            f"{show(mapping.get('endpoint_id'))}; the entry is skipped",
        )
        return None
    at = pointer_child(where, "openapi")
    openapi = as_mapping(mapping.get("openapi"))
    if openapi is None or not is_version_3(openapi.get("openapi")):
        doc.error(
            at if "openapi" in mapping else where,
            f"{endpoint_id}: the entry has no OpenAPI 3 document under openapi (ask the models "
            "API for it with expand=openapi-3.0); the entry is skipped",
        )
        return None
    inner = doc.embedded(at, openapi)
    model = read_fal_endpoint(inner, openapi, endpoint_id, "")
    _check_inner_id(inner, openapi, endpoint_id)
    return _describe(model, doc, where, mapping, openapi), inner


def _check_inner_id(
    inner: OpenApiDocument, openapi: dict[str, JsonValue], endpoint_id: str
) -> None:
    info = as_mapping(openapi.get("info")) or {}
    named = as_text((as_mapping(info.get("x-fal-metadata")) or {}).get("endpointId"))
    if named is not None and named.strip("/") != endpoint_id:
        inner.warning(
            "/info/x-fal-metadata/endpointId",
            f"the document names the endpoint {named!r} but the entry's endpoint_id is "
            f"{endpoint_id!r}; the binding uses the endpoint_id",
        )


def _describe(
    model: SpecModel,
    doc: OpenApiDocument,
    where: str,
    entry: dict[str, JsonValue],
    openapi: dict[str, JsonValue],
) -> SpecModel:
    """The model with its title, description and category from the entry's metadata."""
    metadata = as_mapping(entry.get("metadata")) or {}
    info = as_mapping(openapi.get("info")) or {}
    fal_metadata = as_mapping(info.get("x-fal-metadata")) or {}
    category = as_text(metadata.get("category")) or as_text(fal_metadata.get("category"))
    return replace(
        model,
        location=doc.locate(pointer_child(where, "endpoint_id")),
        title=as_text(metadata.get("display_name")) or as_text(info.get("title")) or "",
        description=as_text(metadata.get("description")) or as_text(info.get("description")) or "",
        category=category,
    )
