"""Registry stage: loaded documents + overlay -> one frozen Registry.

Documents about the same ``provider:model id`` are merged (OpenAPI first, then
model pages), gateway endpoint templates are applied to the models they serve,
overlay rules and pricing are attached, and every Python name is assigned by
:mod:`generator.registry.naming`. A model is left out of the registry when any
document describing it has an error; the other models are still built. (The
pipeline then puts back the model as it was last generated: ``kept``.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from musicbind.generator.load.records import (
    DocumentKind,
    JsonValue,
    Level,
    Location,
    SpecDocument,
    SpecModel,
    SpecOperation,
    SpecParam,
    SpecPrice,
    SpecProblem,
    SpecProvider,
    SpecShape,
)
from musicbind.generator.project_files.overlay import (
    ModelFacts,
    Overlay,
    ProviderFacts,
    layer_overlays,
)
from musicbind.generator.registry import naming
from musicbind.generator.registry.build_cache import ModelCache, model_key
from musicbind.generator.registry.field_checks import check_field
from musicbind.generator.registry.merge import Merged, authority, merge_params
from musicbind.generator.registry.model import (
    CrossFieldRule,
    Field,
    Model,
    Pricing,
    Provider,
    Registry,
    Shape,
)
from musicbind.generator.registry.pricing import overlay_pricing, page_pricing
from musicbind.generator.registry.stated_rules import apply_bounds, combine_rules, document_rules
from musicbind.runtime.jobstate import JobState

# The gateway's request body carries the model id itself; the client fills it in.
_MODEL_SELECTOR = "model"


@dataclass(frozen=True, slots=True)
class _Source:
    model: SpecModel
    kind: DocumentKind
    path: str
    sha256: str  # the document's bytes
    index: int  # the model's place in its document's models


# A document whose models may be summaries (see :func:`generator.load.cache.summary`)
# -> the whole document, read only when one of its models is merged.
Whole = Callable[[SpecDocument], SpecDocument]


def build_registry(
    documents: Sequence[SpecDocument],
    overlay: Overlay,
    *,
    bundled: Overlay | None = None,
    kept: Registry | None = None,
    cache: ModelCache | None = None,
    whole: Whole | None = None,
) -> Registry:
    """Build the registry; problems from documents, overlay and merging are all kept.

    ``bundled``: musicbind's own overlay, beneath ``overlay`` (which wins per provider and per
    model). Its protocols serve the documents of those providers and its model facts the
    models the documents describe; facts about models no document names are not the
    project's problem, while ``overlay``'s are reported (a typo in a model ref).

    ``kept``: models kept as they were last generated (see :mod:`generator.last_good`),
    with their providers. They join the registry as they are, their module names are
    reserved first, and the documents' statements about them are not read.

    ``cache``: merged models of earlier runs; a model whose documents and overlay facts
    are unchanged is taken from it instead of merged again (the registry is the same).

    ``whole``: given when ``documents`` are summaries (each model only names itself); it
    gives the whole document when a model is not in ``cache`` and must be merged.
    """
    overlay, quiet = layer_overlays(bundled, overlay)
    held = {m.ref: m for m in kept.models} if kept is not None else {}
    problems: list[SpecProblem] = [p for doc in documents for p in doc.problems]
    failed = {doc.path for doc in documents if any(p.level is Level.ERROR for p in doc.problems)}
    templates: dict[tuple[str, str], list[_Source]] = {}
    sources: dict[tuple[str, str], list[_Source]] = {}
    for doc in documents:
        for index, spec in enumerate(doc.models):
            if f"{spec.provider}:{spec.model_id}" in held and not spec.endpoint_template:
                continue
            key = (spec.provider, spec.endpoint or spec.model_id)
            target = templates if spec.endpoint_template else sources
            bucket = target.setdefault(
                key if spec.endpoint_template else (spec.provider, spec.model_id), []
            )
            bucket.append(_Source(spec, doc.kind, doc.path, doc.sha256, index))
    providers = _providers(overlay, documents, problems)
    facts = {m.ref: m for m in overlay.models}
    models: list[Model] = list(held.values())
    module_scopes: dict[str, naming.Scope] = {}
    whole_source = _wholes(documents, whole)
    for held_model in models:  # first: a kept model's module keeps its name
        name = held_model.provider
        module_scopes.setdefault(name, naming.Scope({"client", "__init__"})).claim(
            held_model.module_name
        )
        if name not in providers and kept is not None:
            providers.update((p.name, p) for p in kept.providers if p.name == name)
    for (provider, model_id), group in sorted(sources.items()):
        group.sort(key=lambda s: (authority(s.kind), s.path))
        ref = f"{provider}:{model_id}"
        if any(s.path in failed for s in group):
            where = ", ".join(sorted({s.path for s in group if s.path in failed}))
            problems.append(_skip(group[0].model.location, ref, f"{where} has errors"))
            continue
        if provider not in providers:
            problems.append(
                _error(
                    group[0].model.location,
                    f"{ref}: provider {provider!r} has no protocol in the overlay "
                    "(statuses, auth, base_url)",
                )
            )
            continue
        template = _template_for(group, templates)
        if any(s.path in failed for s in template):
            where = ", ".join(sorted({s.path for s in template if s.path in failed}))
            problems.append(_skip(group[0].model.location, ref, f"{where} has errors"))
            continue
        scope = module_scopes.setdefault(provider, naming.Scope({"client", "__init__"}))
        merge = _Merge(ref, group, template, facts.get(ref), whole_source)
        model = _reused_or_built(merge, problems, cache)
        if model is not None:
            models.append(_claim_module(model, scope))
    for ref in sorted(set(facts) - {m.ref for m in models} - quiet):
        if not any(p.message.startswith(ref) for p in problems):
            problems.append(
                SpecProblem(
                    Level.WARNING,
                    facts[ref].location,
                    f"{ref}: overlay names a model no document describes",
                )
            )
    used = {m.provider for m in models}
    return Registry(
        providers=tuple(p for name, p in sorted(providers.items()) if name in used),
        models=tuple(sorted(models, key=lambda m: m.ref)),
        problems=tuple(sorted(set(problems), key=_problem_order)),
    )


def _problem_order(problem: SpecProblem) -> tuple[str, int, int, str, str]:
    loc = problem.location
    return (loc.path, loc.line or 0, loc.column or 0, loc.pointer or "", problem.message)


def _error(location: Location, message: str) -> SpecProblem:
    return SpecProblem(Level.ERROR, location, message)


def _skip(location: Location, ref: str, why: str) -> SpecProblem:
    return SpecProblem(Level.WARNING, location, f"{ref}: not generated because {why}")


def _providers(
    overlay: Overlay, documents: Sequence[SpecDocument], problems: list[SpecProblem]
) -> dict[str, Provider]:
    """Providers by package name: the overlay's, and those bound from their OpenAPI document
    alone (``adapter="openapi"``), where what the overlay sets wins over the document."""
    stated: dict[str, SpecProvider] = {}
    for doc in sorted(documents, key=lambda d: d.path):
        if doc.provider_facts is not None and doc.provider and doc.models:
            stated.setdefault(doc.provider, doc.provider_facts)
    given = {facts.name: facts for facts in overlay.providers}
    result: dict[str, Provider] = {}
    for name in sorted(set(given) | set(stated)):
        facts, document = given.get(name), stated.get(name)
        try:
            package = naming.provider_package(name)
        except ValueError as exc:
            where = facts.location if facts is not None else Location("")
            problems.append(_error(document.location if document else where, str(exc)))
            continue
        provider: Provider | None = None
        if document is not None:
            provider = _generic_provider(package, document, facts, problems)
        elif facts is not None:
            provider = _overlay_provider(package, facts, problems)
        if provider is not None:
            result[package] = provider
    return result


def _overlay_provider(
    package: str, facts: ProviderFacts, problems: list[SpecProblem]
) -> Provider | None:
    missing = [
        key
        for key, value in (
            ("base_url", facts.base_url),
            ("auth", facts.auth),
            ("statuses", facts.statuses),
        )
        if not value
    ]
    if missing:
        problems.append(
            _error(
                facts.location,
                f"provider {facts.name!r} needs {', '.join(missing)} in the overlay: no "
                "OpenAPI document of this provider states them",
            )
        )
        return None
    display = facts.display_name or facts.name
    return Provider(
        name=package,
        display_name=display,
        client_class=naming.client_class(package, display),
        base_url=facts.base_url or "",
        auth=facts.auth or "",
        statuses=facts.statuses,
        auth_name=facts.auth_name,
        key_env=facts.key_env,
    )


def _generic_provider(
    package: str,
    document: SpecProvider,
    facts: ProviderFacts | None,
    problems: list[SpecProblem],
) -> Provider:
    statuses = {word: JobState(state) for word, state in document.statuses}
    if facts is not None:
        statuses.update(facts.statuses)
    auth, auth_name = document.auth, document.auth_name
    if facts is not None and facts.auth is not None:
        auth, auth_name = facts.auth, facts.auth_name
    base_url = (facts.base_url if facts is not None else None) or document.base_url
    if not base_url:
        problems.append(
            SpecProblem(
                Level.WARNING,
                document.location,
                f"provider {package!r}: the document states no server URL; set base_url for "
                f"it in the overlay, or MUSICBIND_{package.upper()}_BASE_URL when calling",
            )
        )
    display = (facts.display_name if facts is not None else None) or document.display_name
    display = display or package
    return Provider(
        name=package,
        display_name=display,
        client_class=naming.client_class(package, display),
        base_url=base_url,
        auth=auth,
        statuses=tuple(sorted(statuses.items())),
        adapter="openapi",
        auth_name=auth_name,
        key_env=facts.key_env if facts is not None else None,
    )


def _template_for(
    group: Sequence[_Source], templates: dict[tuple[str, str], list[_Source]]
) -> list[_Source]:
    for source in group:
        if source.model.endpoint is not None:
            found = templates.get((source.model.provider, source.model.endpoint))
            if found:
                return sorted(found, key=lambda s: (authority(s.kind), s.path))
    return []


@dataclass(frozen=True, slots=True)
class _Merge:
    """One model's merge: its ref, documents, endpoint template, overlay facts, and how
    its sources' whole models are read (see :data:`Whole`)."""

    ref: str
    group: Sequence[_Source]
    template: Sequence[_Source]
    facts: ModelFacts | None
    whole: Callable[[_Source], _Source]

    def build(self, problems: list[SpecProblem]) -> Model | None:
        group = [self.whole(s) for s in self.group]
        template = [self.whole(s) for s in self.template]
        return _build_model(self.ref, group, template, self.facts, problems)


