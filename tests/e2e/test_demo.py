"""The README's main job: `musicbind demo` runs every seeded system to the end (real subprocess)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import mutagen
import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_demo_runs_every_system_to_the_end(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    done = subprocess.run(
        [sys.executable, "-P", "-m", "musicbind", "demo", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env={"COLUMNS": "160", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    for system in ("Scenario Sonilo", "MiniMax", "fal Sonilo", "AIgateway Sonauto"):
        assert system in done.stdout
    assert done.stdout.count("SUCCEEDED") >= 5
    assert "duplicate charges in the emulator ledger: 0" in done.stdout
    files = sorted(out.rglob("*.wav"))
    assert len(files) >= 7
    assert all(mutagen.File(f).info.length > 0 for f in files)
