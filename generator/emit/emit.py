"""Emit stage: Registry -> {relative path: text}. Pure: only the writer touches disk.

Model modules come from :mod:`generator.emit.model_module` (datamodel-code-generator or
the direct writer for the classes, in worker processes when there are many); the clients
(:mod:`generator.emit.client`), the reference pages (:mod:`generator.emit.docs`) and the
package and provider ``__init__`` modules are planned files rendered from jinja2 templates
(:mod:`generator.emit.environment`). Every spec-derived value passes through
:func:`generator.emit.literals.py_literal` or ``docstring``; every module passes the safety
gate after ruff has formatted it, batch by batch, ruff formatting one batch while the next
is rendered (:mod:`generator.emit.pipeline`; a module whose code, header comments aside, is
what this generator wrote and gated last time is not checked twice). A file whose cache key (all it
shows: its documents' hashes, its names, the generator hash) matches a previous run's is
reused as it is, so regenerating after one change costs that model's files and the short
lists that name every model.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from itertools import chain
from typing import Any, NamedTuple, TypeVar

from musicbind.generator.collector import frozen
from musicbind.generator.emit.client import client_files, client_groups
from musicbind.generator.emit.docs import reference_files
from musicbind.generator.emit.environment import (
    EmitContext,
    PlannedFile,
    digest,
    header,
    template_file,
)
from musicbind.generator.emit.model_module import render_model
from musicbind.generator.emit.pipeline import formatted_and_gated
from musicbind.generator.emit.pydantic_models import ModelClasses, direct_model_classes
from musicbind.generator.emit.texts import Texts
from musicbind.generator.registry.model import Model, Provider, Registry
from musicbind.generator.snapshot.snapshot_file import (
    SNAPSHOT_NAME,
    head_text,
    shard_path,
    shard_text,
)

# Below this many models for datamodel-code-generator (~15 ms each), worker processes cost
# more than they save.
PARALLEL_THRESHOLD = 48


_Job = TypeVar("_Job")
_Result = TypeVar("_Result")

RUNTIME_API = 1  # the runtime API emitted packages use (runtime.index.API_VERSIONS)


@dataclass(frozen=True, slots=True)
class Emitted:
    """The emitted tree plus each model module's cache key.

    ``files``: the texts this run rendered (and the kept models' modules, see
    :mod:`generator.last_good`); ``kept``: path -> sha256 of files the output folder
    already holds as this run would write them (their key matches, and their recorded
    stamp or their bytes match the manifest's hash: see :func:`generator.write.reuse_from`).
    """

    files: Mapping[str, str]
    keys: dict[str, str]
    kept: dict[str, str] = field(default_factory=dict)

    def paths(self) -> set[str]:
        """Every path of the tree."""
        return {*self.files, *self.kept}


class Unread(NamedTuple):
    """What a reuse callback gives for a file the output folder already holds as this run
    would write it (the writer leaves it as it is)."""

    sha256: str


Reuse = Callable[[str, str], "Unread | None"]


def shared_inputs_key(registry: Registry, context: EmitContext) -> str:
    """Hash of what every file depends on: the inputs that are no model's document (overlay,
    manifest), the generator, and the regenerate command and package name files show."""
    documents = {path for model in registry.models for path in model.sources}
    shared = sorted((p, h) for p, h in context.sources.items() if p not in documents)
    return digest(
        context.generator_hash,
        context.version,
        context.regenerate,
        context.package,
        *(f"{p}={h}" for p, h in shared),
    )


def model_key(model: Model, context: EmitContext, shared: str) -> str:
    """Cache key of a model module: its documents' bytes, its names, the shared inputs.

    The registry record is a function of exactly these (the module and method names also
    depend on the other models of the provider, so they are part of the key).
    """
    hashes = [f"{path}={context.sources.get(path, '')}" for path in model.sources]
    names = [model.ref, model.module_name, model.method_name]
    return digest(shared, *names, *hashes)


def model_path(model: Model) -> str:
    """Relative path of a model's module."""
    return f"{model.provider}/{model.module_name}.py"


