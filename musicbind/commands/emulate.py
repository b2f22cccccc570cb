"""Command line: ``musicbind emulate``, the provider emulator served on 127.0.0.1 until Ctrl-C."""

from __future__ import annotations

import shlex
import signal
import threading
from pathlib import Path

import click

FAULTS_HELP = """\b
Fault spec: comma-separated rules
  PROVIDER.OP=KIND[(ARG)][:COUNT][@SKIP][~CHANCE]
  PROVIDER  scenario | fal | aigateway | a generic provider | *
  OP        submit | quote | status | result | cancel | upload | download | *
  KIND      400-599 (429 sends Retry-After ARG s), reset,
            reset_after_accept, slow(ARG s), malformed, truncate,
            bad_length, redirect, unknown_status, fail, fail_422, cancel,
            stall (on submit), cancel_ignored (on cancel)
  COUNT     requests to fault (default 1; * for all)
  SKIP      let this many pass first
  CHANCE    probability per request, drawn from the seed
Example: fal.submit=reset_after_accept,scenario.status=429(2):3
  (fal's first submit is accepted but its answer lost; Scenario's next
  3 polls answer 429 with Retry-After: 2)
"""


@click.command("emulate", epilog=FAULTS_HELP)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8765,
    show_default=True,
    help="Primary port on 127.0.0.1 (0 picks a free one).",
)
@click.option(
    "--faults",
    "fault_spec",
    default="",
    metavar="SPEC",
    help="Faults on demand (the syntax is below).",
)
@click.option(
    "--seed",
    type=int,
    default=0,
    show_default=True,
    help="Seed for ids, audio and probabilistic faults.",
)
@click.option(
    "--timing",
    default="0.5,2",
    show_default=True,
    metavar="QUEUE,RUN",
    help="Seconds a job waits in the queue, then runs.",
)
@click.option(
    "--journal",
    "journal_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Job journal for the emulator's jobs, exported as MUSICBIND_JOURNAL (default: one "
    "in a temporary folder, removed on exit; never your default journal).",
)
@click.option(
    "--package",
    help="Bindings package to validate with and serve, its generic (OpenAPI) providers "
    "included (default: the one [tool.musicbind] names, else musicbind.generated).",
)
def emulate_command(
    port: int,
    fault_spec: str,
    seed: int,
    timing: str,
    journal_path: Path | None,
    package: str | None,
) -> None:
    """Serve the Scenario, fal and AIgateway emulator on 127.0.0.1 until interrupted.

    Providers of the bindings package bound from an OpenAPI document alone are served
    too, each under /<name>. It prints the variables to export: the base URLs, dummy
    credentials and MUSICBIND_JOURNAL, a journal of the emulator's own, so its jobs
    never mix with real ones in `musicbind jobs`.
    """
    from musicbind.emulator.faults import FaultSpecError
    from musicbind.emulator.jobs import Timing
    from musicbind.emulator.server import EmulatorServer

    try:
        pace = Timing.parse(timing)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--timing") from None
    chosen = _package(package)
    try:
        server = EmulatorServer(
            seed=seed,
            faults=fault_spec,
            timing=pace,
            port=port,
            journal=journal_path,
            package=chosen,
        )
    except FaultSpecError as exc:
        raise click.BadParameter(str(exc), param_hint="--faults") from None
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    rules = server.emulator.faults.rules
    try:
        server.start()
    except OSError as exc:
        raise click.ClickException(f"cannot listen on 127.0.0.1:{port}: {exc}") from None
    # SIGTERM (a service manager, `kill`) stops it as Ctrl-C does: its journal folder removed
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        click.echo(
            f"musicbind emulator on {server.origin} (second origin {server.alternate_origin})"
        )
        for provider in server.providers:
            click.echo(f"  {provider:<10} {server.base_url(provider)}")
        click.echo(f"  demo video {server.media_url()} (12.0 s)")
        click.echo(f"  ledger     {server.origin}/_emulator/ledger")
        click.echo(f"  journal    {server.journal_path} (the emulator's jobs only)")
        if rules:
            click.echo("  faults     " + ", ".join(rule.describe() for rule in rules))
        click.echo("\nPoint musicbind at it with:\n")
        for key, value in server.env().items():
            click.echo(f"export {key}={shlex.quote(value)}")
        click.echo("\nCtrl-C stops it.")
        threading.Event().wait()
    except KeyboardInterrupt:
        click.echo("stopping")
    finally:
        server.stop()


def _package(requested: str | None) -> str:
    """``--package``, else the project's package, else (not generated yet) the bundled one."""
    from musicbind.commands.run import bindings_for

    try:
        return bindings_for(requested)
    except click.UsageError as error:
        if requested is not None:
            raise
        click.echo(f"note: {error.format_message()}; serving musicbind.generated", err=True)
        return "musicbind.generated"


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
