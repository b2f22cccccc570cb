"""Command line: ``musicbind demo``, the main job: every seeded system end to end, locally."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import click


@click.command("demo")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where the downloaded files and the demo's job journal go "
    "[default: a new musicbind-demo-* folder in the temporary directory].",
)
def demo_command(out: Path | None) -> None:
    """Run Scenario, fal and AIgateway models end to end against the local emulator.

    No credentials and no network needed: regenerates the bindings if specs/ changed,
    starts the emulator on a free loopback port, shows each cost estimate, submits
    through the generated clients, waits with progress bars, downloads, and measures
    every file's duration. Exits 1 unless every system succeeded with the right lengths.
    The files go to a new temporary folder, named at the end, unless --out says where.
    """
    from rich.console import Console

    from musicbind.demo import run_demo

    console = Console()
    if out is None:
        # Not the current folder: the demo is often run from a clone, where a new folder of
        # downloads would surprise (and show up in git status).
        out = Path(tempfile.mkdtemp(prefix="musicbind-demo-"))
    rows, duplicates = run_demo(out, console)
    console.print(f"demo files and journal: {out}", markup=False, highlight=False)
    if duplicates or not all(row.ok for row in rows):
        sys.exit(1)
