"""Command line: ``musicbind diff OLD NEW``: what a spec change breaks, before regenerating.

Exit status: 0 when nothing breaking changed (or ``--allow-breaking``), 1 when something
did, 2 on a usage error or a source that cannot be read.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import click

from musicbind.commands.options import PROJECT_SPECS, format_option, specs_option
from musicbind.reports.diff_report import FORMATS

if TYPE_CHECKING:
    from musicbind.generator.load.records import SpecProblem


@click.command("diff")
@click.argument("old", required=False)
@click.argument("new", required=False)
@click.option(
    "--rev",
    "revisions",
    metavar="A..B",
    help="Compare the specs folder at two git revisions (A alone: A against the working tree).",
)
@specs_option(f"The specs folder (with --rev; {PROJECT_SPECS}).")
@format_option(FORMATS, "text, markdown (a pull-request summary) or json.")
@click.option("--allow-breaking", is_flag=True, help="Exit 0 even when something breaks.")
def diff_command(
    old: str | None,
    new: str | None,
    revisions: str | None,
    specs: Path | None,
    output_format: str,
    allow_breaking: bool,
) -> None:
    """Classify every change between two versions of the specs: breaking, compatible, notable.

    OLD and NEW are specs folders, generated package folders or registry JSON files
    (`musicbind registry --json`), or use --rev A..B for the specs folder at two git
    revisions. Breaking: a model or field removed, a new required field, a range
    narrowed, an allowed value removed, a type or wire name changed. Compatible: a new
    model or optional field, a range widened, a new allowed value. Notable: a default,
    a price or a description changed.
    """
    from musicbind.commands.generate import print_problems
    from musicbind.generator.diff.registries import Severity, diff_registries
    from musicbind.project import find_project, shown
    from musicbind.reports import diff_report
    from musicbind.reports.sources import (
        Loaded,
        SourceError,
        load_revision,
        load_source,
        load_specs,
        split_revisions,
    )

    project = find_project() if revisions is not None else None
    settings = None
    if specs is None and project is not None:
        specs, settings = project.specs, project.build_settings()
    elif project is not None and specs is not None and specs.resolve() == project.specs.resolve():
        settings = project.build_settings()
    specs = specs if specs is not None else Path("specs")
    first: str | None = None
    try:
        if revisions is not None:
            if old is not None or new is not None:
                raise click.UsageError("give either OLD NEW or --rev A..B, not both")
            first, second = split_revisions(revisions)
            before: Loaded = load_revision(first, specs, settings)
            if second is not None:
                after = load_revision(second, specs, settings)
            elif specs.is_dir():
                after = load_specs(specs, shown(specs), settings)
            else:
                raise click.UsageError(f"no specs folder at {shown(specs)}")
        elif old is not None and new is not None:
            before, after = load_source(old), load_source(new)
        else:
            raise click.UsageError("give OLD and NEW, or --rev A..B")
    except SourceError as exc:
        click.secho(f"musicbind diff: {exc}", fg="red", err=True)
        sys.exit(2)
    print_problems(problems_once(before.problems, after.problems, first))
    changes = diff_registries(before.registry, after.registry)
    if output_format == "json":
        click.echo(diff_report.json_text(changes, before.label, after.label))
    elif output_format == "markdown":
        click.echo(diff_report.markdown(changes, before.label, after.label), nl=False)
    else:
        for line in diff_report.text_lines(changes):
            click.echo(line)
    numbers = diff_report.counts(changes)
    summary = ", ".join(f"{numbers[s.value]} {s.value}" for s in Severity)
    click.echo(f"{before.label} -> {after.label}: {summary}", err=True)
    if numbers[Severity.BREAKING.value] and not allow_breaking:
        sys.exit(1)


def problems_once(
    old: tuple[SpecProblem, ...], new: tuple[SpecProblem, ...], old_revision: str | None
) -> list[SpecProblem]:
    """Each problem once: the older version's that the newer one does not have, then the
    newer version's. With ``--rev`` both versions name the same files, so an older-only
    problem's file is shown at its revision (``HEAD~1:specs/x.md:20``, as git names it)."""
    fresh = {str(problem) for problem in new}
    shown: list[SpecProblem] = []
    for problem in old:
        if str(problem) in fresh:
            continue
        if old_revision is not None:
            where = replace(problem.location, path=f"{old_revision}:{problem.location.path}")
            problem = replace(problem, location=where)
        shown.append(problem)
    shown += new
    return list(dict.fromkeys(shown))
