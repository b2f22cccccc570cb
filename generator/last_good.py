"""Pipeline: the last good state, kept for every model a document with errors contributes to.

When a document has errors, each model it contributed to in the last run keeps the files
it was last generated as, byte for byte: nothing is deleted and nothing is rebuilt from
the remaining documents (a fal model whose OpenAPI document breaks is not rebuilt from its
page alone). A model whose own build fails (a conflict between its documents, an overlay
field it lacks) is kept the same way. When a shared input (the manifest, an overlay) has
errors, every model is kept. The other models regenerate normally.

The last state is the output folder's own: the registry snapshot (``_registry.json`` and
its shards) holds each model's record, ``_manifest.json`` each file's key and bytes and each
input's hash. A kept model's record joins the registry as it was (so the provider's client,
``__init__`` and reference page still carry it), its module is taken as it is (``pinned``),
and its documents keep their last hashes in headers and in the manifest, which also lists
the kept models and the inputs with errors: ``check`` fails while they are there, and the
first run after the fix regenerates the kept files. A model with no last state is not
generated until then.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from musicbind.generator.freshness import (
    Manifest,
    UnsafePathError,
    read_manifest,
    safe_target,
    sha,
)
from musicbind.generator.load.records import Level, SpecDocument, SpecProblem
from musicbind.generator.registry.build import replace_problems
from musicbind.generator.registry.model import Model, Registry
from musicbind.generator.snapshot.snapshot_file import SNAPSHOT_NAME, read_snapshot

_NOT_GENERATED = ": not generated because "

# Builds the registry from this run's documents, with the given kept models (or none).
Build = Callable[[Registry | None], Registry]


class LastState:
    """What the output folder was last generated as: its manifest and registry snapshot.

    The snapshot is read when first asked for: a run whose documents have no errors
    never needs it (on a large catalogue, reading it costs as much as a small change).
    """

    def __init__(self, out: Path, manifest: Manifest, registry: Registry | None = None) -> None:
        self.out = out
        self.manifest = manifest
        self._registry = registry
        self._read = registry is not None

    @property
    def readable(self) -> bool:
        """Whether the registry snapshot could be read."""
        return self._snapshot() is not None

    @property
    def registry(self) -> Registry:
        """The last registry (empty when the snapshot cannot be read)."""
        return self._snapshot() or Registry((), (), ())

    def _snapshot(self) -> Registry | None:
        if not self._read:
            self._registry, _ = read_snapshot(self.out)
            self._read = True
        return self._registry

    def models(self, refs: Iterable[str]) -> list[Model]:
        """The last records of those of ``refs`` that were generated, sorted by ref."""
        wanted = set(refs)
        if not wanted:
            return []
        return [m for m in self.registry.models if m.ref in wanted]


def read_last_state(out: Path) -> LastState | None:
    """The last state of ``out``; None when there is none (its snapshot is read lazily)."""
    manifest = read_manifest(out)
    if manifest is None or SNAPSHOT_NAME not in manifest.files:
        return None
    return LastState(out, manifest)


@dataclass(frozen=True, slots=True)
class KeptModel:
    """A model kept as last generated, and the errors that hold it."""

    ref: str
    path: str  # its module, relative to the output folder
    errors: tuple[SpecProblem, ...]

    def reason(self) -> str:
        """Where the first error is: ``specs/x.md:27 has errors`` (and how many more)."""
        if not self.errors:
            return "the specs have errors"
        more = len(self.errors) - 1
        return f"{self.errors[0].location} has errors" + (f" (and {more} more)" if more else "")


@dataclass(frozen=True, slots=True)
class Held:
    """What a run keeps: the models, their modules' (key, text), the inputs as headers show."""

    kept: tuple[KeptModel, ...] = ()
    pinned: dict[str, tuple[str, str]] = field(default_factory=dict)
    inputs: dict[str, str] = field(default_factory=dict)  # display path -> sha256

    def record(self) -> dict[str, dict[str, list[str]]]:
        """The manifest's ``kept`` table: ref -> its files and where its errors are."""
        return {
            k.ref: {"files": [k.path], "because": sorted({str(e.location) for e in k.errors})}
            for k in self.kept
        }


