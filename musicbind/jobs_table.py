"""Command line: ``musicbind jobs``' filters and its table, readable at 80 columns.

The table shows each entry's age, the first characters of its entry id (which ``resume``
takes as a unique prefix), its model, state and cost; units are explained in a key below
it. ``--wide`` shows every id whole (and the job id, submission and files), wider than the
terminal if need be; ``--json`` prints the full records. Provider text (refs, ids, status
words) reaches the terminal as :class:`rich.text.Text`, never as markup.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from musicbind.commands.run import plain_text
from musicbind.project import shown as shown_path
from musicbind.reports.terminal import print_whole
from musicbind.runtime.journal import JournalEntry

SHORT_ID_WIDTH = 8
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_AGE = re.compile(r"(\d+)\s*([smhdw])")
_KEY = (
    ("id", "the journal entry's first characters: `musicbind resume ID` takes them"),
    ("", "(--wide or --json shows ids whole, with the provider's job id)"),
    ("age", "time since the submit (s, m, h, d: seconds to days)"),
    ("cost", "~: estimate before the submit; CU: Scenario creative units; $: USD"),
)


@dataclass(frozen=True, slots=True)
class JobFilter:
    """Which journal entries ``musicbind jobs`` lists (an empty tuple lets every entry in)."""

    states: tuple[str, ...] = ()
    providers: tuple[str, ...] = ()
    models: tuple[str, ...] = ()  # refs, model ids, or shell patterns (``fal:*``)
    since: datetime | None = None

    def admits(self, entry: JournalEntry) -> bool:
        """Whether ``entry`` passes every filter given."""
        states = {s.lower() for s in self.states}
        if states and not {(entry.state or "").lower(), entry.submission.lower()} & states:
            return False
        providers = {p.lower() for p in self.providers}
        if providers and entry.ref.partition(":")[0].lower() not in providers:
            return False
        if self.models and not any(
            fnmatch.fnmatchcase(name, pattern)
            for pattern in self.models
            for name in (entry.ref, entry.model_id)
        ):
            return False
        return self.since is None or created(entry) >= self.since

    def select(self, entries: Iterable[JournalEntry]) -> list[JournalEntry]:
        """The entries that pass, in their order."""
        return [entry for entry in entries if self.admits(entry)]


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """``2h``, ``1d``, ``30m``, ``1d12h`` (ago from ``now``), or an ISO date or date-time.

    A date or date-time without an offset is local time. Raises ValueError otherwise.
    """
    now = now or datetime.now(UTC)
    compact = text.strip().lower().replace(" ", "")
    if compact and _AGE.sub("", compact) == "":
        seconds = sum(int(n) * _UNITS[unit] for n, unit in _AGE.findall(compact))
        return now - timedelta(seconds=seconds)
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"{text!r} is neither an age (30m, 2h, 1d, 1w) nor an ISO date (2026-12-01)"
        ) from None
    return moment if moment.tzinfo is not None else moment.astimezone()


def created(entry: JournalEntry) -> datetime:
    """When the entry was journalled (the journal writes UTC with an offset)."""
    moment = datetime.fromisoformat(entry.created_at)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def age(entry: JournalEntry, now: datetime) -> str:
    """``45s``, ``12m``, ``3h``, ``2d``: the largest whole unit since the submit."""
    seconds = max(0, int((now - created(entry)).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def short_id(value: str, width: int = SHORT_ID_WIDTH) -> str:
    """The id's first ``width`` characters (a prefix ``resume`` accepts)."""
    return value[:width]


def cost(entry: JournalEntry, *, wide: bool = False) -> str:
    """``2 CU``, ``$0.09``, ``~$0.013``, or ``-``; ``wide`` keeps the journal's words."""
    if entry.cost is not None:
        amount, unit, mark = entry.cost, entry.cost_unit or "", ""
    elif entry.estimate is not None:
        amount, unit, mark = entry.estimate, entry.estimate_currency or "", "~"
    else:
        return "-"
    if wide:
        return f"{mark}{amount} {unit}".strip()
    number = _trimmed(amount)
    if unit.upper() == "USD":
        return f"{mark}${number}"
    if unit.lower() in ("creative units", "cu"):
        return f"{mark}{number} CU"
    return f"{mark}{number} {unit}".strip()


def _trimmed(amount: str) -> str:
    """``0.0900`` -> ``0.09``; text that is no number is kept."""
    if re.fullmatch(r"\d+\.\d+", amount):
        return amount.rstrip("0").rstrip(".")
    return amount


def state(entry: JournalEntry) -> str:
    """The job's state, else the submission's (``uncertain``, ``pending``, ``rejected``)."""
    return entry.state or entry.submission


def jobs_table(entries: Sequence[JournalEntry], now: datetime, *, wide: bool = False) -> Table:
    """One line per entry; ``wide`` adds whole ids, submission and file count."""
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, padding=(0, 1, 0, 0), header_style="bold")
    if wide:
        names = ("created (UTC)", "entry", "model", "job id", "submission", "state", "cost")
        for name in names:
            table.add_column(name, no_wrap=True)
        table.add_column("files", justify="right", no_wrap=True)
    else:
        for name in ("age", "id", "model", "state", "cost"):
            table.add_column(name, no_wrap=name != "model", overflow="fold")
        table.columns[0].justify = "right"
    for entry in entries:
        cells: tuple[str, ...]
        if wide:
            cells = (
                created(entry).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
                entry.intent_id,
                entry.ref,
                entry.job_id or "-",
                entry.submission,
                entry.state or "-",
                cost(entry, wide=True),
                str(len(entry.files)),
            )
        else:
            cells = (
                age(entry, now),
                short_id(entry.intent_id),
                entry.ref,
                state(entry),
                cost(entry),
            )
        table.add_row(*(Text(plain_text(cell)) for cell in cells))
    return table


def print_jobs(
    entries: Sequence[JournalEntry],
    console: Console,
    journal: str,
    *,
    wide: bool = False,
    now: datetime | None = None,
) -> None:
    """The table, its key (unless wide), then the journal's path and the entries' count."""
    table = jobs_table(entries, now or datetime.now(UTC), wide=wide)
    if wide:
        print_whole(table, console)
    else:
        console.print(table)
        console.print()
        for name, meaning in _KEY:
            console.print(Text(f"  {name:<5} {meaning}"), soft_wrap=True)
    console.print()
    count = f"{len(entries)} job{'' if len(entries) == 1 else 's'}"
    console.print(Text(f"{count} in {plain_text(shown_path(Path(journal)))}"), soft_wrap=True)
