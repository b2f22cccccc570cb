"""Command line: ``musicbind jobs`` lists the job journal; ``musicbind resume`` finishes a job.

``resume`` works after the submitting process died: it reads the job from the journal,
waits (with a progress bar), downloads the files still missing and prints every file's
path. ``resume --job-id ID --ref REF`` resumes a job the journal never recorded (its id
from the provider, or from the fallback file next to the journal); ``reconcile ENTRY
--job-id ID`` attaches the job a ``pending``/``uncertain`` submit did create, then
resumes it. Exit statuses as for ``musicbind run`` (1 error, 3 no job id to resume, 4
timeout). Provider text (job ids, refs, status words, logs) is shown inert: rich markup
escaped, control characters written as ``\\x..``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import click
from rich.console import Console
from rich.text import Text

from musicbind.commands.journal_option import journal_option, shown_journal
from musicbind.commands.options import results_option
from musicbind.commands.run import (
    PACKAGE_HELP,
    bindings_for,
    client_for,
    finish,
    lookup_binding,
    plain_text,
    reported_errors,
    shown,
)
from musicbind.jobs_table import JobFilter, parse_since, print_jobs, short_id
from musicbind.runtime.jobs import Job
from musicbind.runtime.journal import (
    Journal,
    JournalEntry,
    default_journal_path,
    is_postgres_url,
)
from musicbind.runtime.polling import DEFAULT_WAIT_TIMEOUT


@click.command("jobs")
@journal_option()
@click.option("--json", "as_json", is_flag=True, help="Print the full entries as JSON.")
@click.option(
    "--wide", is_flag=True, help="Show whole ids, the job id, submission and files (wider)."
)
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
@click.option(
    "--model",
    "models",
    multiple=True,
    metavar="REF",
    help="Only entries of this model: a ref, a model id, or a pattern such as 'fal:*'.",
)
@click.option(
    "--since",
    metavar="AGE|DATE",
    help="Only entries submitted since then: an age (30m, 2h, 1d, 1w) or an ISO date "
    "or date-time (local time unless it gives an offset).",
)
def jobs_command(
    journal_path: Path | str | None,
    as_json: bool,
    wide: bool,
    states: tuple[str, ...],
    providers: tuple[str, ...],
    models: tuple[str, ...],
    since: str | None,
) -> None:
    """List the submissions in the job journal, oldest first.

    At 80 columns ids are shortened to their first characters (which `resume`
    accepts); --wide shows them whole, --json prints the full entries.
    """
    try:
        since_time = parse_since(since) if since is not None else None
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--since") from None
    chosen = journal_path or os.environ.get("MUSICBIND_JOURNAL") or default_journal_path()
    shared = isinstance(chosen, str) and is_postgres_url(chosen)
    path = chosen if shared else Path(chosen)
    with reported_errors():
        entries: list[JournalEntry] = []
        if shared or Path(path).exists():
            with Journal(path, read_only=True) as journal:
                entries = journal.entries()
    entries = JobFilter(states, providers, models, since_time).select(entries)
    if as_json:
        click.echo(json.dumps([entry.as_dict() for entry in entries], indent=2))
        return
    console = Console(emoji=False, highlight=False)
    if not entries:
        console.print(Text(f"no jobs in {plain_text(shown_journal(path))}"), soft_wrap=True)
        return
    print_jobs(entries, console, shown_journal(path), wide=wide)
    for entry in entries:
        if entry.submission in ("pending", "uncertain"):
            key = entry.intent_id if wide else short_id(entry.intent_id)
            reconcile = entry.reconcile or (
                "the process stopped mid-submit; a job may exist. If the provider shows one, "
                f"run `musicbind reconcile {key} --job-id JOB_ID`."
            )
            console.print(
                f"[bold]{shown(key)}[/bold] {shown(entry.submission)}: {shown(reconcile)}"
            )


OUT_OPTION = results_option()
JOURNAL_OPTION = journal_option()
TIMEOUT_OPTION = click.option(
    "--timeout",
    type=float,
    default=DEFAULT_WAIT_TIMEOUT,
    show_default=True,
    help="Stop waiting after this many seconds (the job keeps running; resume it later).",
)


@click.command("resume")
@click.argument("job", required=False)
@OUT_OPTION
@JOURNAL_OPTION
@TIMEOUT_OPTION
@click.option(
    "--job-id",
    help="The provider's job id: with --ref, for a job the journal never recorded; with "
    "JOB, attaches it to that pending or uncertain entry (as `musicbind reconcile`).",
)
@click.option("--ref", help="The model ref of --job-id (e.g. fal:sonilo/v1.1/video-to-music).")
@click.option("--package", help=PACKAGE_HELP)
def resume_command(
    job: str | None,
    out_dir: Path,
    journal_path: Path | str | None,
    timeout: float | None,
    job_id: str | None,
    ref: str | None,
    package: str | None,
) -> None:
    """Resume waiting for and downloading JOB (a journal entry id, a job id, or a unique prefix).

    Files already downloaded are kept and the missing ones fetched. The job's provider
    protocol comes from the bindings package when it has that provider, else from the
    journal entry, so a job of any package can be resumed.
    """
    if job is None and (job_id is None or ref is None):
        raise click.UsageError("give JOB, or --job-id ID with --ref REF")
    _resume(job, job_id, ref, out_dir, journal_path, timeout, package)


@click.command("reconcile")
@click.argument("job")
@click.option(
    "--job-id",
    required=True,
    help="The job the provider shows for this submit (its dashboard or job list).",
)
@OUT_OPTION
@JOURNAL_OPTION
@TIMEOUT_OPTION
@click.option("--package", help=PACKAGE_HELP)
def reconcile_command(
    job: str,
    job_id: str,
    out_dir: Path,
    journal_path: Path | str | None,
    timeout: float | None,
    package: str | None,
) -> None:
    """Attach the provider's job id to the pending or uncertain journal entry JOB, then resume.

    For a submit that may or may not have created a job: when the provider shows the
    job it did create, this records it, waits for it and downloads its files, so it is
    never submitted (and paid for) again.
    """
    _resume(job, job_id, None, out_dir, journal_path, timeout, package)


def _resume(
    key: str | None,
    job_id: str | None,
    ref: str | None,
    out_dir: Path,
    journal_path: Path | str | None,
    timeout: float | None,
    package: str | None,
) -> None:
    console = Console(stderr=True, emoji=False, highlight=False)
    bindings = bindings_for(package)
    with reported_errors(), Journal(journal_path) as journal:
        if key is not None:
            entry = journal.get(key)
            provider, base_url, fallback = entry.provider, entry.base_url, entry.protocol
        else:
            assert ref is not None
            provider, base_url, fallback = ref.partition(":")[0], None, None
        with client_for(
            provider, journal=journal, base_url=base_url, fallback=fallback, package=bindings
        ) as client:
            if key is None:
                assert job_id is not None and ref is not None
                resumed = client.attach(lookup_binding(ref, bindings), job_id)
            elif job_id is not None:
                resumed = client.reconcile(key, job_id)
            else:
                resumed = Job.from_journal(key, client=client)
            console.print(
                f"resuming {shown(resumed.ref)}: job {shown(resumed.job_id)} "
                f"(journal entry {resumed.intent_id})"
            )
            finish(resumed, out_dir, console, timeout)