def _wholes(documents: Sequence[SpecDocument], whole: Whole | None) -> Callable[[_Source], _Source]:
    """A source with its document's whole model (itself when documents are whole)."""
    if whole is None:
        return lambda source: source
    by_path = {doc.path: doc for doc in documents}
    read: dict[str, SpecDocument] = {}

    def whole_source(source: _Source) -> _Source:
        document = read.get(source.path)
        if document is None:
            document = read[source.path] = whole(by_path[source.path])
        model = document.models[source.index]
        if model.model_id != source.model.model_id:
            raise ValueError(f"{source.path}: its summary and its document differ")
        return replace(source, model=model)

    return whole_source


def _reused_or_built(
    merge: _Merge, problems: list[SpecProblem], cache: ModelCache | None
) -> Model | None:
    """The merged model (and its problems, added to ``problems``), from ``cache`` when the
    documents and overlay facts it is built from are unchanged."""
    roles = [("template", s) for s in merge.template] + [("model", s) for s in merge.group]
    if cache is None or not all(s.sha256 for _, s in roles):
        return merge.build(problems)
    key = model_key(merge.ref, ((role, s.path, s.sha256) for role, s in roles), merge.facts)
    found = cache.get(key)
    if found is not None:
        problems.extend(found[1])
        return found[0]
    count = len(problems)
    model = merge.build(problems)
    cache.put(key, (model, tuple(problems[count:])))
    return model


