"""Helpers for the tests of musicbind in a user's own project.

The project is a temporary folder outside the repository: ``musicbind init``, then the
documents in user_documents/ (written for these tests: a fal model page of a model
musicbind does not ship, a shortened fal page of one it does, and a Scenario parameters
table that narrows a range musicbind's own document allows) listed in its manifest.
Every command runs as a real subprocess, as the user would run it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

DOCUMENTS = Path(__file__).resolve().parent / "user_documents"
MANIFEST_ENTRIES = """\
documents:
  - path: fal/acme-riff-maker.md
    provider: fal
    kind: fal-page
    origin: https://example.com/acme/riff-maker/llms.txt
    retrieved: 2026-01-31
  - path: fal/sonilo-video-to-music.md
    provider: fal
    kind: fal-page
    origin: https://fal.ai/models/sonilo/v1.1/video-to-music/llms.txt
    retrieved: 2026-01-31
  - path: scenario/sonilo-text-to-music.md
    provider: scenario
    kind: scenario-table
    origin: https://docs.scenario.com/models/sonilo
    retrieved: 2026-01-31
"""
# Refs: one the user added, one musicbind ships too, one whose duration the user narrowed.
RIFF = "fal:acme/riff-maker"
FAL_SONILO = "fal:sonilo/v1.1/video-to-music"
NARROWED = "scenario:model_sonilo-v1-1-text-to-music"
# Models of the bundled bindings that the user's documents never name.
NOT_NAMED = ("aigateway:sonauto/v2/text-to-music", "scenario:minimax/music-01")


def musicbind(
    *args: str | Path, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m musicbind ARGS`` in ``cwd``, as the installed console script runs."""
    return subprocess.run(
        [sys.executable, "-P", "-m", "musicbind", *(str(a) for a in args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env=env,
        timeout=300,
    )


def ok(done: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    """``done``, asserting it exited 0 without a traceback."""
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    assert "Traceback" not in done.stderr, done.stderr
    return done


def make_project(folder: Path, *init_args: str, specs: str = "specs") -> Path:
    """A user project in ``folder``: ``musicbind init``, the test documents, their manifest."""
    folder.mkdir(parents=True, exist_ok=True)
    ok(musicbind("init", *init_args, cwd=folder))
    target = folder / specs
    shutil.copytree(DOCUMENTS, target, dirs_exist_ok=True)
    manifest = target / "manifest.yaml"
    manifest.write_text(
        manifest.read_text(encoding="utf-8").replace("documents: []\n", MANIFEST_ENTRIES),
        encoding="utf-8",
    )
    return folder