def keep_last_good(
    documents: Sequence[SpecDocument],
    setup: Sequence[SpecProblem],
    inputs: Mapping[str, str],
    last: LastState | None,
    build: Build,
) -> tuple[Registry, Held]:
    """The registry to emit and what it keeps from ``last``.

    ``setup``: the problems found reading the manifest and overlays (and locating the
    documents); ``inputs``: this run's input hashes.
    """
    paths = {d.path for d in documents}
    failed = {d.path for d in documents if any(p.level is Level.ERROR for p in d.problems)}
    failed |= {p.location.path for p in setup if p.level is Level.ERROR} & paths
    shared = [p for p in setup if p.level is Level.ERROR and p.location.path not in paths]
    if last is None or ((shared or failed) and not last.readable):
        return replace_problems(build(None), setup), Held(inputs=dict(sorted(inputs.items())))
    if shared:  # the manifest or an overlay: every model keeps its last state
        built = build(None)
        problems = [*built.problems, *setup]
        kept = list(last.registry.models)
        held = _hold(last, kept, shared, last.manifest.inputs, set())
        registry = replace(last.registry, problems=())
        return replace_problems(registry, _without_not_generated(problems, held)), held
    held_models = [m for m in last.registry.models if failed & set(m.sources)] if failed else []
    first = build(_kept(last, held_models))
    problems = [*first.problems, *setup]
    skipped = _attempted(documents) - {m.ref for m in first.models}
    failing = last.models(skipped)
    registry = build(_kept(last, held_models + failing)) if failing else first
    held = _hold(last, held_models + failing, problems, inputs, failed)
    return replace_problems(registry, _without_not_generated(problems, held)), held


def error_paths(problems: Iterable[SpecProblem]) -> list[str]:
    """The inputs (display paths) that have errors, sorted."""
    return sorted({p.location.path for p in problems if p.level is Level.ERROR})


def _attempted(documents: Sequence[SpecDocument]) -> set[str]:
    """Every model the documents describe (endpoint templates are not models)."""
    return {
        f"{m.provider}:{m.model_id}" for d in documents for m in d.models if not m.endpoint_template
    }


def _kept(last: LastState, models: Sequence[Model]) -> Registry | None:
    """The kept records with the providers they were generated with."""
    if not models:
        return None
    return Registry(providers=last.registry.providers, models=tuple(models), problems=())


def _hold(
    last: LastState,
    kept: Sequence[Model],
    problems: Sequence[SpecProblem],
    inputs: Mapping[str, str],
    failed: set[str],
) -> Held:
    """What keeping ``kept`` means for emit and the manifest.

    A document with errors shows its last hash (what the kept files were generated
    from), or none when it has no last state.
    """
    shown = {p: h for p, h in inputs.items() if p not in failed}
    shown |= {p: last.manifest.inputs[p] for p in failed if p in last.manifest.inputs}
    records = sorted(
        (
            KeptModel(m.ref, f"{m.provider}/{m.module_name}.py", _errors_of(m, problems, failed))
            for m in kept
        ),
        key=lambda k: k.ref,
    )
    pinned = {k.path: found for k in records if (found := _last_file(last, k.path)) is not None}
    return Held(tuple(records), pinned, dict(sorted(shown.items())))


def _errors_of(
    model: Model, problems: Sequence[SpecProblem], failed: set[str]
) -> tuple[SpecProblem, ...]:
    errors = [p for p in problems if p.level is Level.ERROR]
    mine = set(model.sources) & failed
    own = [p for p in errors if p.location.path in mine or p.message.startswith(model.ref)]
    # Else the errors of a shared input (manifest, overlay) or of the model's build.
    return tuple(sorted(own or errors, key=_order))


def _order(problem: SpecProblem) -> tuple[str, int, int, str, str]:
    loc = problem.location
    return (loc.path, loc.line or 0, loc.column or 0, loc.pointer or "", problem.message)


def _last_file(last: LastState, path: str) -> tuple[str, str] | None:
    """The module's last key and text, when it is on disk as the manifest recorded it."""
    entry = last.manifest.files.get(path)
    if entry is None or "key" not in entry:
        return None
    try:
        text = safe_target(last.out, path).read_text(encoding="utf-8")
    except (OSError, UnsafePathError, UnicodeDecodeError):
        return None
    return (entry["key"], text) if sha(text) == entry.get("sha256") else None


def _without_not_generated(problems: Iterable[SpecProblem], held: Held) -> list[SpecProblem]:
    """``problems`` without the "not generated" notes of the models that are kept."""
    refs = {k.ref for k in held.kept}
    return [
        p
        for p in problems
        if not (p.level is Level.WARNING and p.message.partition(_NOT_GENERATED)[0] in refs)
    ]
