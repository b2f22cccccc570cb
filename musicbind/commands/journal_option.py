"""Command line: the ``--journal`` option every command shares: a file, or a PostgreSQL URL."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from musicbind.runtime.journal import is_postgres_url

JOURNAL_HELP = (
    "Job journal: a file, or a postgresql:// URL shared by many workers (default: "
    "$MUSICBIND_JOURNAL or the user data directory)."
)


F = TypeVar("F", bound=Callable[..., Any])


class JournalTarget(click.ParamType):  # type: ignore[type-arg]
    """A journal file (a path, never a folder) or a ``postgresql://`` URL, kept as given."""

    name = "FILE|URL"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, Path) or not isinstance(value, str):
            return value
        if is_postgres_url(value):
            return value
        return click.Path(dir_okay=False, path_type=Path).convert(value, param, ctx)


JOURNAL = JournalTarget()


def journal_option(name: str = "journal_path") -> Callable[[F], F]:
    """The shared ``--journal`` option, bound to the parameter ``name``."""
    return click.option("--journal", name, type=JOURNAL, help=JOURNAL_HELP)


def shown_journal(target: Path | str) -> str:
    """A journal for a message: a file's path, a URL without its password."""
    if isinstance(target, str) and is_postgres_url(target):
        from musicbind.runtime.journal_postgres import display_postgres_url

        return display_postgres_url(target)
    return str(target)