def _claim_module(model: Model, scope: naming.Scope) -> Model:
    """``model`` with its module name claimed in its provider's package (``_2``... when an
    earlier model's name is the same)."""
    module = scope.claim(model.module_name)
    if module == model.module_name:
        return model
    return replace(model, module_name=module, method_name=naming.method_name(module))


def _build_model(
    ref: str,
    group: Sequence[_Source],
    template: Sequence[_Source],
    facts: ModelFacts | None,
    problems: list[SpecProblem],
) -> Model | None:
    """One model merged from its documents, with its overlay facts; its module name is
    the unclaimed one (see :func:`_claim_module`)."""
    first = group[0].model
    count = len(problems)
    ordered = [*template, *group]
    inputs = _merge_fields(
        [s.model.inputs for s in ordered if s.model.inputs is not None],
        [s.kind for s in ordered if s.model.inputs is not None],
        f"{ref} input",
        problems,
        drop={_MODEL_SELECTOR} if template else set(),
    )
    with_outputs = [s for s in ordered if s.model.outputs is not None]
    outputs = (
        _merge_fields(
            [s.model.outputs or () for s in with_outputs],
            [s.kind for s in with_outputs],
            f"{ref} output",
            problems,
        )
        if with_outputs
        else None
    )
    overlay_job = facts is not None and facts.job is not None
    if overlay_job and first.operation is not None and first.operation.answer != "job":
        outputs = None  # the document's answer is the job's id, not its result
    shapes = _merge_shapes(ordered, ref, problems)
    for merged_field in [*inputs, *(outputs or [])]:
        problems.extend(check_field(merged_field.param, ref))
    if any(p.level is Level.ERROR for p in problems[count:]):
        problems.append(_skip(first.location, ref, "of the errors above"))
        return None
    input_fields = _fields(inputs)
    rules, pricing = _overlay(ref, facts, input_fields, problems)
    input_fields = apply_bounds(input_fields, rules)
    if any(p.level is Level.ERROR for p in problems[count:]):
        problems.append(_skip(first.location, ref, "of the errors above"))
        return None
    # A model page describes the model; an OpenAPI document's info describes the document.
    pages = sorted(group, key=lambda s: s.kind is DocumentKind.OPENAPI)
    module = naming.module_name(first.model_id)
    stem = naming.class_stem(first.model_id)
    class_scope = naming.Scope(naming.RESERVED_CLASS_NAMES)
    input_class = class_scope.claim(f"{stem}Input")
    checked = any(rule.checked_by_validator for rule in rules)
    fields_class = class_scope.claim(f"{stem}InputFields") if checked else None
    output_class = class_scope.claim(f"{stem}Output") if outputs is not None else None
    shape_records = tuple(
        Shape(
            s.name,
            class_scope.claim(naming.pascal(s.name, fallback="Shape")),
            _fields(f),
            s.description,
        )
        for s, f in shapes
    )
    return Model(
        ref=ref,
        provider=first.provider,
        model_id=first.model_id,
        module_name=module,
        method_name=naming.method_name(module),
        input_class=input_class,
        input_fields_class=fields_class,
        output_class=output_class,
        title=next((s.model.title for s in pages if s.model.title), first.model_id),
        description=next((s.model.description for s in pages if s.model.description), ""),
        category=next((s.model.category for s in group if s.model.category), None),
        capabilities=next((s.model.capabilities for s in group if s.model.capabilities), ()),
        inputs=input_fields,
        outputs=_fields(outputs) if outputs is not None else None,
        shapes=shape_records,
        rules=rules,
        pricing=pricing or page_pricing(_page_price(group), input_fields),
        input_examples=_examples(group, first.model_id, {f.wire_name for f in input_fields}),
        sources=tuple(sorted({s.path for s in ordered})),
        operation=_operation(ref, [*group, *template], facts, problems),
    )


