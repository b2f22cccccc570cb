"""Acceptance 3: the hooks of ``.pre-commit-hooks.yaml`` run in a throwaway git repository.

The repository is a user's project with its own ``[tool.musicbind]``, documents and
bindings (see project_support.py): the hooks must check and validate against those, not
against the bindings bundled with musicbind.

Two ways. Always: pre-commit itself runs the hooks' entries, file patterns and filename
passing, declared as local ``language: system`` hooks (so musicbind is the one under test,
nothing is installed). Marked slow: ``pre-commit try-repo`` on a snapshot of this
repository, which installs musicbind into pre-commit's own environment like a user's
``repos:`` entry would (needs the package index).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from cli_support import ROOT
from project_support import NARROWED, RIFF, make_project, musicbind, ok

HOOKS: list[dict[str, Any]] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
# A model only the user's bindings know, and a duration only the user's range refuses.
GOOD = f'{{"model": "{RIFF}", "input": {{"prompt": "chug"}}}}\n'
BAD = (
    f'{{"model": "{RIFF}", "input": {{"prompt": "chug"}}}}\n'
    f'{{"model": "{NARROWED}", "input": {{"prompt": "ambient", "duration": 200}}}}\n'
)
BAD_LINE = (
    "payloads/nested/bad.jsonl:2:98: error: $.input.duration: 200 is above the maximum 120; "
    "rule: duration <= 120 (specs/scenario/sonilo-text-to-music.md:20)"
)


def _environment(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["PRE_COMMIT_HOME"] = str(home)
    env["PYTHONPATH"] = str(ROOT)
    for name in ("GIT_DIR", "GIT_INDEX_FILE", "GIT_WORK_TREE"):
        env.pop(name, None)
    return env


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)


def _pre_commit(*args: str) -> list[str]:
    return [sys.executable, "-m", "pre_commit", *args]


@pytest.fixture
def user_repo(tmp_path: Path) -> Path:
    """A user's repository: its config, specs, bindings, payload files and other JSON."""
    repo = make_project(tmp_path / "user")
    ok(musicbind("generate", cwd=repo))
    (repo / "payloads" / "nested").mkdir(parents=True)
    (repo / "payloads" / "good.json").write_text(GOOD)
    (repo / "payloads" / "nested" / "bad.jsonl").write_text(BAD)
    (repo / "package.json").write_text('{"name": "not a payload"}\n')
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    return repo


def test_manifest_is_valid_and_names_both_hooks() -> None:
    assert [hook["id"] for hook in HOOKS] == ["musicbind-check", "musicbind-validate"]
    done = subprocess.run(
        _pre_commit("validate-manifest", str(ROOT / ".pre-commit-hooks.yaml")),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_hooks_run_by_pre_commit(user_repo: Path, tmp_path: Path) -> None:
    # language: system runs the musicbind of this test's environment; such hooks take no
    # additional_dependencies (pre-commit refuses them), so those are dropped here.
    local = [
        {**{k: v for k, v in hook.items() if k != "additional_dependencies"}, "language": "system"}
        for hook in HOOKS
    ]
    config = {"repos": [{"repo": "local", "hooks": local}]}
    (user_repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    subprocess.run(["git", "add", "-A"], cwd=user_repo, check=True)
    env = _environment(tmp_path / "home")
    done = _run(_pre_commit("run", "--all-files", "--color", "never"), user_repo, env)
    assert done.returncode == 1, done.stdout
    assert "musicbind check (bindings match the specs)" in done.stdout
    assert "Passed" in done.stdout.split("musicbind check")[1].splitlines()[0]
    assert BAD_LINE in done.stdout
    assert "package.json" not in done.stdout and "good.json" not in done.stdout
    good_only = _run(
        _pre_commit("run", "musicbind-validate", "--files", "payloads/good.json"), user_repo, env
    )
    assert good_only.returncode == 0, good_only.stdout
    module = user_repo / "bindings" / "fal" / "acme_riff_maker.py"
    module.write_text(module.read_text() + "# a hand edit\n")
    drifted = _run(_pre_commit("run", "musicbind-check", "--all-files"), user_repo, env)
    assert drifted.returncode == 1
    assert "bindings is not what specs produce" in drifted.stdout


def _snapshot_of_this_repository(target: Path) -> Path:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():  # musicbind/<part> -> ../<part>: kept as links, as git does
            (target / name).symlink_to(source.readlink())
        elif source.is_file():
            shutil.copy2(source, target / name)
    for args in (
        ["init", "-q"],
        ["add", "-A"],
        ["-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-q", "-m", "snapshot"],
    ):
        subprocess.run(["git", *args], cwd=target, check=True, capture_output=True)
    return target


@pytest.mark.slow
def test_try_repo_installs_and_runs_the_hooks(user_repo: Path, tmp_path: Path) -> None:
    musicbind = _snapshot_of_this_repository(tmp_path / "musicbind")
    env = _environment(tmp_path / "home")
    env.pop("PYTHONPATH")  # the hook must run the musicbind pre-commit installed
    done = _run(
        _pre_commit("try-repo", str(musicbind), "musicbind-validate", "--all-files"),
        user_repo,
        env,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert BAD_LINE in done.stdout
    check = _run(
        _pre_commit("try-repo", str(musicbind), "musicbind-check", "--all-files"), user_repo, env
    )
    assert check.returncode == 0, check.stdout + check.stderr
