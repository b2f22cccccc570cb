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
from musicbind.generator.write import (
    MANIFEST_NAME,
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


def _emit(built: Built, out: Path, regenerate: str, gen_hash: str) -> tuple[Emitted, str]:
    context = EmitContext(__version__, built.inputs, regenerate, gen_hash, out.name)
    emitted = emit(built.registry, context, reuse_from(out, read_manifest(out)))
    manifest = build_manifest(emitted, built.inputs, gen_hash, __version__)
    return emitted, manifest.as_text()


def generate_specs(specs: Path, out: Path) -> Outcome:
    """Regenerate ``out`` from a specs folder (manifest + overlay + documents)."""
    built = build_from_specs(specs, base=specs.parent)
    gen_hash = generator_hash()
    emitted, _ = _emit(built, out, "musicbind generate", gen_hash)
    manifest = build_manifest(emitted, built.inputs, gen_hash, __version__)
    report = write_tree(out, emitted, manifest)
    return Outcome(list(built.registry.problems), len(built.registry.models), report)


def generate_paths(
    paths: list[Path], out: Path, overlay: Path | None, provider: str | None
) -> Outcome:
    """Generate an importable package at ``out`` from loose documents."""
    base = Path.cwd()
    built = build_from_paths(paths, overlay, base, provider)
    shown = " ".join(p.name for p in paths)
    gen_hash = generator_hash()
    emitted, _ = _emit(built, out, f"musicbind generate {shown} --out {out.name}", gen_hash)
    manifest = build_manifest(emitted, built.inputs, gen_hash, __version__)
    report = write_tree(out, emitted, manifest)
    return Outcome(list(built.registry.problems), len(built.registry.models), report)


def check_specs(specs: Path, out: Path) -> Outcome:
    """Whether ``out`` is exactly what ``specs`` produce; a diff when it is not."""
    if is_fresh(specs, out):
        return Outcome([], up_to_date=True)
    gen_hash = generator_hash()
    built = build_from_specs(specs, base=specs.parent)
    emitted, manifest_text = _emit(built, out, "musicbind generate", gen_hash)
    expected = {**emitted.files, MANIFEST_NAME: manifest_text}
    diff = diff_tree(out, expected)
    return Outcome(
        list(built.registry.problems), len(built.registry.models), diff=diff, up_to_date=not diff
    )