def _operation(
    ref: str, group: Sequence[_Source], facts: ModelFacts | None, problems: list[SpecProblem]
) -> SpecOperation | None:
    """A generic provider's call; the overlay's ``job`` says how a job is read when the
    document does not show it."""
    operation = next((s.model.operation for s in group if s.model.operation), None)
    if facts is None or facts.job is None:
        return operation
    if operation is None:
        problems.append(
            SpecProblem(
                Level.WARNING,
                facts.location,
                f"{ref}: the overlay's job applies only to a provider bound from its OpenAPI "
                "document alone; ignored",
            )
        )
        return None
    return replace(operation, answer="job", media_type=None, job=facts.job)


def _merge_fields(
    groups: Sequence[Sequence[SpecParam]],
    kinds: Sequence[DocumentKind],
    context: str,
    problems: list[SpecProblem],
    drop: set[str] | None = None,
) -> list[Merged]:
    merged = merge_params(groups, kinds, context, problems)
    return [m for m in merged if m.param.wire_name not in (drop or set())]


def _fields(merged: Iterable[Merged]) -> tuple[Field, ...]:
    items = list(merged)
    names = naming.attribute_names(m.param.wire_name for m in items)
    return tuple(_field(m, name) for m, name in zip(items, names, strict=True))


def _field(merged: Merged, python_name: str) -> Field:
    p = merged.param
    return Field(
        wire_name=p.wire_name,
        python_name=python_name,
        type=p.type,
        required=p.required,
        description=p.description,
        has_default=p.has_default,
        default=p.default,
        allowed=p.allowed,
        minimum=p.minimum,
        maximum=p.maximum,
        exclusive_minimum=p.exclusive_minimum,
        exclusive_maximum=p.exclusive_maximum,
        min_length=p.min_length,
        max_length=p.max_length,
        min_items=p.min_items,
        max_items=p.max_items,
        pattern=p.pattern,
        examples=p.examples,
        provenance=merged.provenance,
    )


