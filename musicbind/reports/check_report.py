"""Tooling: what ``musicbind generate`` and ``check`` say beyond the problems themselves.

``check`` leads with a summary a person can read in one screen: the models and fields
that changed since the committed registry snapshot, classified as ``musicbind diff``
classifies them, then which files differ; the text diff only with ``--diff``. Both
commands name the models kept as last generated because a document has errors.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from musicbind.reports.diff_report import text_lines
from musicbind.validation.report import plural

if TYPE_CHECKING:
    from musicbind.generator.diff.registries import Change
    from musicbind.generator.last_good import KeptModel

# Files named in the summary before "and N more".
SHOWN_FILES = 8


def kept_lines(kept: Sequence[KeptModel], verb: str = "kept") -> Iterator[str]:
    """``kept the last generated bindings of 2 models ...`` and one line a model."""
    if not kept:
        return
    yield (
        f"{verb} the last generated bindings of {plural(len(kept), 'model')}, "
        "byte for byte, until the errors are fixed:"
    )
    for model in kept:
        yield f"  {model.ref}: {model.reason()}"


def error_line(errors: Sequence[object], label: str) -> str:
    """``specs have errors: specs/x.md:27: error: ... (and 2 more above)``."""
    first = str(errors[0])
    more = len(errors) - 1
    return f"{label} have errors: {first}" + (f" (and {more} more above)" if more else "")


def check_summary(changes: Sequence[Change], changed: Sequence[str], snapshot: bool) -> list[str]:
    """The semantic summary: changed models and fields, then the files that differ."""
    lines: list[str] = []
    if not snapshot:
        lines.append("the committed registry snapshot (_registry.json) cannot be read:")
    if changes:
        lines.append(f"{plural(len(changes), 'change')} to the models:")
        lines += [f"  {line}" for line in text_lines(changes)]
    elif snapshot:
        lines.append("no model changed (the files differ in their text only)")
    shown = ", ".join(changed[:SHOWN_FILES])
    more = len(changed) - SHOWN_FILES
    verb = "differs" if len(changed) == 1 else "differ"
    listing = f"{plural(len(changed), 'file')} {verb} from a clean run: {shown}" + (
        f" and {more} more" if more > 0 else ""
    )
    # the file list is wrapped for an 80-column terminal or CI log; model lines stay whole
    # (one finding a line, so editors and CI can link their locations)
    lines += textwrap.wrap(listing, width=79, subsequent_indent="  ", break_on_hyphens=False)
    return lines
