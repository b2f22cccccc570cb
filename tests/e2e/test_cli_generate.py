"""`musicbind generate` and `check` as a user runs them: real subprocesses on a repo copy."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MUSICBIND = [sys.executable, "-P", "-m", "musicbind"]


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*MUSICBIND, *args], cwd=cwd, capture_output=True, text=True, check=False)


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


@pytest.fixture
def project(tmp_path: Path) -> Path:
    # This repository as a project: its [tool.musicbind] says the package is musicbind.generated.
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    shutil.copytree(ROOT / "specs", tmp_path / "specs")
    shutil.copytree(
        ROOT / "generated", tmp_path / "generated", ignore=shutil.ignore_patterns("__pycache__")
    )
    return tmp_path


def test_committed_output_is_what_the_specs_produce(project: Path) -> None:
    before = _tree(project / "generated")
    done = _run(["generate"], project)
    assert done.returncode == 0, done.stderr
    assert _tree(project / "generated") == before
    again = _run(["generate"], project)
    assert again.returncode == 0 and "0 files written" in again.stderr, again.stderr
    assert _run(["check"], project).returncode == 0


def test_from_scratch_is_byte_identical(project: Path) -> None:
    before = _tree(project / "generated")
    shutil.rmtree(project / "generated")
    assert _run(["generate"], project).returncode == 0
    assert _tree(project / "generated") == before


def test_check_fails_after_a_spec_edit(project: Path) -> None:
    page = project / "specs" / "scenario" / "sonilo-parameters.md"
    page.write_text(
        page.read_text(encoding="utf-8").replace("| 600 |", "| 300 |", 1), encoding="utf-8"
    )
    done = _run(["check"], project)
    assert done.returncode == 1
    assert "duration: maximum 600 -> 300" in done.stdout and "musicbind generate" in done.stderr
    assert "le=300" not in done.stdout  # the text diff only with --diff
    assert "le=300" in _run(["check", "--diff"], project).stdout


def test_check_fails_after_a_hand_edit(project: Path) -> None:
    module = project / "generated" / "fal" / "sonilo_v1_1_video_to_music.py"
    module.write_text(module.read_text(encoding="utf-8").replace("le=3", "le=30"), encoding="utf-8")
    done = _run(["check"], project)
    assert done.returncode == 1 and "fal/sonilo_v1_1_video_to_music.py" in done.stdout
    assert "no model changed" in done.stdout
    assert "le=30" in _run(["check", "--diff"], project).stdout


def test_a_broken_document_is_located_and_the_others_still_generate(project: Path) -> None:
    before = _tree(project / "generated")
    (project / "specs" / "fal" / "sonilo-v1.1-video-to-music.openapi.json").write_text(
        '{"openapi": "3.0.4", "info": ', encoding="utf-8"
    )
    page = project / "specs" / "fal" / "sonilo-v1.1-video-to-music.md"
    page.unlink()
    done = _run(["generate"], project)
    assert done.returncode == 1
    assert "specs/fal/sonilo-v1.1-video-to-music.openapi.json" in done.stderr
    assert "Traceback" not in done.stderr
    assert (project / "generated" / "scenario" / "sonilo_v1_1_text_to_music.py").is_file()
    # Its documents are broken, not gone: the fal model keeps its last generated module.
    module = "fal/sonilo_v1_1_video_to_music.py"
    assert _tree(project / "generated")[module] == before[module]


def test_usage_errors_are_clear(project: Path) -> None:
    done = _run(
        ["generate", str(project / "specs" / "fal" / "sonilo-v1.1-video-to-music.md")], project
    )
    assert done.returncode == 2 and "--out" in done.stderr
    done = _run(["check", "--specs", "nowhere"], project)
    assert done.returncode == 2 and "no specs folder" in done.stderr