def _merge_shapes(
    ordered: Sequence[_Source], ref: str, problems: list[SpecProblem]
) -> list[tuple[SpecShape, list[Merged]]]:
    by_name: dict[str, list[tuple[SpecShape, DocumentKind]]] = {}
    for source in ordered:
        for shape in source.model.shapes:
            by_name.setdefault(shape.name, []).append((shape, source.kind))
    result = []
    for name, stated in sorted(by_name.items()):
        merged = merge_params(
            [s.fields for s, _ in stated], [k for _, k in stated], f"{ref} shape {name}", problems
        )
        result.append((stated[0][0], merged))
    return result


def _overlay(
    ref: str, facts: ModelFacts | None, inputs: Sequence[Field], problems: list[SpecProblem]
) -> tuple[tuple[CrossFieldRule, ...], Pricing | None]:
    """The model's rules (its sentences', merged with the overlay's) and its overlay price."""
    prose, _ = document_rules(inputs)
    rules = combine_rules(ref, prose, facts.rules if facts else (), inputs, problems)
    if facts is None:
        return rules, None
    by_wire = {f.wire_name: f for f in inputs}
    pricing = overlay_pricing(ref, facts.pricing, by_wire, problems) if facts.pricing else None
    return rules, pricing


def _page_price(group: Sequence[_Source]) -> SpecPrice | None:
    return next((s.model.price for s in group if s.model.price), None)


def _examples(group: Sequence[_Source], model_id: str, inputs: set[str]) -> tuple[JsonValue, ...]:
    """Example payloads, without the gateway's model selector (the client fills it in)."""
    seen: list[JsonValue] = []
    for source in group:
        for example in source.model.input_examples:
            if isinstance(example, dict) and _MODEL_SELECTOR not in inputs:
                example = {k: v for k, v in example.items() if k != _MODEL_SELECTOR}
            if example not in seen:
                seen.append(example)
    return tuple(seen)


def replace_problems(registry: Registry, problems: Iterable[SpecProblem]) -> Registry:
    """A copy of ``registry`` with more problems (sorted, deduplicated)."""
    merged = sorted({*registry.problems, *problems}, key=_problem_order)
    return replace(registry, problems=tuple(merged))
