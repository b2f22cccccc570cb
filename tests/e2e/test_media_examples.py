"""The README's "score a local clip with fal" and "use webhooks" examples, run as written.

Each file under docs/examples/ runs in a subprocess against the emulator, with only the
variables ``musicbind emulate`` prints, and must do what its docstring says.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from musicbind.emulator import server as server_module
from musicbind.emulator.jobs import Timing

pytest.importorskip("nacl")

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs" / "examples"
DEMO_VIDEO = ROOT / "emulator" / "media" / "demo.mp4"


@pytest.fixture(scope="module")
def emulator() -> Iterator[Any]:
    with server_module.EmulatorServer(seed=5, timing=Timing(queue_s=0.05, run_s=0.2)) as running:
        yield running


def run_example(name: str, *args: str, cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-P", str(EXAMPLES / name), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "HOME": str(cwd), **env},
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_score_a_local_clip_with_fal(emulator: Any, tmp_path: Path) -> None:
    shutil.copy(DEMO_VIDEO, tmp_path / "clip.mp4")
    env = {**emulator.env(), "MUSICBIND_JOURNAL": str(tmp_path / "journal.sqlite3")}
    before = [p for p in emulator.emulator.media if p.startswith("files/fal/")]
    out = run_example("score_local_clip_with_fal.py", "clip.mp4", "music", cwd=tmp_path, env=env)
    lines = out.splitlines()
    assert lines[0] == "estimated cost: 0.0720 USD"  # 8 s x $0.009, no media_duration given
    assert lines[1].startswith("refused: Value error, start_offset=10 + duration=60")
    saved = [Path(line.split(" ", 1)[1]) for line in lines if line.startswith("saved ")]
    assert saved and all((tmp_path / p).is_file() or p.is_file() for p in saved)
    after = [p for p in emulator.emulator.media if p.startswith("files/fal/")]
    assert len(after) == len(before) + 1  # the clip went up once
    run_example("score_local_clip_with_fal.py", "clip.mp4", "again", cwd=tmp_path, env=env)
    assert len([p for p in emulator.emulator.media if p.startswith("files/fal/")]) == len(after)


def test_use_webhooks(emulator: Any, tmp_path: Path) -> None:
    pytest.importorskip("uvicorn")
    env = {**emulator.env(), "MUSICBIND_JOURNAL": str(tmp_path / "journal.sqlite3")}
    out = run_example("use_webhooks.py", emulator.media_url(), "music", cwd=tmp_path, env=env)
    lines = out.splitlines()
    assert lines[1] == "state: SUCCEEDED"
    job_id = lines[0].split()[1]
    from musicbind.emulator import webhooks

    assert webhooks.answers(emulator.emulator, job_id) == [200]  # delivered and recorded
    assert any(line.startswith("saved ") for line in lines)
