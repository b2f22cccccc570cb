"""Pipeline: the whole run behind ``musicbind generate`` and ``musicbind check``.

load -> registry -> emit -> write, with the manifest making both incremental:
``check`` first compares hashes (no loading, no emitting) and only when they
differ builds what a clean run would write, to say what changed. A document with
errors never costs bindings: the models it contributes to keep their last generated
files (:mod:`generator.last_good`); and no package is written without a model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from musicbind.generator.collector import frozen
from musicbind.generator.diff.registries import Change, diff_registries
from musicbind.generator.emit.emit import Emitted, emit
from musicbind.generator.emit.environment import EmitContext
from musicbind.generator.freshness import extra_modules, generator_hash, is_fresh
from musicbind.generator.ingest import Built, build_from_paths, build_from_specs
from musicbind.generator.last_good import KeptModel, error_paths, read_last_state
from musicbind.generator.load.records import Level, SpecProblem
from musicbind.generator.registry.model import Registry
from musicbind.generator.settings import BuildSettings
from musicbind.generator.write import (
    MANIFEST_NAME,
    Manifest,
    Stamps,
    WriteReport,
    build_manifest,
    diff_tree,
    gated_from,
    read_manifest,
    reuse_from,
    write_tree,
)
from musicbind.runtime.version import __version__

REGENERATE = "musicbind generate"


@dataclass(slots=True)
class Outcome:
    """The result of a generate or check run.

    ``written`` is False when no package was written (the specs yield no model).
    ``kept``: models kept as last generated because of errors. For ``check``:
    ``changes`` (the registry's changes since the committed snapshot), ``changed``
    (the files a clean run would write differently, or not at all) and ``diff``.
    """

    problems: list[SpecProblem]
    models: int = 0
    report: WriteReport | None = None
    diff: list[str] = field(default_factory=list)
    up_to_date: bool = False
    kept: tuple[KeptModel, ...] = ()
    written: bool = True
    changes: list[Change] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    snapshot: bool = True  # check: whether the committed registry snapshot could be read

    @property
    def errors(self) -> list[SpecProblem]:
        return [p for p in self.problems if p.level is Level.ERROR]


def _emit(
    built: Built, out: Path, regenerate: str, package: str, stamps: Stamps | None = None
) -> tuple[Emitted, Manifest]:
    """The tree and manifest for ``built``, reusing the files of ``out`` the manifest and
    ``stamps`` vouch for; without ``stamps`` (``check``), clean: nothing is reused."""
    clean = stamps is None
    gen_hash = generator_hash()
    context = EmitContext(__version__, built.inputs, regenerate, gen_hash, package)
    previous = None if clean else read_manifest(out)
    reuse = None if clean else reuse_from(out, previous, stamps)
    gated = None if clean else gated_from(out, previous, gen_hash)
    emitted = emit(built.registry, context, reuse, pinned=built.held.pinned, gated=gated)
    manifest = build_manifest(
        emitted,
        built.inputs,
        gen_hash,
        __version__,
        package,
        errors=error_paths(built.registry.problems),
        kept=built.held.record(),
        empty=built.empty,
    )
    return emitted, manifest


def _write(built: Built, out: Path, regenerate: str, package: str, stamps: Stamps) -> Outcome:
    """Emit and write ``built``; ``stamps`` (read before the registry was built: parsing
    them beside it costs the garbage collector a pass over every model) vouch for files."""
    problems = list(built.registry.problems)
    if not built.registry.models:  # never a package without a model
        return Outcome(problems, 0, WriteReport(), kept=built.held.kept, written=False)
    with frozen():  # the registry and the records it was built from are long-lived
        emitted, manifest = _emit(built, out, regenerate, package, stamps)
        report = write_tree(out, emitted, manifest, stamps)
        stamps.save()
    return Outcome(problems, len(built.registry.models), report, kept=built.held.kept)


def generate_specs(
    specs: Path, out: Path, settings: BuildSettings | None = None, *, strict: bool = False
) -> Outcome:
    """Regenerate ``out`` from a specs folder (manifest + overlays + documents).

    ``strict``: a document that yields no model is an error, not a warning.
    """
    settings = settings or BuildSettings()
    with frozen():  # the records read and built are long-lived (see generator.collector)
        stamps = Stamps(out)
        last = read_last_state(out)
        built = build_from_specs(specs, settings=settings, strict=strict, last=last, stamps=stamps)
        return _write(built, out, REGENERATE, settings.package_name(out), stamps)


def generate_paths(
    paths: list[Path],
    out: Path,
    overlay: Path | None,
    provider: str | None,
    *,
    bundled_overlay: bool = False,
    strict: bool = False,
) -> Outcome:
    """Generate an importable package at ``out`` from loose documents.

    ``overlay``: the bundled overlay or a user's; ``bundled_overlay`` lays a user's over
    the bundled one (see :func:`generator.ingest.build_from_paths`).
    """
    base = Path.cwd()
    stamps = Stamps(out)
    built = build_from_paths(
        paths,
        overlay,
        base,
        provider,
        bundled_overlay=bundled_overlay,
        strict=strict,
        last=read_last_state(out),
    )
    shown = " ".join(p.name for p in paths)
    return _write(built, out, f"musicbind generate {shown} --out {out.name}", out.name, stamps)


def check_specs(
    specs: Path,
    out: Path,
    settings: BuildSettings | None = None,
    *,
    strict: bool = False,
    diff: bool = False,
) -> Outcome:
    """Whether ``out`` is exactly what a clean run on ``specs`` writes, and no input has errors.

    When it is not: what changed in the registry since the committed snapshot, which
    files differ, and (``diff``) the text diff: a diff costs time in proportion to the
    lines that changed, and an upgraded generator changes every line of the manifest.
    """
    settings = settings or BuildSettings()
    if is_fresh(specs, out, settings, strict=strict):
        return Outcome([], up_to_date=True)
    with frozen():  # the records read and built are long-lived (see generator.collector)
        return _checked(specs, out, settings, strict=strict, diff=diff)


def _checked(
    specs: Path, out: Path, settings: BuildSettings, *, strict: bool, diff: bool
) -> Outcome:
    last = read_last_state(out)
    built = build_from_specs(specs, settings=settings, strict=strict, last=last)
    outcome = Outcome(
        list(built.registry.problems), len(built.registry.models), kept=built.held.kept
    )
    if outcome.errors or not built.registry.models:
        outcome.written = bool(built.registry.models)
        return outcome
    emitted, manifest = _emit(built, out, REGENERATE, settings.package_name(out))
    expected = {**emitted.files, MANIFEST_NAME: manifest.as_text()}
    outcome.changed = changed_files(out, expected)
    outcome.up_to_date = not outcome.changed
    if not outcome.up_to_date:
        old = last.registry if last is not None and last.readable else _snapshot(out)
        outcome.snapshot = old is not None
        outcome.changes = diff_registries(old or Registry((), (), ()), built.registry)
        outcome.diff = diff_tree(out, expected, limit=None) if diff else []
    return outcome


def changed_files(out: Path, expected: dict[str, str]) -> list[str]:
    """The files of ``out`` that differ from ``expected``: changed, missing or extra."""
    previous = read_manifest(out)
    stale = [p for p in previous.files if p not in expected] if previous else []
    changed = [p for p in stale if (out / p).is_file()]
    for path, text in expected.items():
        target = out / path
        try:
            current = target.read_text(encoding="utf-8") if target.is_file() else None
        except (OSError, UnicodeDecodeError):
            current = None
        if current != text:
            changed.append(path)
    return sorted({*changed, *extra_modules(out, expected)})


def _snapshot(out: Path) -> Registry | None:
    from musicbind.generator.snapshot.snapshot_file import read_snapshot

    registry, _ = read_snapshot(out)
    return registry
