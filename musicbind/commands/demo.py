"""Command line: ``musicbind demo``, the main job: every seeded system end to end, locally."""

from __future__ import annotations

import sys
from pathlib import Path

import click


@click.command("demo")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("musicbind-demo"),
    show_default=True,
    help="Where the downloaded files and the demo's job journal go.",
)
def demo_command(out: Path) -> None:
    """Run Scenario, fal and AIgateway models end to end against the local emulator.

    No credentials and no network needed: regenerates the bindings if specs/ changed,
    starts the emulator on a free loopback port, shows each cost estimate, submits
    through the generated clients, waits with progress bars, downloads, and measures
    every file's duration. Exits 1 unless every system succeeded with the right lengths.
    """
    from rich.console import Console

    from musicbind.demo import run_demo

    console = Console()
    rows, duplicates = run_demo(out, console)
    if duplicates or not all(row.ok for row in rows):
        sys.exit(1)
