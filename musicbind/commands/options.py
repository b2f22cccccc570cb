"""Command line: the options several commands share, defined once.

Each is a decorator factory taking the command's own help text where the commands
say different things (``--out`` is a bindings folder for ``generate`` and a folder
for result files for ``run``), so the type, the name and the checks stay one.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

PROJECT_SPECS = "default: [tool.musicbind] specs, else specs/"
PROJECT_OUT = "default: [tool.musicbind] out, else generated/"


def format_option(formats: tuple[str, ...], help_text: str) -> Callable[[F], F]:
    """``--format``: how a report is printed, ``text`` unless asked otherwise."""
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(formats),
        default="text",
        show_default=True,
        help=help_text,
    )


def specs_option(help_text: str = f"Specs folder ({PROJECT_SPECS}).") -> Callable[[F], F]:
    """``--specs DIR``: the folder of provider documents, manifest.yaml and overlay.yaml."""
    return click.option(
        "--specs", "specs", type=click.Path(file_okay=False, path_type=Path), help=help_text
    )


def bindings_option(help_text: str = f"Bindings folder ({PROJECT_OUT}).") -> Callable[[F], F]:
    """``--out DIR``: the folder of the generated bindings package."""
    return click.option(
        "--out", "out", type=click.Path(file_okay=False, path_type=Path), help=help_text
    )


def results_option() -> Callable[[F], F]:
    """``--out DIR``: where ``run``, ``wait`` and ``resume`` put the result files."""
    return click.option(
        "--out",
        "out_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path("."),
        show_default=True,
        help="Directory for the result files.",
    )


def media_duration_option(help_text: str) -> Callable[[F], F]:
    """``--media-duration FIELD=SECONDS`` (repeatable) -> ``{field: seconds}``, checked."""
    return click.option(
        "--media-duration",
        "media_duration",
        multiple=True,
        metavar="FIELD=SECONDS",
        callback=_media_durations,
        help=help_text,
    )


def probe_urls_option(help_text: str) -> Callable[[F], F]:
    """``--probe-urls``: read the length of http(s) media from the file's header."""
    return click.option("--probe-urls", is_flag=True, help=help_text)


def _media_durations(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> dict[str, float]:
    durations: dict[str, float] = {}
    for value in values:
        name, equals, seconds = value.partition("=")
        try:
            number = float(seconds)
        except ValueError:
            number = math.nan
        if not equals or not name.strip() or not math.isfinite(number) or number <= 0:
            raise click.BadParameter(
                f"{value!r}: expected FIELD=SECONDS with SECONDS a finite number above 0, "
                "e.g. video_url=60"
            )
        durations[name.strip()] = number
    return durations
