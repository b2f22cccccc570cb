"""Command line: ``musicbind jobs`` lists the job journal; ``musicbind resume`` finishes a job.

``resume`` works after the submitting process died: it reads the job from the journal,
waits (with a progress bar), downloads and prints the files' paths. Exit statuses as for
``musicbind run`` (1 error, 3 no job id to resume, 4 timeout).
"""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from musicbind.commands.run import PACKAGE_HELP, bindings_for, client_for, finish, reported_errors
from musicbind.runtime.jobs import Job
from musicbind.runtime.journal import Journal, JournalEntry, default_journal_path
from musicbind.runtime.polling import DEFAULT_WAIT_TIMEOUT


@click.command("jobs")
@click.option(
    "--journal",
    "journal_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Job journal (default: $MUSICBIND_JOURNAL or the user data directory).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the entries as JSON.")
@click.option(
    "--state",
    "states",
    multiple=True,
    metavar="STATE",
    help="Only entries in this job state or submission state (e.g. SUCCEEDED, uncertain).",
)
@click.option(
    "--provider",
    "providers",
    multiple=True,
    metavar="NAME",
    help="Only entries of this provider (scenario, fal, aigateway).",
)
def jobs_command(
    journal_path: Path | None,
    as_json: bool,
    states: tuple[str, ...],
    providers: tuple[str, ...],
) -> None:
    """List every submission in the job journal, oldest first."""
    path = journal_path or default_journal_path()
    with reported_errors():
        entries: list[JournalEntry] = []
        if path.exists():
            with Journal(path) as journal:
                entries = journal.entries()
    wanted_states = {s.lower() for s in states}
    wanted_providers = {p.lower() for p in providers}
    entries = [
        entry
        for entry in entries
        if (not wanted_states or {(entry.state or "").lower(), entry.submission} & wanted_states)
        and (not wanted_providers or entry.ref.partition(":")[0].lower() in wanted_providers)
    ]
    if as_json:
        click.echo(json.dumps([entry.as_dict() for entry in entries], indent=2))
        return
    console = Console()
    if not entries:
        console.print(f"no jobs in {path}")
        return
    table = Table(title=str(path))
    for column in ("created", "entry", "model", "job id", "submission", "state", "cost", "files"):
        table.add_column(column)
    for entry in entries:
        table.add_row(
            entry.created_at[:19].replace("T", " "),
            entry.intent_id[:12],
            entry.ref,
            entry.job_id or "-",
            entry.submission,
            entry.state or "-",
            _cost(entry),
            str(len(entry.files)),
        )
    console.print(table)
    for entry in entries:
        if entry.submission in ("pending", "uncertain"):
            console.print(
                f"[bold]{entry.intent_id[:12]}[/bold] {entry.submission}: "
                f"{entry.reconcile or 'the process stopped mid-submit; a job may exist.'}"
            )


@click.command("resume")
@click.argument("job")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Directory for the result files.",
)
@click.option(
    "--journal",
    "journal_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Job journal (default: $MUSICBIND_JOURNAL or the user data directory).",
)
@click.option(
    "--timeout",
    type=float,
    default=DEFAULT_WAIT_TIMEOUT,
    show_default=True,
    help="Stop waiting after this many seconds (the job keeps running; resume it later).",
)
@click.option("--package", help=PACKAGE_HELP)
def resume_command(
    job: str, out_dir: Path, journal_path: Path | None, timeout: float | None, package: str | None
) -> None:
    """Resume waiting for and downloading JOB (a journal entry id, a job id, or a unique prefix).

    The job's provider protocol comes from the bindings package when it has that provider,
    else from the journal entry, so a job of any package can be resumed.
    """
    console = Console(stderr=True)
    bindings = bindings_for(package)
    with reported_errors(), Journal(journal_path) as journal:
        entry = journal.get(job)
        with client_for(
            entry.provider,
            journal=journal,
            base_url=entry.base_url,
            fallback=entry.protocol,
            package=bindings,
        ) as client:
            resumed = Job.from_journal(entry.intent_id, client=client)
            console.print(f"resuming {entry.ref}: job {resumed.job_id}")
            finish(resumed, out_dir, console, timeout)


def _cost(entry: JournalEntry) -> str:
    if entry.cost is not None:
        return f"{entry.cost} {entry.cost_unit or ''}".strip()
    if entry.estimate is not None:
        return f"~{entry.estimate} {entry.estimate_currency or ''}".strip()
    return "-"