def _render_job(job: tuple[Model, str]) -> str:
    return render_model(*job)


def emit(
    registry: Registry,
    context: EmitContext,
    reuse: Reuse | None = None,
    package_sources: list[str] | None = None,
    pinned: Mapping[str, tuple[str, str]] | None = None,
    gated: Callable[[str], str | None] | None = None,
) -> Emitted:
    """Every generated file for ``registry``; ``reuse(path, key)`` says (:class:`Unread`)
    when the file on disk is the one a run would write for ``key``.

    ``pinned``: model module path -> (key, text) of models kept from the last good state;
    they are taken as they are. Every other file's key covers all the file shows (its
    header too), so a reused file is always the file a clean run would write.
    ``gated(path)``: the text this generator wrote at ``path`` last time, which passed the
    safety gate then; a module that differs from it only in its header comments (the
    documents' hashes) is not checked again.
    """
    files = Texts()  # held compressed until written (see generator.emit.texts)
    keys: dict[str, str] = {}
    kept: dict[str, str] = {}
    pending: dict[str, tuple[Model, str]] = {}
    shared = shared_inputs_key(registry, context)

    def cached(path: str, key: str) -> bool:
        keys[path] = key
        found = reuse(path, key) if reuse else None
        if found is not None:
            kept[path] = found.sha256
        return found is not None

    for model in registry.models:
        path = model_path(model)
        if pinned and path in pinned:
            keys[path], files[path] = pinned[path]
            continue
        if not cached(path, model_key(model, context, shared)):
            pending[path] = (model, header(context, list(model.sources)))
    model_batches = _rendered_models(pending)
    model_keys = {model.ref: keys[model_path(model)] for model in registry.models}
    planned: list[PlannedFile] = []
    for provider in registry.providers:
        models = [m for m in registry.models if m.provider == provider.name]
        planned.append(_provider_init(provider, models, context, shared, model_keys))
        if models:
            planned += client_files(provider, models, context, shared, model_keys)
    planned.append(_package_init(registry, context, shared, model_keys, package_sources))
    planned += reference_files(registry, context, shared, model_keys)
    missing = [file for file in planned if not cached(file.path, file.key)]
    modules = len(pending) + sum(file.path.endswith(".py") for file in missing)
    snapshot = snapshot_files(registry, shared, model_keys)
    snapshot = [file for file in snapshot if not cached(file.path, file.key)]

    def write_snapshot() -> None:  # plain JSON: neither ruff nor the gate reads it
        files.update((file.path, file.render()) for file in snapshot)

    batches = chain(model_batches, _rendered(missing), _then(write_snapshot))
    files.merge(formatted_and_gated(batches, gated, modules))
    files[TYPED_MARKER] = ""  # PEP 561: the user's type checker reads the bindings' types
    return Emitted(files.in_order(), keys, kept)


TYPED_MARKER = "py.typed"
# Files rendered, formatted and gated together (see generator.emit.pipeline): ruff formats
# one batch while the next is rendered; bounds the texts held twice.
RENDER_BATCH = 500


def _then(work: Callable[[], None]) -> Iterator[dict[str, str]]:
    """No batch: runs ``work`` when the batch after the last is asked for, that is while
    ruff formats the last batch (see :func:`generator.emit.pipeline.formatted_and_gated`)."""
    work()
    yield from ()


def _rendered(planned: list[PlannedFile]) -> Iterator[dict[str, str]]:
    """The planned files' texts, a batch at a time, rendered when the batch is asked for."""
    for start in range(0, len(planned), RENDER_BATCH):
        yield {file.path: file.render() for file in planned[start : start + RENDER_BATCH]}


