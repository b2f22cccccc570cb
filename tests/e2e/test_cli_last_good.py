"""A broken document never costs bindings, and `check` says what changed: the real CLI.

Regression tests for issue 11: each copies this repository as a project into a tmp
folder, breaks or edits its specs the way a provider change would, and runs
``python -m musicbind generate`` / ``check`` in a subprocess.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MUSICBIND = [sys.executable, "-P", "-m", "musicbind"]
SCENARIO_PAGE = Path("specs/scenario/sonilo-parameters.md")
FAL_OPENAPI = Path("specs/fal/sonilo-v1.1-video-to-music.openapi.json")
DURATION_ROW = "| 1   | 600 |"  # scenario:model_sonilo-v1-1-text-to-music, line 27


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MUSICBIND_CACHE_DIR": str(cwd / ".cache")}
    done = subprocess.run(
        [*MUSICBIND, *args], cwd=cwd, capture_output=True, text=True, check=False, env=env
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def _edit(file: Path, old: str, new: str) -> None:
    text = file.read_text(encoding="utf-8")
    assert old in text, old
    file.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    # This repository as a project: its [tool.musicbind] says the package is musicbind.generated.
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    shutil.copytree(ROOT / "specs", tmp_path / "specs")
    shutil.copytree(
        ROOT / "generated", tmp_path / "generated", ignore=shutil.ignore_patterns("__pycache__")
    )
    done = _run(["generate"], tmp_path)  # the committed tree, as this generator writes it
    assert done.returncode == 0, done.stderr
    return tmp_path


def test_min_above_max_keeps_both_models_of_the_page_and_check_fails(project: Path) -> None:
    before = _tree(project / "generated")
    _edit(project / SCENARIO_PAGE, DURATION_ROW, "| 5   | 3   |")
    located = "specs/scenario/sonilo-parameters.md:27"

    early = _run(["check"], project)  # before anyone regenerates: CI and the hook fail
    assert early.returncode == 1
    assert f"specs have errors: {located}" in early.stderr

    done = _run(["generate"], project)
    assert done.returncode == 1
    after = _tree(project / "generated")
    for module in (
        "scenario/sonilo_v1_1_text_to_music.py",
        "scenario/sonilo_v1_1_video_to_music.py",
    ):
        assert after[module] == before[module], module
    assert {p for p in after if p != "_manifest.json"} == {
        p for p in before if p != "_manifest.json"
    }
    assert all(after[p] == before[p] for p in before if p != "_manifest.json")
    assert "not generated" not in done.stderr
    assert "kept the last generated bindings of 2 models" in done.stderr
    assert f"scenario:model_sonilo-v1-1-text-to-music: {located} has errors" in done.stderr
    assert f"scenario:model_sonilo-v1-1-video-to-music: {located} has errors" in done.stderr
    manifest = json.loads(after["_manifest.json"])
    assert manifest["kept"]["scenario:model_sonilo-v1-1-text-to-music"]["files"] == [
        "scenario/sonilo_v1_1_text_to_music.py"
    ]

    check = _run(["check"], project)  # the hashes now match what was written: still failing
    assert check.returncode == 1
    assert f"specs have errors: {located}: error: duration: Min 5 is greater than Max 3" in (
        check.stderr
    )

    _edit(project / SCENARIO_PAGE, "| 5   | 3   |", DURATION_ROW)  # fixed
    assert _run(["check"], project).returncode == 1  # the manifest still records the errors
    assert _run(["generate"], project).returncode == 0
    assert _tree(project / "generated") == before
    assert _run(["check"], project).returncode == 0


def test_a_stray_comma_in_the_openapi_document_keeps_the_fal_model(project: Path) -> None:
    before = _tree(project / "generated")
    _edit(project / FAL_OPENAPI, '"required":["video_url"]}', '"required":["video_url"],}')
    done = _run(["generate"], project)
    assert done.returncode == 1
    after = _tree(project / "generated")
    # Not rebuilt from the model page alone: the module, the client and the docs are as they were.
    assert all(after[p] == before[p] for p in before if p != "_manifest.json")
    assert "kept the last generated bindings of 1 model" in done.stderr
    kept = [line for line in done.stderr.splitlines() if "fal:sonilo/v1.1/video-to-music:" in line]
    assert kept and "sonilo-v1.1-video-to-music.openapi.json:1:" in kept[0], done.stderr
    assert "were not generated" not in done.stderr
    check = _run(["check"], project)
    assert check.returncode == 1 and "specs have errors: specs/fal/" in check.stderr


def test_incremental_output_after_a_spec_edit_equals_a_clean_run(project: Path) -> None:
    _edit(project / FAL_OPENAPI, '"minimum":1,"maximum":600', '"minimum":1,"maximum":300')
    assert _run(["generate"], project).returncode == 0
    incremental = _tree(project / "generated")
    shutil.rmtree(project / "generated")
    assert _run(["generate"], project).returncode == 0
    clean = _tree(project / "generated")
    assert [p for p in clean if incremental.get(p) != clean[p]] == []
    assert incremental.keys() == clean.keys()
    digest = json.loads(clean["_manifest.json"])["inputs"][FAL_OPENAPI.as_posix()]
    # the model module of the edited document names its new digest
    assert f"(sha256:{digest[:12]})".encode() in incremental["fal/sonilo_v1_1_video_to_music.py"]
    assert _run(["check"], project).returncode == 0


def test_check_after_lowering_one_maximum_is_a_short_summary(project: Path) -> None:
    _edit(project / SCENARIO_PAGE, DURATION_ROW, "| 1   | 300 |")
    done = _run(["check"], project)
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert len(lines) <= 8 and len(done.stdout) < 1500, done.stdout
    change = next(line for line in lines if "scenario:model_sonilo-v1-1-text-to-music" in line)
    assert "BREAKING" in change and "duration: maximum 600 -> 300" in change
    assert "specs/scenario/sonilo-parameters.md:27" in change
    # The files that differ are named, not shown (the model's registry snapshot shard too).
    assert "_registry/scenario/models_000.json" in done.stdout
    assert "le=300" not in done.stdout and "--diff" in done.stderr
    full = _run(["check", "--diff"], project)
    assert full.returncode == 1 and "le=300" in full.stdout
    assert full.stdout.startswith(done.stdout)  # the same summary first


def test_a_document_that_yields_no_model_warns_and_fails_under_strict(project: Path) -> None:
    empty = project / "specs" / "fal" / "empty.openapi.json"
    empty.write_text('{"openapi": "3.0.4", "info": {"title": "x", "version": "1"}, "paths": {}}')
    manifest = project / "specs" / "manifest.yaml"
    manifest.write_text(
        manifest.read_text(encoding="utf-8")
        + "  - path: fal/empty.openapi.json\n    provider: fal\n    kind: openapi\n",
        encoding="utf-8",
    )
    done = _run(["generate"], project)
    assert done.returncode == 0
    assert "specs/fal/empty.openapi.json: warning: yields no model: " in done.stderr
    assert _run(["check"], project).returncode == 0
    strict = _run(["check", "--strict"], project)  # the hook and CI: not fooled by the hashes
    assert strict.returncode == 1
    assert "specs/fal/empty.openapi.json: error: yields no model" in strict.stderr
    before = _tree(project / "generated")
    again = _run(["generate", "--strict"], project)
    assert again.returncode == 1 and "error: yields no model" in again.stderr
    after = _tree(project / "generated")
    assert all(after[p] == before[p] for p in before if p != "_manifest.json")


def test_no_package_is_written_without_a_model(tmp_path: Path) -> None:
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "empty.openapi.json").write_text(
        '{"openapi": "3.0.4", "info": {"title": "x", "version": "1"}, "paths": {}}'
    )
    (specs / "manifest.yaml").write_text(
        "documents:\n  - path: empty.openapi.json\n    provider: fal\n    kind: openapi\n"
    )
    done = _run(["generate", "--specs", "specs", "--out", "bindings"], tmp_path)
    assert done.returncode == 1
    assert "yields no model" in done.stderr and "nothing written to bindings" in done.stderr
    assert not (tmp_path / "bindings").exists()
    loose = _run(["generate", str(specs / "empty.openapi.json"), "--out", "loose"], tmp_path)
    assert loose.returncode == 1 and not (tmp_path / "loose").exists()
