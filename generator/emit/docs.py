"""Emit stage: the reference docs, markdown pages emitted with the bindings.

``reference/README.md`` lists the providers; ``reference/<provider>.md`` states the
provider (base URL, auth, client class) and lists its models, one line each, linking to
``reference/<provider>/<model module>.md``: the model's parameter table (type, range,
default, allowed values, wire name), its price, its cross-field rules and an example
call. One changed model re-renders its own page (and the one-line entries that name it).
The pages live in the generated package and are listed in its manifest, so ``musicbind
check`` drift-checks them like the modules. Spec text reaches the pages only through
:func:`md_text` / :func:`md_code` (markdown-escaped, one line), and example code only
through ``py_literal``; ruff formats the pages' python blocks.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import lru_cache, partial
from typing import Any

from musicbind.generator.describe import describe_range, describe_type, show_value
from musicbind.generator.diff.registries import sent_shapes
from musicbind.generator.emit.environment import (
    EmitContext,
    PlannedFile,
    built_template_file,
    digest,
    markdown_header,
    source_hashes,
    template_file,
)
from musicbind.generator.emit.json_schema import rule_statement, wire_name
from musicbind.generator.emit.literals import UnsafeLiteralError, clean_text, py_literal
from musicbind.generator.load.records import JsonValue, TypeKind
from musicbind.generator.registry.model import Field, Model, Pricing, Provider, Registry

REFERENCE = "reference"
# Characters markdown may act on anywhere in a line; ">" only starts a quote at a line's start,
# which one-line text after a prefix never is.
_SPECIAL = re.compile(r"([\\`*_\[\]<|#&~])")
_PLACEHOLDER_MEDIA = {"video": "clip.mp4", "audio": "track.mp3", "image": "picture.png"}


# The same short texts recur on every page (types, names, "mp3"): each is escaped once.
_ESCAPED_TEXTS = 8192


@lru_cache(maxsize=_ESCAPED_TEXTS)
def md_text(text: str) -> str:
    """Prose as one line of markdown: every character markdown acts on is escaped."""
    return _SPECIAL.sub(r"\\\1", " ".join(clean_text(text).split()))


@lru_cache(maxsize=_ESCAPED_TEXTS)
def md_code(text: str) -> str:
    """``text`` as an inline code span safe in a table cell (pipes escaped, fence long enough)."""
    flat = " ".join(clean_text(text).split()).replace("|", "\\|")
    longest = max((len(run) for run in re.findall(r"`+", flat)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") or not flat.strip() else ""
    return f"{fence}{pad}{flat}{pad}{fence}"


def code_block(text: str, language: str) -> str:
    """A fenced code block whose fence no backtick run inside ``text`` can close."""
    longest = max((len(run) for run in re.findall(r"`{3,}", text)), default=2)
    fence = "`" * (longest + 1)
    return f"{fence}{language}\n{text.rstrip()}\n{fence}"


def provider_page_path(provider: Provider) -> str:
    """Where a provider's page (its facts and its models' list) goes in the generated package."""
    return f"{REFERENCE}/{provider.name}.md"


def model_page_path(model: Model) -> str:
    """Where a model's reference page goes in the generated package."""
    return f"{REFERENCE}/{model.provider}/{model.module_name}.md"


INDEX_PAGE = f"{REFERENCE}/README.md"


def reference_files(
    registry: Registry, context: EmitContext, shared: str, model_keys: Mapping[str, str]
) -> list[PlannedFile]:
    """Every reference page; ``shared``: the shared inputs' key, ``model_keys``: each model
    module's key by ref (a page's key covers all it shows)."""
    planned: list[PlannedFile] = []
    counts: dict[str, int] = {}
    for provider in registry.providers:
        models = [m for m in registry.models if m.provider == provider.name]
        counts[provider.name] = len(models)
        if not models:
            continue
        shown_provider = repr(provider)
        planned += [
            _model_file(provider, shown_provider, m, context, shared, model_keys[m.ref])
            for m in models
        ]
        planned.append(_provider_file(provider, models, context, shared))
    shown = [_provider_view(p, counts[p.name]) for p in registry.providers if counts[p.name]]
    head = markdown_header(context, sorted({s for m in registry.models for s in m.sources}))
    key = digest(shared, head, repr(shown))
    planned.append(
        template_file(INDEX_PAGE, key, "reference_index.md.j2", header=head, providers=shown)
    )
    return planned


