"""Every command's ``--help`` fits an 80-column terminal or CI log."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from musicbind.cli import COMMANDS


@pytest.mark.parametrize("command", ["", *sorted(COMMANDS)])
def test_help_fits_80_columns(command: str) -> None:
    args = [command, "--help"] if command else ["--help"]
    done = subprocess.run(
        [sys.executable, "-P", "-m", "musicbind", *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "COLUMNS": "80"},
    )
    assert done.returncode == 0, done.stderr
    wide = [line for line in done.stdout.splitlines() if len(line) > 80]
    assert wide == [], "\n".join(wide)