def _provider_init(
    provider: Provider,
    models: list[Model],
    context: EmitContext,
    shared: str,
    model_keys: Mapping[str, str],
) -> PlannedFile:
    head = header(context, sorted({s for m in models for s in m.sources}))
    return template_file(
        f"{provider.name}/__init__.py",
        digest(shared, repr(provider), head, *(model_keys[m.ref] for m in models)),
        "provider_init.py.j2",
        header=head,
        provider=provider,
        models=models,
    )


def snapshot_files(
    registry: Registry, shared: str, model_keys: Mapping[str, str]
) -> list[PlannedFile]:
    """The registry snapshot: its head and a shard per client group of each provider,
    keyed by its models' keys (one changed model rewrites its shard alone)."""
    shards: list[PlannedFile] = []
    for provider in registry.providers:
        models = [m for m in registry.models if m.provider == provider.name]
        for group, members in client_groups(models).items():
            path = shard_path(provider.name, group)
            key = digest(shared, path, *(model_keys[m.ref] for m in members))
            shards.append(PlannedFile(path, key, partial(shard_text, members)))
    paths = [file.path for file in shards]
    head_key = digest(shared, *(repr(p) for p in registry.providers), *paths)
    return [PlannedFile(SNAPSHOT_NAME, head_key, partial(head_text, registry, paths)), *shards]


def _package_init(
    registry: Registry,
    context: EmitContext,
    shared: str,
    model_keys: Mapping[str, str],
    package_sources: list[str] | None,
) -> PlannedFile:
    """The package ``__init__``."""
    all_sources = package_sources if package_sources is not None else sorted(context.sources)
    head = header(context, all_sources)
    index_head = header(context, sorted({s for m in registry.models for s in m.sources}))
    return template_file(
        "__init__.py",
        digest(shared, head, index_head, *(model_keys[m.ref] for m in registry.models)),
        "package_init.py.j2",
        header=head,
        models=registry.models,
        runtime_api=RUNTIME_API,
    )


def _rendered_models(pending: Mapping[str, tuple[Model, str]]) -> Iterator[dict[str, str]]:
    """Model modules, unformatted, a batch at a time: plain schemas written here when the
    batch is asked for, the rest by datamodel-code-generator now (in worker processes when
    there are many: forked before the caller's formatting thread starts)."""
    direct: dict[str, ModelClasses] = {}
    slow: list[tuple[str, tuple[Model, str]]] = []
    for path, (model, head) in pending.items():
        classes = direct_model_classes(model)
        if classes is None:
            slow.append((path, (model, head)))
        else:
            direct[path] = classes
    texts = dict(
        zip(
            [path for path, _ in slow],
            _in_workers(_render_job, [job for _, job in slow]),
            strict=True,
        )
    )
    return _model_batches(pending, direct, texts)


def _model_batches(
    pending: Mapping[str, tuple[Model, str]],
    direct: dict[str, ModelClasses],
    texts: dict[str, str],
) -> Iterator[dict[str, str]]:
    paths = list(pending)
    for start in range(0, len(paths), RENDER_BATCH):
        batch: dict[str, str] = {}
        for path in paths[start : start + RENDER_BATCH]:
            classes = direct.pop(path, None)
            text = texts.pop(path, "") if classes is None else render_model(*pending[path], classes)
            batch[path] = text
        yield batch


def _in_workers(
    function: Callable[[_Job], _Result], jobs: list[_Job], threshold: int = PARALLEL_THRESHOLD
) -> list[_Result]:
    """``[function(job) for job in jobs]``, in worker processes from ``threshold`` jobs on."""
    workers = min(os.cpu_count() or 1, 8)
    if len(jobs) < threshold or workers < 2:
        return [function(job) for job in jobs]
    chunk = max(1, min(64, len(jobs) // (workers * 4)))
    # Forked workers share the parent's memory until they write to it; the collector's
    # passes over the parent's objects would write to every page: they are frozen first.
    with frozen(), ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(function, jobs, chunksize=chunk))


def as_json(value: Any) -> str:
    """Stable JSON text (sorted keys, two-space indent, trailing newline)."""
    return json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
