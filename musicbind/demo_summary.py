"""Demo: the end of ``musicbind demo``, a summary a person reads at 80 columns, or JSON records.

The table keeps one line per system at 80 columns and in a CI log (no TTY): job ids are
shortened (``--wide`` shows them whole), the units are explained in a key below it, and
the downloaded files are listed after it, relative to the output folder, so no cell
holds a path. ``records`` gives the same facts in full for ``--json``.
"""

from __future__ import annotations

import json
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from musicbind.demo import DURATION_TOLERANCE_S, DemoResult, DemoRow
from musicbind.project import shown
from musicbind.reports.terminal import print_whole
from musicbind.validation.report import plural

# Room for "job_" and 7 hex digits, or a UUID's first group: enough to tell jobs apart.
SHORT_ID_WIDTH = 12
_KEY = (
    ("job", "the id's first characters (--wide or --json shows it whole)"),
    ("estimate", "CU: Scenario creative units, from a dry run (free of charge)"),
    ("", "$: US dollars, from the provider's published price"),
    ("seconds", "each file's measured length; in brackets the length asked for"),
    ("", "(any: the model decides)"),
)


def short_id(job_id: str, width: int = SHORT_ID_WIDTH) -> str:
    """``job_269e0d3…``: the id's start, cut to ``width`` characters with an ellipsis."""
    return job_id if len(job_id) <= width else job_id[: width - 1] + "…"


def print_summary(result: DemoResult, console: Console, *, wide: bool = False) -> None:
    """The table, its key, failures, the files, then one line with the verdict."""
    console.print()
    table = summary_table(result.rows, wide=wide)
    print_whole(table, console) if wide else console.print(table)
    console.print()
    for name, meaning in _KEY:
        if name == "job" and wide:
            continue
        console.print(Text(f"  {name:<9} {meaning}"), soft_wrap=True)
    failed = [row for row in result.rows if not row.ok]
    if failed:
        console.print()
        for row in failed:
            job = f" (job {row.job_id})" if row.job_id else ""
            console.print(Text(f"NO  {row.case.title}{job}: {row.problem}"), soft_wrap=True)
    console.print()
    files = [path for row in result.rows for path in row.files]
    out = result.out.resolve()
    folder = shown(out).rstrip("/") + "/"
    console.print(Text(f"{plural(len(files), 'file')} under {folder}:"), soft_wrap=True)
    for path in files:
        path = path.resolve()
        inside = path.relative_to(out).as_posix() if path.is_relative_to(out) else shown(path)
        console.print(Text(f"  {inside}"), soft_wrap=True)
    console.print(Text(f"job journal: {shown(result.journal.resolve())}"), soft_wrap=True)
    passed = sum(row.ok for row in result.rows)
    console.print(
        Text(
            f"{passed} of {plural(len(result.rows), 'system')} ok; duplicate charges in the "
            f"emulator ledger: {result.duplicates}; took {result.seconds:.1f} s"
        ),
        soft_wrap=True,
    )


def summary_table(rows: list[DemoRow], *, wide: bool = False) -> Table:
    """One line per system: what ran, its job, the estimate, measured lengths, ok."""
    # Two spaces between columns (the box's blank divider and one of padding), none at the edges.
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, padding=(0, 1, 0, 0), header_style="bold")
    # A catalogue ref can be long: it folds onto a second line rather than squeezing the rest.
    table.add_column("system", overflow="fold")
    table.add_column("job", no_wrap=True)
    if wide:
        table.add_column("state", no_wrap=True)
    table.add_column("estimate", no_wrap=True)
    table.add_column("seconds", no_wrap=True)
    table.add_column("ok", no_wrap=True)
    for row in rows:
        cells = [
            Text(row.case.title),
            Text((row.job_id if wide else short_id(row.job_id)) or "-"),
            *([Text(row.state)] if wide else []),
            Text(row.estimate.short if row.estimate else "-"),
            Text(_seconds(row)),
            Text("yes" if row.ok else "NO", style="" if row.ok else "bold red"),
        ]
        table.add_row(*cells)
    return table


def _seconds(row: DemoRow) -> str:
    measured = ", ".join(f"{d:.2f}" for d in row.durations) or "-"
    expected = row.case.expected_seconds
    return f"{measured} ({'any' if expected is None else f'{expected:g}'})"


def records(result: DemoResult) -> dict[str, Any]:
    """Everything the summary shows, whole (full ids, absolute paths), for ``--json``."""
    return {
        "ok": result.ok,
        "out": str(result.out.resolve()),
        "journal": str(result.journal.resolve()),
        "duplicate_charges": result.duplicates,
        "seconds": round(result.seconds, 1),
        "duration_tolerance_seconds": DURATION_TOLERANCE_S,
        "systems": [_record(row) for row in result.rows],
    }


def _record(row: DemoRow) -> dict[str, Any]:
    estimate = row.estimate
    return {
        "system": row.case.title,
        "model": row.ref or None,
        "method": row.case.method,
        "job_id": row.job_id or None,
        "state": row.state,
        "estimate": None
        if estimate is None
        else {
            "amount": None if estimate.amount is None else str(estimate.amount),
            "unit": estimate.unit,
            "source": estimate.source,
        },
        "files": [str(path.resolve()) for path in row.files],
        "seconds": [round(d, 3) for d in row.durations],
        "expected_seconds": row.case.expected_seconds,
        "ok": row.ok,
        "problem": row.problem or None,
    }


def json_text(result: DemoResult) -> str:
    """:func:`records` as indented JSON."""
    return json.dumps(records(result), indent=2, ensure_ascii=False)


__all__ = ["json_text", "print_summary", "records", "short_id", "summary_table"]
