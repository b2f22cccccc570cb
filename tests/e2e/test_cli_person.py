"""The command line as a person meets it: version flag, empty folders, counts (real subprocess)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from musicbind import __version__

ROOT = Path(__file__).resolve().parents[2]


def _musicbind(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "musicbind", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin", "NO_COLOR": "1"},
    )


def test_short_version_flag_prints_the_version() -> None:
    done = _musicbind("-V")
    assert done.returncode == 0, done.stderr
    assert __version__ in done.stdout
