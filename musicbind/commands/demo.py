"""Command line: ``musicbind demo``, the main job: every seeded system end to end, locally."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import click

from musicbind.demo import CATALOGUE_TIMING, DEMO_TIMING


def _check_timing(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    from musicbind.emulator.jobs import Timing

    if value is None:
        return None
    try:
        Timing.parse(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    return value


@click.command("demo")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where the downloaded files and the demo's job journal go "
    "[default: a new musicbind-demo-* folder in the temporary directory].",
)
@click.option(
    "--wide", is_flag=True, help="Show whole job ids and each job's state (wider than 80 columns)."
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the full records (ids, states, estimates, files, lengths) as JSON on stdout; "
    "the progress and the table go to stderr.",
)
@click.option(
    "--timing",
    default=None,
    metavar="QUEUE,RUN",
    callback=_check_timing,
    help="Seconds each emulated job waits in the queue, then runs (as musicbind emulate) "
    f"[default: {DEMO_TIMING}; with --all {CATALOGUE_TIMING}].",
)
@click.option(
    "--all",
    "catalogue",
    is_flag=True,
    help="Run every generated model once (not only the five seeded systems), each with a "
    "payload derived from its binding: its required inputs, documented examples or defaults.",
)
def demo_command(
    out: Path | None, wide: bool, as_json: bool, timing: str | None, catalogue: bool
) -> None:
    """Run Scenario, fal and AIgateway models end to end against the local emulator.

    No credentials and no network needed: regenerates the bindings if specs/ changed,
    starts the emulator on a free loopback port, shows each cost estimate, submits
    through the generated clients, waits with progress bars, downloads, and measures
    every file's duration. By default it runs the five seeded systems; --all runs
    every model the bindings hold, once each, with a payload derived from its binding.
    Ends with a summary that fits 80 columns (job ids shortened: --wide shows them
    whole, --json prints every record). Exits 1 unless every system succeeded with the
    right lengths. The files go to a new temporary folder, named at the end, unless
    --out says where.
    """
    from rich.console import Console

    from musicbind.demo import run_demo
    from musicbind.demo_summary import json_text, print_summary

    console = Console(stderr=as_json)
    if out is None:
        # Not the current folder: the demo is often run from a clone, where a new folder of
        # downloads would surprise (and show up in git status).
        out = Path(tempfile.mkdtemp(prefix="musicbind-demo-"))
    if timing is None:
        timing = CATALOGUE_TIMING if catalogue else DEMO_TIMING
    result = run_demo(out, console, timing=timing, catalogue=catalogue)
    print_summary(result, console, wide=wide)
    if as_json:
        click.echo(json_text(result))
    if not result.ok:
        sys.exit(1)
