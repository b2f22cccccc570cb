"""Command line: ``musicbind generate`` and ``musicbind check``."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

import click

from musicbind.generator.load.records import Level, SpecProblem
from musicbind.generator.settings import BuildSettings
from musicbind.tooling.project import find_project, shown
from musicbind.tooling.report import plural


def print_problems(problems: list[SpecProblem]) -> None:
    """Every problem, errors and warnings, one a line on stderr, in file order."""
    for problem in problems:
        colour = "red" if problem.level is Level.ERROR else "yellow"
        click.secho(str(problem), fg=colour, err=True)


def _package_name_ok(out: Path) -> bool:
    return out.name.isidentifier() and not out.name.startswith("_")


@dataclass(frozen=True, slots=True)
class Target:
    """The specs folder, output folder and generator settings one run uses."""

    specs: Path
    out: Path
    settings: BuildSettings


def project_target(specs: Path | None, out: Path | None) -> Target:
    """The project's config (found from the current folder up), explicit options winning;
    without a config, specs/ and generated/ as musicbind's own repository has them."""
    project = find_project()
    if project is None:
        return Target(specs or Path("specs"), out or Path("generated"), BuildSettings())
    explicit_out = out.absolute() if out is not None else None
    return Target(
        specs if specs is not None else project.specs,
        out if out is not None else project.out,
        project.build_settings(explicit_out),
    )


def _no_specs(specs: Path) -> click.UsageError:
    return click.UsageError(
        f"no specs folder at {shown(specs)} (run from the project root, pass --specs, "
        "or run `musicbind init`)"
    )


@click.command("generate")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Output package folder (default: [tool.musicbind] out, else generated/).",
)
@click.option(
    "--specs",
    "specs",
    type=click.Path(file_okay=False, path_type=Path),
    help="Specs folder, used when no PATHS are given (default: [tool.musicbind] specs, "
    "else specs/).",
)
@click.option(
    "--overlay",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Your overlay for loose PATHS, laid over the one shipped with musicbind.",
)
@click.option(
    "--provider",
    help="Provider of loose PATHS when their content does not say (scenario, fal, aigateway).",
)
def generate_command(
    paths: tuple[Path, ...],
    out: Path | None,
    specs: Path | None,
    overlay: Path | None,
    provider: str | None,
) -> None:
    """Generate typed bindings.

    Without PATHS: the project's specs folder (manifest.yaml, overlay.yaml and the
    documents it lists) -> its bindings package, as [tool.musicbind] in pyproject.toml
    says (`musicbind init` writes it); without one, specs/ -> generated/. With PATHS:
    any provider documents -> an importable package at --out (``--out /tmp/w/mybind``
    gives ``import mybind`` with /tmp/w on sys.path).
    """
    from musicbind.generator.generate import generate_paths, generate_specs
    from musicbind.generator.pipeline import default_overlay_path

    started = time.perf_counter()
    if paths:
        if out is None:
            raise click.UsageError("--out DIR is required with PATHS")
        if not _package_name_ok(out):
            raise click.UsageError(f"--out {out}: the folder name must be a Python package name")
        outcome = generate_paths(
            list(paths), out, overlay or default_overlay_path(), provider, bundled_overlay=True
        )
    else:
        target = project_target(specs, out)
        if not target.specs.is_dir():
            raise _no_specs(target.specs)
        outcome = generate_specs(target.specs, target.out, target.settings)
    print_problems(outcome.problems)
    report = outcome.report
    assert report is not None
    elapsed = time.perf_counter() - started
    click.echo(
        f"{plural(outcome.models, 'model')}: {plural(len(report.written), 'file')} written, "
        f"{len(report.unchanged)} unchanged, {len(report.removed)} removed ({elapsed:.2f} s)",
        err=True,
    )
    if outcome.errors:
        click.secho(
            f"{plural(len(outcome.errors), 'error')}: the models they affect were not generated",
            fg="red",
            err=True,
        )
        sys.exit(1)


@click.command("check")
@click.option(
    "--specs",
    "specs",
    type=click.Path(file_okay=False, path_type=Path),
    help="Specs folder (default: [tool.musicbind] specs, else specs/).",
)
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Bindings folder (default: [tool.musicbind] out, else generated/).",
)
def check_command(specs: Path | None, out: Path | None) -> None:
    """Exit 1, with a diff, when the bindings are not exactly what the specs produce.

    Reads the same [tool.musicbind] config as `musicbind generate`.
    """
    from musicbind.generator.freshness import is_fresh

    target = project_target(specs, out)
    if not target.specs.is_dir():
        raise _no_specs(target.specs)
    shown_out, shown_specs = shown(target.out), shown(target.specs)
    if is_fresh(target.specs, target.out, target.settings):
        click.echo(f"{shown_out} is up to date with {shown_specs}", err=True)
        return
    from musicbind.generator.generate import check_specs

    outcome = check_specs(target.specs, target.out, target.settings)
    if outcome.up_to_date:
        click.echo(f"{shown_out} is up to date with {shown_specs}", err=True)
        return
    print_problems(outcome.errors)
    sys.stdout.writelines(outcome.diff)
    click.secho(
        f"{shown_out} is not what {shown_specs} produce: run `musicbind generate`",
        fg="red",
        err=True,
    )
    sys.exit(1)
