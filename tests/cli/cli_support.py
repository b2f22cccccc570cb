"""Helpers for the CLI tests: run the CLI as a user does, read the registry snapshot."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

from musicbind.generator.registry.model import Model, Registry
from musicbind.generator.snapshot.snapshot_file import read_snapshot

ROOT = Path(__file__).resolve().parents[2]
MUSICBIND = [sys.executable, "-P", "-m", "musicbind"]


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m musicbind ARGS`` in a real subprocess (the repository on PYTHONPATH)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return subprocess.run(
        [*MUSICBIND, *args],
        cwd=cwd or ROOT,
        capture_output=True,
        text=True,
        check=False,
        env=env,
        timeout=300,
    )


def assert_no_traceback(done: subprocess.CompletedProcess[str]) -> None:
    """A user never sees a Python traceback."""
    assert "Traceback" not in done.stderr, done.stderr
    assert "Traceback" not in done.stdout, done.stdout


def json_output(done: subprocess.CompletedProcess[str]) -> Any:
    """The JSON a ``--format json`` run printed."""
    try:
        return json.loads(done.stdout)
    except ValueError as exc:
        raise AssertionError(f"not JSON ({exc}):\n{done.stdout}\n{done.stderr}") from None


@cache
def snapshot() -> Registry:
    """The registry the committed bindings were generated from."""
    registry, problems = read_snapshot(ROOT / "generated")
    assert registry is not None, problems
    return registry


def models() -> list[Model]:
    """Every model of the committed bindings."""
    return list(snapshot().models)
