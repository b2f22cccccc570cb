"""Command line: ``musicbind batch FILE``: run a file of jobs through one journal.

Exit status: 0 when every item is done; 1 when an item failed or was skipped (the cost cap),
or on a usage or file error (nothing is sent then); 3 when a submit may or may not have
created a job (see ``musicbind jobs``); 4 when ``--timeout`` passed before a job ended
(it still runs: the same command resumes it). Run the same command again to resume: done items
are skipped, accepted jobs are waited for, nothing is submitted twice.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from decimal import Decimal, InvalidOperation
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from musicbind.commands.run import PACKAGE_HELP, bindings_for, plain_text, reported_errors, shown
from musicbind.runtime.batch import Batch, BatchProgress, BatchReport, plain_decimal
from musicbind.runtime.batch_items import BatchFileError, read_batch_file
from musicbind.runtime.polling import DEFAULT_POLL_POLICY, DEFAULT_WAIT_TIMEOUT, PollPolicy

EXIT_UNCERTAIN = 3
EXIT_TIMEOUT = 4
PLAIN_PROGRESS_INTERVAL_S = 10.0  # a CI log gets a line at most this often (and at the end)
MAX_ERRORS_SHOWN = 20


class ProgressDisplay:
    """Progress on standard error: one rewritten line on a terminal, plain lines elsewhere."""

    def __init__(self, console: Console, *, interactive: bool, interval: float) -> None:
        self.console = console
        self.interactive = interactive
        self.interval = interval
        self._last_line = ""
        self._last_printed = ""
        self._last_time = -math.inf
        self._latest: BatchProgress | None = None

    def __call__(self, progress: BatchProgress) -> None:
        self._latest = progress
        now = time.monotonic()
        line = progress_line(progress)
        if self.interactive:
            if line != self._last_line:
                self.console.file.write("\r\x1b[2K" + line)
                self.console.file.flush()
        elif now - self._last_time >= self.interval and line != self._last_line:
            self.console.file.write(line + "\n")
            self.console.file.flush()
            self._last_time = now
            self._last_printed = line
        self._last_line = line

    def close(self) -> None:
        """End the display (a final plain line in a log)."""
        if self.interactive and self._last_line:
            self.console.file.write("\n")
        elif self._latest is not None and self._last_time != -math.inf:
            final = progress_line(self._latest)
            if final != self._last_printed:
                self.console.file.write(final + "\n")
        self.console.file.flush()


def progress_line(progress: BatchProgress) -> str:
    """``batch 40/200 done, 8 running, 1 failed, spent 0.52 USD, eta 12s``."""
    parts = [f"batch {progress.done}/{progress.total} done", f"{progress.running} running"]
    if progress.failed:
        parts.append(f"{progress.failed} failed")
    if progress.uncertain:
        parts.append(f"{progress.uncertain} uncertain")
    if progress.skipped:
        parts.append(f"{progress.skipped} skipped")
    if progress.timed_out:
        parts.append(f"{progress.timed_out} timed out")
    parts.append(f"spent {plain_decimal(progress.spent)} {progress.currency}".rstrip())
    if progress.eta_s is not None and progress.finished < progress.total:
        parts.append(f"eta {_seconds(progress.eta_s)}")
    return ", ".join(parts)


def _seconds(value: float) -> str:
    value = max(0.0, value)
    if value < 90:
        return f"{value:.0f}s"
    if value < 5400:
        return f"{value / 60:.0f}m"
    return f"{value / 3600:.1f}h"


def summary_table(report: BatchReport) -> Table:
    """Items per model and status, with spend (provider text escaped)."""
    statuses = ["done", "failed", "uncertain", "skipped"]
    if any(item.status == "timed_out" for item in report.items):
        statuses.append("timed_out")
    table = Table(title=None, box=None, pad_edge=False)
    table.add_column("model", overflow="fold")
    for column in ("items", *(s.replace("_", " ") for s in statuses), "spent"):
        table.add_column(column, justify="right", no_wrap=True)
    rows: dict[str, dict[str, Decimal | int]] = {}
    for item in report.items:
        row = rows.setdefault(item.ref, {"items": 0, "spent": Decimal(0)})
        row["items"] = int(row["items"]) + 1
        row[item.status] = int(row.get(item.status, 0)) + 1
        if item.cost is not None or (item.estimate is not None and item.status != "skipped"):
            amount = item.cost if item.cost is not None else item.estimate
            row["spent"] = Decimal(row["spent"]) + Decimal(str(amount))
    for ref, row in sorted(rows.items()):
        table.add_row(
            shown(ref),
            str(row["items"]),
            *(str(row.get(name, 0)) for name in statuses),
            plain_decimal(Decimal(row["spent"])),
        )
    counts = report.counts()
    table.add_row(
        "total",
        str(len(report.items)),
        *(str(counts.get(name, 0)) for name in statuses),
        f"{plain_decimal(report.spent)} {report.currency}".rstrip(),
    )
    return table


@click.command("batch")
@click.argument("batch_file", type=click.Path(dir_okay=False, path_type=Path, exists=True))
@click.option(
    "--journal",
    "journal_target",
    help="Journal file, or postgresql://... to share one with other workers "
    "(default: $MUSICBIND_JOURNAL or the user data directory).",
)
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=8,
    show_default=True,
    help="Jobs in flight per provider.",
)
@click.option("--max-total-cost", help="Cap on the whole batch's spend (estimated before submit).")
@click.option(
    "--rate",
    type=click.FloatRange(min=0, min_open=True),
    help="Starting requests per second per provider (adapts to 429; default: learn it).",
)
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write every item's outcome here as JSON.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Download the result files into DIR/<item key>/ (default: keep results only).",
)
@click.option("--retry-failed", is_flag=True, help="Submit failed items again (they pay again).")
@click.option(
    "--lease",
    type=click.FloatRange(min=1),
    default=60.0,
    show_default=True,
    help="Seconds another worker waits before taking over this one's items.",
)
@click.option(
    "--idempotency-header",
    help="Header the provider deduplicates submits by; lets a rerun re-send an unsure submit.",
)
@click.option(
    "--timeout",
    type=float,
    default=DEFAULT_WAIT_TIMEOUT,
    show_default=True,
    help="Stop waiting for a job after this many seconds (rerun to resume it).",
)
@click.option(
    "--poll-interval",
    type=click.FloatRange(min=0.01),
    help="Seconds before a job's first status check (then it backs off; default 0.5).",
)
@click.option("--package", help=PACKAGE_HELP)
@click.option(
    "--progress",
    type=click.Choice(["auto", "line", "plain", "none"]),
    default="auto",
    show_default=True,
    help="line: one rewritten line (a terminal); plain: a line every 10 s (a log).",
)
def batch_command(
    batch_file: Path,
    journal_target: str | None,
    concurrency: int,
    max_total_cost: str | None,
    rate: float | None,
    report_path: Path | None,
    out_dir: Path | None,
    retry_failed: bool,
    lease: float,
    idempotency_header: str | None,
    timeout: float,
    poll_interval: float | None,
    package: str | None,
    progress: str,
) -> None:
    """Run every item of BATCH_FILE (JSON Lines or a YAML list of {model, input} items).

    Resumable: run it again after a crash or Ctrl-C; nothing is submitted twice.
    """
    console = Console(stderr=True, emoji=False, highlight=False)
    cap = _decimal(max_total_cost)
    try:
        items = read_batch_file(batch_file)
    except BatchFileError as error:
        for problem in error.problems[:50]:
            click.echo(plain_text(problem), err=True)
        raise click.ClickException(
            f"{len(error.problems)} problem(s) in {batch_file}: nothing was submitted"
        ) from None
    bindings = bindings_for(package)
    interactive = progress == "line" or (progress == "auto" and sys.stderr.isatty())
    display = (
        None
        if progress == "none"
        else ProgressDisplay(
            console, interactive=interactive, interval=_interval(progress, interactive)
        )
    )
    batch = Batch(
        items,
        journal=journal_target,
        package=bindings,
        concurrency=concurrency,
        max_total_cost=cap,
        rate=rate,
        out_dir=out_dir,
        wait_timeout=timeout,
        lease_s=lease,
        retry_failed=retry_failed,
        idempotency_header=idempotency_header,
        poll=(
            PollPolicy(initial=poll_interval, early_max=max(poll_interval, 2.0))
            if poll_interval is not None
            else DEFAULT_POLL_POLICY
        ),
    )
    try:
        with reported_errors():
            report = batch.run(display)
    except KeyboardInterrupt:
        if display is not None:
            display.close()
        click.echo(
            "interrupted: run the same command again to resume (nothing is submitted twice)",
            err=True,
        )
        raise SystemExit(130) from None
    if display is not None:
        display.close()
    _print_summary(console, report)
    if report_path is not None:
        report_path.write_text(json.dumps(report.as_dict(), indent=2) + "\n", encoding="utf-8")
    counts = report.counts()
    if counts.get("uncertain"):
        raise SystemExit(EXIT_UNCERTAIN)
    if counts.get("timed_out"):
        raise SystemExit(EXIT_TIMEOUT)
    if not report.ok:
        raise SystemExit(1)


def _print_summary(console: Console, report: BatchReport) -> None:
    console.print(summary_table(report))
    if report.duplicates:
        console.print(f"{len(report.duplicates)} duplicate item(s) in the file ran once")
    if report.rate_limited:
        console.print(f"{report.rate_limited} of {report.requests} requests were answered 429")
    problems = [item for item in report.items if item.status != "done"]
    for item in problems[:MAX_ERRORS_SHOWN]:
        what = f"{shown(item.label)} {shown(item.ref)}: {shown(item.error or '')}"
        console.print(f"{item.status}: {what}")
    if len(problems) > MAX_ERRORS_SHOWN:
        console.print(f"... and {len(problems) - MAX_ERRORS_SHOWN} more (see --report)")


def _interval(progress: str, interactive: bool) -> float:
    if interactive:
        return 0.0
    raw = os.environ.get("MUSICBIND_PROGRESS_INTERVAL")
    try:
        return float(raw) if raw else PLAIN_PROGRESS_INTERVAL_S
    except ValueError:
        return PLAIN_PROGRESS_INTERVAL_S


def _decimal(value: str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise click.BadParameter(
            f"{value!r} is not a number", param_hint="--max-total-cost"
        ) from None
    if not number.is_finite() or number < 0:
        raise click.BadParameter(f"{value!r} must be 0 or more", param_hint="--max-total-cost")
    return number
