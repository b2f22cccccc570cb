"""``musicbind run`` and ``resume`` in a user's project use the project's own bindings.

The project narrows Scenario Sonilo's duration to 120 s (musicbind's own document allows
600): a payload of 200 s is refused on the user's machine, before anything is sent, and
one of 30 s runs end to end against the emulator on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from project_support import NARROWED, make_project, musicbind, ok

from musicbind.emulator import server as emulator_server


@pytest.fixture(scope="module")
def emulator() -> Iterator[object]:
    with emulator_server.EmulatorServer(seed=11) as server:
        yield server


def _environment(emulator: object, journal: Path) -> dict[str, str]:
    env = {**os.environ, **emulator.env()}  # type: ignore[attr-defined]
    env["MUSICBIND_JOURNAL"] = str(journal)
    return env


def test_run_and_resume_use_the_users_bindings(emulator: object, tmp_path: Path) -> None:
    project = make_project(tmp_path / "proj")
    ok(musicbind("generate", cwd=project))
    env = _environment(emulator, tmp_path / "journal.sqlite3")
    long = project / "long.json"
    long.write_text(json.dumps({"prompt": "calm piano", "duration": 200}))

    refused = musicbind("run", NARROWED, long, "--out", "out", cwd=project, env=env)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "duration" in refused.stderr and "120" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert emulator.ledger.accepted() == []  # type: ignore[attr-defined]

    # The bundled bindings, asked for by name, allow 200 s: the user's range was the reason.
    bundled = musicbind(
        "run", NARROWED, long, "--out", "out", "--package", "musicbind.generated", "--timeout",
        "0.01", cwd=project, env=env,
    )  # fmt: skip
    assert "duration" not in bundled.stderr, bundled.stderr
    assert len(emulator.ledger.accepted()) == 1  # type: ignore[attr-defined]

    short = project / "short.json"
    short.write_text(json.dumps({"prompt": "calm piano", "duration": 3}))
    done = ok(musicbind("run", NARROWED, short, "--out", "out", cwd=project, env=env))
    paths = [Path(line) for line in done.stdout.splitlines()]
    assert paths and all(path.is_file() for path in paths)

    # The job that timed out under the bundled package resumes from the user's project.
    listing = json.loads(ok(musicbind("jobs", "--json", cwd=project, env=env)).stdout)
    waiting = [entry for entry in listing if entry["files"] == []]
    assert len(waiting) == 1
    resumed = ok(
        musicbind("resume", waiting[0]["intent_id"], "--out", "late", cwd=project, env=env)
    )
    assert [Path(line).parent for line in resumed.stdout.splitlines()] == [
        (project / "late").resolve()
    ]
