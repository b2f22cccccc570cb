"""Command line: ``musicbind generate`` and ``musicbind check``."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from musicbind.generator.load.records import Level, SpecProblem
from musicbind.tooling.report import plural


def print_problems(problems: list[SpecProblem]) -> None:
    """Every problem, errors and warnings, one a line on stderr, in file order."""
    for problem in problems:
        colour = "red" if problem.level is Level.ERROR else "yellow"
        click.secho(str(problem), fg=colour, err=True)


def _package_name_ok(out: Path) -> bool:
    return out.name.isidentifier() and not out.name.startswith("_")


@click.command("generate")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Output package folder (default: generated/).",
)
@click.option(
    "--specs",
    "specs",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("specs"),
    show_default=True,
    help="Specs folder (used when no PATHS are given).",
)
@click.option(
    "--overlay",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Overlay for loose PATHS (default: the one shipped with musicbind).",
)
@click.option(
    "--provider",
    help="Provider of loose PATHS when their content does not say (scenario, fal, aigateway).",
)
def generate_command(
    paths: tuple[Path, ...],
    out: Path | None,
    specs: Path,
    overlay: Path | None,
    provider: str | None,
) -> None:
    """Generate typed bindings.

    Without PATHS: specs/ (manifest.yaml, overlay.yaml and the documents it lists)
    -> generated/. With PATHS: any provider documents -> an importable package at
    --out (``--out /tmp/w/mybind`` gives ``import mybind`` with /tmp/w on sys.path).
    """
    from musicbind.generator.generate import generate_paths, generate_specs
    from musicbind.generator.pipeline import default_overlay_path

    started = time.perf_counter()
    if paths:
        if out is None:
            raise click.UsageError("--out DIR is required with PATHS")
        if not _package_name_ok(out):
            raise click.UsageError(f"--out {out}: the folder name must be a Python package name")
        outcome = generate_paths(list(paths), out, overlay or default_overlay_path(), provider)
    else:
        if not specs.is_dir():
            raise click.UsageError(
                f"no specs folder at {specs} (run from the project root or pass --specs)"
            )
        outcome = generate_specs(specs, out or Path("generated"))
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
    default=Path("specs"),
    show_default=True,
)
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("generated"),
    show_default=True,
)
def check_command(specs: Path, out: Path) -> None:
    """Exit 1, with a diff, when generated/ is not exactly what specs/ produce."""
    from musicbind.generator.freshness import is_fresh

    if not specs.is_dir():
        raise click.UsageError(
            f"no specs folder at {specs} (run from the project root or pass --specs)"
        )
    if is_fresh(specs, out):
        click.echo(f"{out} is up to date with {specs}", err=True)
        return
    from musicbind.generator.generate import check_specs

    outcome = check_specs(specs, out)
    if outcome.up_to_date:
        click.echo(f"{out} is up to date with {specs}", err=True)
        return
    print_problems(outcome.errors)
    sys.stdout.writelines(outcome.diff)
    click.secho(f"{out} is not what {specs} produce: run `musicbind generate`", fg="red", err=True)
    sys.exit(1)
