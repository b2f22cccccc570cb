"""Helpers for the 80-column snapshots: run the CLI as in a CI log, keep what a person reads.

Each snapshot is one plain text file under ``__snapshots__/<test module>/<test>.txt``
(syrupy's single-file layout), written as a transcript: the command, its exit status,
then stdout and stderr as they appear at 80 columns with no TTY. Trailing blanks are
dropped (rich pads lines) and the volatile parts (ports, temporary folders, timings,
job ids) are replaced, so the files only change when the output does.
Update them with ``pytest tests/e2e/test_cli_at_80_columns.py --snapshot-update``.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

ROOT = Path(__file__).resolve().parents[2]
COLUMNS = 80
UPDATE = "pytest tests/e2e/test_cli_at_80_columns.py --snapshot-update"


class TranscriptSnapshot(SingleFileSnapshotExtension):
    """A snapshot stored as readable text, one ``.txt`` file per test."""

    _write_mode = WriteMode.TEXT
    file_extension = "txt"


def run_at_80_columns(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``python -m musicbind ARGS`` with COLUMNS=80, no TTY and no colour, as in a CI log."""
    return subprocess.run(
        [sys.executable, "-P", "-m", "musicbind", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
        env={"COLUMNS": str(COLUMNS), "PATH": "/usr/bin:/bin", "NO_COLOR": "1", **(env or {})},
    )


def mask_ids(text: str) -> str:
    """Job ids (``job_<hex>``, UUIDs, shortened or whole) with their hex digits as ``x``:
    the same width, so the table's columns stay where they were."""

    def hex_to_x(match: re.Match[str]) -> str:
        return re.sub(r"[0-9a-f]", "x", match.group(0))

    text = re.sub(r"(?<=job_)[0-9a-f]+", hex_to_x, text)
    return re.sub(r"\b[0-9a-f]{8}-[0-9a-f-]+", hex_to_x, text)


def transcript(
    args: tuple[str, ...],
    done: subprocess.CompletedProcess[str],
    normalise: Callable[[str], str] = lambda text: text,
) -> str:
    """The command, its exit status, stdout and stderr, normalised and without trailing blanks."""
    parts = [f"$ musicbind {' '.join(args)}", f"exit status {done.returncode}"]
    for name, text in (("stdout", done.stdout), ("stderr", done.stderr)):
        lines = [line.rstrip() for line in normalise(text).splitlines()]
        parts += [f"--- {name} ---", *lines] if lines else [f"--- {name}: nothing ---"]
    return "\n".join(parts) + "\n"


def too_wide(text: str, width: int = COLUMNS) -> list[str]:
    """The lines of ``text`` longer than ``width`` (what a terminal would wrap)."""
    return [line for line in text.splitlines() if len(line.rstrip()) > width]
