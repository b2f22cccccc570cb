"""Pipeline: the whole run behind ``musicbind generate`` and ``musicbind check``.

load -> registry -> emit -> write, with the manifest making both incremental:
``check`` first compares hashes (no loading, no emitting) and only when they
differ regenerates in memory to show what changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from musicbind import __version__
from musicbind.generator.emit.emit import EmitContext, Emitted, emit
from musicbind.generator.freshness import generator_hash, is_fresh
from musicbind.generator.load.records import Level, SpecProblem
from musicbind.generator.pipeline import Built, build_from_paths, build_from_specs
from musicbind.generator.settings import BuildSettings
from musicbind.generator.write import (
    MANIFEST_NAME,
    Manifest,
    WriteReport,
    build_manifest,
    diff_tree,
    read_manifest,
    reuse_from,
    write_tree,
)


@dataclass(slots=True)
class Outcome:
    """The result of a generate or check run."""

    problems: list[SpecProblem]
    models: int = 0
    report: WriteReport | None = None
    diff: list[str] = field(default_factory=list)
    up_to_date: bool = False

    @property
    def errors(self) -> list[SpecProblem]:
        return [p for p in self.problems if p.level is Level.ERROR]


def _emit(
    built: Built, out: Path, regenerate: str, gen_hash: str, package: str
) -> tuple[Emitted, Manifest]:
    context = EmitContext(__version__, built.inputs, regenerate, gen_hash, package)
    emitted = emit(built.registry, context, reuse_from(out, read_manifest(out)))
    manifest = build_manifest(emitted, built.inputs, gen_hash, __version__, package)
    return emitted, manifest


def generate_specs(specs: Path, out: Path, settings: BuildSettings | None = None) -> Outcome:
    """Regenerate ``out`` from a specs folder (manifest + overlays + documents)."""
    settings = settings or BuildSettings()
    built = build_from_specs(specs, settings=settings)
    package = settings.package_name(out)
    emitted, manifest = _emit(built, out, "musicbind generate", generator_hash(), package)
    report = write_tree(out, emitted, manifest)
    return Outcome(list(built.registry.problems), len(built.registry.models), report)


def generate_paths(
    paths: list[Path],
    out: Path,
    overlay: Path | None,
    provider: str | None,
    *,
    bundled_overlay: bool = False,
) -> Outcome:
    """Generate an importable package at ``out`` from loose documents.

    ``overlay``: the bundled overlay or a user's; ``bundled_overlay`` lays a user's over
    the bundled one (see :func:`generator.pipeline.build_from_paths`).
    """
    base = Path.cwd()
    built = build_from_paths(paths, overlay, base, provider, bundled_overlay=bundled_overlay)
    shown = " ".join(p.name for p in paths)
    regenerate = f"musicbind generate {shown} --out {out.name}"
    emitted, manifest = _emit(built, out, regenerate, generator_hash(), out.name)
    report = write_tree(out, emitted, manifest)
    return Outcome(list(built.registry.problems), len(built.registry.models), report)


def check_specs(specs: Path, out: Path, settings: BuildSettings | None = None) -> Outcome:
    """Whether ``out`` is exactly what ``specs`` produce; a diff when it is not."""
    settings = settings or BuildSettings()
    if is_fresh(specs, out, settings):
        return Outcome([], up_to_date=True)
    built = build_from_specs(specs, settings=settings)
    package = settings.package_name(out)
    emitted, manifest = _emit(built, out, "musicbind generate", generator_hash(), package)
    expected = {**emitted.files, MANIFEST_NAME: manifest.as_text()}
    diff = diff_tree(out, expected)
    return Outcome(
        list(built.registry.problems), len(built.registry.models), diff=diff, up_to_date=not diff
    )
