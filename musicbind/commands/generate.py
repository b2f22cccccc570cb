"""Command line: ``musicbind generate`` and ``musicbind check``."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

from musicbind.commands.options import PROJECT_OUT, PROJECT_SPECS, bindings_option, specs_option
from musicbind.generator.load.records import Level, SpecProblem
from musicbind.generator.settings import BuildSettings
from musicbind.project import find_project, shown
from musicbind.validation.report import plural

if TYPE_CHECKING:
    from musicbind.generator.generate import Outcome

STRICT_HELP = (
    "A document that yields no model is an error, not a warning (for CI and the pre-commit hook)."
)


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
@bindings_option(f"Output package folder ({PROJECT_OUT}).")
@specs_option(f"Specs folder, used when no PATHS are given ({PROJECT_SPECS}).")
@click.option(
    "--overlay",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Your overlay for loose PATHS, laid over the one shipped with musicbind.",
)
@click.option(
    "--provider",
    help="Provider of loose PATHS when their content does not say (scenario, fal, aigateway).",
)
@click.option("--strict", is_flag=True, help=STRICT_HELP)
def generate_command(
    paths: tuple[Path, ...],
    out: Path | None,
    specs: Path | None,
    overlay: Path | None,
    provider: str | None,
    strict: bool,
) -> None:
    """Generate typed bindings.

    Without PATHS: the project's specs folder (manifest.yaml, overlay.yaml and the
    documents it lists) -> its bindings package, as [tool.musicbind] in pyproject.toml
    says (`musicbind init` writes it); without one, specs/ -> generated/. With PATHS:
    any provider documents -> an importable package at --out (``--out /tmp/w/mybind``
    gives ``import mybind`` with /tmp/w on sys.path).

    When a document has errors, the models it contributes to keep their last generated
    files byte for byte (nothing is deleted or rebuilt from the other documents), the
    others regenerate, and the run exits 1 naming the models kept.
    """
    from musicbind.generator.generate import generate_paths, generate_specs
    from musicbind.generator.ingest import default_overlay_path

    started = time.perf_counter()
    if paths:
        if out is None:
            raise click.UsageError("--out DIR is required with PATHS")
        if not _package_name_ok(out):
            raise click.UsageError(f"--out {out}: the folder name must be a Python package name")
        outcome = generate_paths(
            list(paths),
            out,
            overlay or default_overlay_path(),
            provider,
            bundled_overlay=True,
            strict=strict,
        )
        written_to, hint = out, ""
    else:
        target = project_target(specs, out)
        if not target.specs.is_dir():
            raise _no_specs(target.specs)
        outcome = generate_specs(target.specs, target.out, target.settings, strict=strict)
        written_to = target.out
        hint = f"; list your provider documents in {shown(target.specs / 'manifest.yaml')}"
    print_problems(outcome.problems)
    _report_generate(outcome, written_to, time.perf_counter() - started, hint)


def _root_cause(errors: list[SpecProblem]) -> SpecProblem:
    """The error to fix first: one in the manifest or an overlay (a broken shared input makes
    every model fail after it), else the first in file order."""
    shared = [e for e in errors if Path(e.location.path).name in {"manifest.yaml", "overlay.yaml"}]
    return (shared or errors)[0]


def _report_errors(errors: list[SpecProblem]) -> None:
    cause = _root_cause(errors)
    click.secho(
        f"{plural(len(errors), 'error')} (first: {cause.location}): fix "
        f"{'it' if len(errors) == 1 else 'them'} and run `musicbind generate` again",
        fg="red",
        err=True,
    )
    if cause is not errors[0]:
        click.secho(f"  {cause}", fg="red", err=True)


def _report_generate(outcome: Outcome, out: Path, elapsed: float, hint: str = "") -> None:
    from musicbind.reports.check_report import kept_lines

    if not outcome.written:
        click.secho(
            f"no model to generate: nothing written to {shown(out)} (a package needs at least "
            f"one model{hint})",
            fg="red",
            err=True,
        )
        if outcome.errors:
            _report_errors(outcome.errors)
        sys.exit(1)
    report = outcome.report
    assert report is not None
    click.echo(
        f"{plural(outcome.models, 'model')}: {plural(len(report.written), 'file')} written, "
        f"{len(report.unchanged)} unchanged, {len(report.removed)} removed ({elapsed:.2f} s)",
        err=True,
    )
    if outcome.errors:
        _report_errors(outcome.errors)
        for line in kept_lines(outcome.kept):
            click.secho(line, fg="red", err=True)
        sys.exit(1)


@click.command("check")
@specs_option()
@bindings_option()
@click.option("--strict", is_flag=True, help=STRICT_HELP)
@click.option(
    "--diff",
    "show_diff",
    is_flag=True,
    help="Also print the full text diff from the bindings to what the specs produce.",
)
def check_command(specs: Path | None, out: Path | None, strict: bool, show_diff: bool) -> None:
    """Exit 1 when the bindings are not exactly what a clean `musicbind generate` writes,
    or when the specs have errors.

    Says first what changed, in the models and fields (classified as `musicbind diff`
    does) and in the files; --diff adds the text diff. Reads the same [tool.musicbind]
    config as `musicbind generate`.
    """
    from musicbind.generator.freshness import is_fresh

    target = project_target(specs, out)
    if not target.specs.is_dir():
        raise _no_specs(target.specs)
    shown_out, shown_specs = shown(target.out), shown(target.specs)
    if is_fresh(target.specs, target.out, target.settings, strict=strict):
        click.echo(f"{shown_out} is up to date with {shown_specs}", err=True)
        return
    from musicbind.generator.generate import check_specs
    from musicbind.reports.check_report import check_summary, error_line, kept_lines

    outcome = check_specs(target.specs, target.out, target.settings, strict=strict, diff=show_diff)
    if outcome.up_to_date:
        click.echo(f"{shown_out} is up to date with {shown_specs}", err=True)
        return
    print_problems(outcome.problems)
    if outcome.errors:
        click.secho(error_line(outcome.errors, shown_specs), fg="red", err=True)
        for line in kept_lines(outcome.kept, verb=f"{shown_out} keeps"):
            click.secho(line, fg="red", err=True)
        sys.exit(1)
    if not outcome.written:
        click.secho(
            f"{shown_specs} yield no model: there is no package to check", fg="red", err=True
        )
        sys.exit(1)
    for line in check_summary(outcome.changes, outcome.changed, outcome.snapshot):
        click.echo(line)
    if show_diff:
        sys.stdout.writelines(outcome.diff)
    hint = "" if show_diff else " (`musicbind check --diff` shows the text diff)"
    click.secho(
        f"{shown_out} is not what {shown_specs} produce: run `musicbind generate`{hint}",
        fg="red",
        err=True,
    )
    sys.exit(1)
