"""Tooling: printing rich tables whole, for the ``--wide`` views of ``demo`` and ``jobs``."""

from __future__ import annotations

from rich.console import Console
from rich.measure import Measurement
from rich.table import Table


def print_whole(table: Table, console: Console) -> None:
    """The table at its natural width, wider than the terminal if need be (which wraps it)."""
    natural = Measurement.get(console, console.options.update_width(10_000), table).maximum
    width = console.width
    console.width = max(width, natural)
    try:
        console.print(table)
    finally:
        console.width = width