def _model_file(
    provider: Provider,
    shown_provider: str,
    model: Model,
    context: EmitContext,
    shared: str,
    model_key: str,
) -> PlannedFile:
    """A model's page. Its key holds what its header shows without rendering it (the
    version and regenerate command are in ``shared``); ``shown_provider``:
    ``repr(provider)``, made once per provider."""
    key = digest(shared, shown_provider, model_key, context.package, *source_hashes(context, model))
    variables = partial(_model_page_variables, context, provider, model)
    return built_template_file(model_page_path(model), key, "reference.md.j2", variables)


def _model_page_variables(context: EmitContext, provider: Provider, model: Model) -> dict[str, Any]:
    return {
        "header": markdown_header(context, list(model.sources)),
        "provider": _provider_view(provider, 1),
        "model": _model_view(model, provider, context.package),
    }


def _provider_file(
    provider: Provider, models: list[Model], context: EmitContext, shared: str
) -> PlannedFile:
    head = markdown_header(context, sorted({s for m in models for s in m.sources}))
    entries = [
        {
            "ref": md_code(m.ref),
            "title": md_text(m.title or m.model_id),
            "method": md_code(m.method_name),
            "page": f"{provider.name}/{m.module_name}.md",
        }
        for m in models
    ]
    view = _provider_view(provider, len(models))
    return template_file(
        provider_page_path(provider),
        digest(shared, head, repr(view), repr(entries)),
        "reference_provider.md.j2",
        header=head,
        provider=view,
        models=entries,
    )


def _provider_view(provider: Provider, count: int) -> dict[str, Any]:
    return {
        "name": provider.name,
        "title": md_text(provider.display_name),
        "base_url": md_code(provider.base_url),
        "auth": _auth_text(provider),
        "client_class": provider.client_class,
        "count": count,
    }


def _auth_text(provider: Provider) -> str:
    """``bearer``; a generic provider's scheme also says where the key goes and its variable."""
    if provider.adapter is None:
        return md_code(provider.auth)
    where = {
        "bearer": "`Authorization: Bearer <key>`",
        "basic": "HTTP basic",
        "key": "`Authorization: Key <key>`",
        "header": f"the header {md_code(provider.auth_name or '')}",
        "query": f"the query parameter {md_code(provider.auth_name or '')}",
    }.get(provider.auth)
    if where is None:
        return "none"
    variable = provider.key_env or f"{provider.name.upper()}_API_KEY"
    return f"{md_code(provider.auth)} (the key in {where}, from {md_code(variable)})"


def _call_text(model: Model) -> str:
    """How a generic provider's model is called: method, path and what it answers."""
    operation = model.operation
    if operation is None:
        return ""
    answer = {
        "json": "answers with its result",
        "binary": f"answers with the audio itself ({md_code(operation.media_type or '')}), "
        "kept with the journal",
        "job": "answers with a job",
    }[operation.answer]
    text = f"{md_code(operation.method + ' ' + operation.path)} ({operation.body} body), {answer}"
    if operation.job is not None:
        text += f", read with {md_code('GET ' + operation.job.status_path)}"
        if operation.job.cancel_path:
            method = operation.job.cancel_method or ""
            text += f", canceled with {md_code(method + ' ' + operation.job.cancel_path)}"
    return text


def _model_view(model: Model, provider: Provider, package: str) -> dict[str, Any]:
    example = example_input(model)
    sent = sent_shapes(model)
    return {
        "ref": md_code(model.ref),
        "title": md_text(model.title or model.model_id),
        "method": md_code(model.method_name),
        "description": md_text(model.description),
        "capabilities": ", ".join(md_code(c) for c in model.capabilities),
        "category": md_code(model.category) if model.category else "",
        "sources": ", ".join(md_code(s) for s in model.sources),
        "rows": [_row(f) for f in model.inputs],
        "shapes": [
            {"name": md_text(s.class_name), "rows": [_row(f) for f in s.fields]}
            for s in model.shapes
            if s.name in sent
        ],
        "price": _price(model.pricing, model.inputs),
        "call": _call_text(model),
        "rules": [
            {
                "name": md_code(r.name),
                "text": md_text(rule_statement(r, model.inputs)),
                "source": md_code(str(r.location)),
                "sentence": md_text(r.sentence),
            }
            for r in model.rules
        ],
        "python": code_block(_python_call(model, provider, package, example), "python"),
        "payload": code_block(_payload(model, example), "json"),
    }


def _row(field: Field) -> dict[str, str]:
    allowed = ", ".join(md_code(show_value(v)) for v in field.allowed or ())
    default = md_code(show_value(field.default)) if field.has_default else ""
    return {
        "name": md_code(field.python_name),
        "wire": md_code(field.wire_name),
        "type": md_text(describe_type(field.type)),
        "required": "yes" if field.required else "no",
        "range": md_text(describe_range(field)),
        "default": default,
        "allowed": allowed,
        "description": md_text(field.description),
    }


def _price(pricing: Pricing | None, fields: tuple[Field, ...]) -> str:
    if pricing is None:
        return "No price is stated in the documents."
    per = {"second": "per second", "request": "per request"}.get(
        pricing.unit, f"per {pricing.unit}"
    )
    text = f"{md_text(pricing.amount)} {md_text(pricing.currency)} {md_text(per)}"
    if pricing.unit == "second":
        seconds = []
        if pricing.seconds_from:
            seconds.append(md_code(wire_name(fields, pricing.seconds_from) or ""))
        if pricing.media:
            media = md_code(wire_name(fields, pricing.media) or "")
            start = wire_name(fields, pricing.start)
            minus = f" minus {md_code(start)}" if start else ""
            seconds.append(f"the length of {media}{minus}")
        if seconds:
            text += " of " + ", else ".join(seconds)
    for name in pricing.multiplied_by:
        text += f", times {md_code(wire_name(fields, name) or name)}"
    return f"{text} (stated in {md_code(str(pricing.location))})."


def example_input(model: Model) -> dict[str, JsonValue]:
    """An input to show: the document's fullest example, else one built from the fields."""
    wires = {f.wire_name for f in model.inputs}
    candidates: list[dict[str, JsonValue]] = [
        e for e in model.input_examples if isinstance(e, dict) and set(e) <= wires and e
    ]
    fullest: dict[str, JsonValue] = max(candidates, key=len) if candidates else {}
    # In the model's field order: the same call whatever order the example's keys came in
    # (the registry snapshot a kept model is read back from sorts them).
    return {
        field.wire_name: fullest[field.wire_name]
        if field.wire_name in fullest
        else placeholder(field)
        for field in model.inputs
        if field.wire_name in fullest or field.required
    }


def placeholder(field: Field) -> JsonValue:
    """A plausible value for a field no example shows."""
    if field.has_default and field.default is not None:
        return field.default
    if field.allowed:
        return field.allowed[0]
    if field.examples:
        return field.examples[0]
    kind = field.type.kind
    if kind is TypeKind.FILE or field.wire_name.endswith("_url"):
        name = _PLACEHOLDER_MEDIA.get(field.type.media or "", "input.bin")
        return f"https://example.com/{name}"
    if kind in (TypeKind.INTEGER, TypeKind.NUMBER):
        low = field.minimum if field.minimum is not None else 1
        return int(low) if kind is TypeKind.INTEGER else low
    if kind is TypeKind.BOOLEAN:
        return False
    if kind is TypeKind.ARRAY:
        return []
    if kind is TypeKind.OBJECT:
        return {}
    return "..."


def _python_call(
    model: Model, provider: Provider, package: str, example: dict[str, JsonValue]
) -> str:
    by_wire = {f.wire_name: f.python_name for f in model.inputs}
    arguments = []
    for wire, value in example.items():
        try:
            arguments.append(f"        {by_wire[wire]}={py_literal(value)},")
        except UnsafeLiteralError:
            continue
    module = f"{package}.{provider.name}.client"
    lines = [
        f"from {module} import {provider.client_class}",
        "",
        f"with {provider.client_class}() as client:  # credentials from the environment",
        f"    output = client.{model.method_name}(",
        *arguments,
        "    )",
    ]
    return "\n".join(lines)


def _payload(model: Model, example: dict[str, JsonValue]) -> str:
    envelope = {"model": model.ref, "input": example}
    try:
        return json.dumps(envelope, indent=2, ensure_ascii=False, allow_nan=False)
    except ValueError:
        return json.dumps({"model": model.ref, "input": {}}, indent=2)
