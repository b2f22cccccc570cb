"""A user's own project as a new user builds it: init, documents, bindings, CI, type checks.

The wheel goes into a fresh venv outside this repository; the project is a git repository in
a temporary folder, with its own pyproject.toml.

The documents (tests/e2e/user_project/) are a fal model page and a Scenario parameters page
written for this test, for models musicbind does not bundle, so every outcome below can only
come from the user's bindings. Slow: builds the wheel and installs it with the codegen extra,
mypy and pre-commit from the package index (with uv when it is on PATH), once per module.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = Path(__file__).parent / "user_project"
FAL_PAGE = "fal/brightwater-v2-text-to-music.md"
SCENARIO_PAGE = "scenario/brightwater-parameters.md"
pytestmark = pytest.mark.slow

MANIFEST = f"""\
documents:
  - path: {FAL_PAGE}
    provider: fal
    kind: fal-page
    origin: https://fal.ai/models/brightwater/v2/text-to-music/llms.txt
    retrieved: 2026-11-20
  - path: {SCENARIO_PAGE}
    provider: scenario
    kind: scenario-table
    origin: https://docs.scenario.com/brightwater/index.md
    retrieved: 2026-11-20
"""
GOOD = (
    '{"model": "fal:brightwater/v2/text-to-music", '
    '"input": {"prompt": "harp", "seconds": 30, "mood": "dark"}}\n'
    '{"model": "scenario:model_brightwater-stems", "input": {"prompt": "loop", "bars": 16}}\n'
)
BAD = '{"model": "fal:brightwater/v2/text-to-music", "input": {"prompt": "harp", "seconds": 50}}\n'
# The user's mypy settings, as the README gives them.
MYPY_SETTINGS = """
[tool.mypy]
plugins = ["pydantic.mypy"]

[tool.pydantic-mypy]
init_typed = true
"""
# Each deliberate mistake is marked with the error code mypy must give for it.
USER_SCRIPT = '''\
"""Scores with the user's own bindings."""

from bindings.fal.brightwater_v2_text_to_music import BrightwaterV2TextToMusicInput
from bindings.fal.client import FalClient
from bindings.scenario.client import ScenarioClient


def cue(prompt: str) -> str:
    with FalClient() as fal:
        fal.brightwater_v2_text_to_music(prompt=prompt, seconds="30")  # mistake: arg-type
        fal.brightwater_v2_text_to_music(prompt=prompt, tempo=120)  # mistake: call-arg
        out = fal.brightwater_v2_text_to_music(prompt=prompt, seconds=30, mood="bright")
        print(out.audio.url)
        print(out.waveform)  # mistake: attr-defined
    with ScenarioClient() as scenario:
        scenario.brightwater_stems(prompt=prompt, style="polka")  # mistake: arg-type
        scenario.brightwater_stems(bars=8)  # mistake: call-arg
        scenario.brightwater_stems(prompt=prompt, bars=8, style="folk")
    return str(BrightwaterV2TextToMusicInput(prompt=prompt, seconds=30).to_wire()["prompt"])
'''


def _run(
    *args: str | Path, cwd: Path, env: dict[str, str] | None = None, status: int | None = 0
) -> subprocess.CompletedProcess[str]:
    """Run a command; when ``status`` is given, it must be the exit status."""
    done = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if status is not None:
        assert done.returncode == status, (
            f"{args}: exit {done.returncode}, expected {status}\n{done.stdout}\n{done.stderr}"
        )
    return done


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    uv = shutil.which("uv")
    if uv:
        _run(uv, "build", "--wheel", "-q", "-o", out, ROOT, cwd=ROOT)
    else:  # e.g. `.venv/bin/nox -s tests` without the venv on PATH
        _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", out, ROOT, cwd=ROOT)
    (found,) = out.glob("musicbind-*.whl")
    return found


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv outside the repository: the wheel with codegen, mypy and pre-commit."""
    where = tmp_path_factory.mktemp("user-venv") / "venv"
    python = where / "bin" / "python"
    requirements = (f"{wheel}[codegen]", "mypy>=1.11", "pre-commit>=3.7")
    uv = shutil.which("uv")
    if uv:
        _run(uv, "venv", "-q", "-p", sys.executable, where, cwd=where.parent)
        _run(uv, "pip", "install", "-q", "-p", python, *requirements, cwd=where.parent)
    else:
        _run(sys.executable, "-m", "venv", where, cwd=where.parent)
        _run(python, "-m", "pip", "install", "-q", *requirements, cwd=where.parent)
    return where / "bin"


@pytest.fixture(scope="module")
def user_env(venv: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The user's shell: their venv first on PATH, nothing of this repository's environment."""
    skip = ("PYTHON", "VIRTUAL_ENV", "MUSICBIND_", "MYPY", "PYTEST_", "PRE_COMMIT", "GIT_")
    env = {key: value for key, value in os.environ.items() if not key.startswith(skip)}
    env["PATH"] = os.pathsep.join([str(venv), os.defpath])
    env["PRE_COMMIT_HOME"] = str(tmp_path_factory.mktemp("pre-commit-home"))
    return env


@pytest.fixture(scope="module")
def project(user_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The user's project after init, their two documents, a manifest and generate."""
    root = tmp_path_factory.mktemp("user") / "myapp"
    root.mkdir()
    own = '[project]\nname = "myapp"\nversion = "0.1.0"\n'
    (root / "pyproject.toml").write_text(own)
    _run("git", "init", "-q", cwd=root, env=user_env)
    _run("musicbind", "init", cwd=root, env=user_env)
    starter = (root / "specs" / "manifest.yaml").read_text()
    assert yaml.safe_load(starter) == {"documents": []}, starter
    comments = [line for line in starter.splitlines() if line.lstrip().startswith("#")]
    for key in ("path:", "provider:", "kind:", "origin:", "retrieved:"):  # an example entry
        assert any(key in line for line in comments), f"the starter manifest shows no {key}"
    for page in (FAL_PAGE, SCENARIO_PAGE):
        (root / "specs" / page).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(DOCUMENTS / page, root / "specs" / page)
    (root / "specs" / "manifest.yaml").write_text(MANIFEST)
    generated = _run("musicbind", "generate", cwd=root, env=user_env)
    assert "warning" not in (generated.stdout + generated.stderr).lower(), generated.stderr
    (root / "payloads").mkdir()
    (root / "payloads" / "good.jsonl").write_text(GOOD)
    (root / "payloads" / "bad.json").write_text(BAD)
    return root


def test_init_appends_its_table_once(project: Path, user_env: dict[str, str]) -> None:
    text = (project / "pyproject.toml").read_text()
    assert text.startswith('[project]\nname = "myapp"\nversion = "0.1.0"\n'), text
    assert "[tool.musicbind]" in text
    assert (project / "specs" / "overlay.yaml").is_file()
    again = _run("musicbind", "init", cwd=project, env=user_env, status=None)
    assert again.returncode != 0 and "[tool.musicbind]" in again.stdout + again.stderr


def test_generate_writes_the_users_typed_package(project: Path, user_env: dict[str, str]) -> None:
    package = project / "bindings"
    assert (package / "py.typed").is_file()
    listed = _run(
        "python",
        "-c",
        "import bindings; print(bindings.list_bindings())",
        cwd=project,
        env=user_env,
    )
    assert "fal:brightwater/v2/text-to-music" in listed.stdout
    assert "scenario:model_brightwater-stems" in listed.stdout
    assert "sonilo" not in listed.stdout  # the bundled models are not the user's
    _run("musicbind", "check", cwd=project, env=user_env)


def test_validate_enforces_the_users_range(project: Path, user_env: dict[str, str]) -> None:
    field_line = _line_of(DOCUMENTS / FAL_PAGE, "- **`seconds`**")  # the rule's source
    bad = _run("musicbind", "validate", "payloads/bad.json", cwd=project, env=user_env, status=1)
    assert "payloads/bad.json:1:" in bad.stdout, bad.stdout
    assert "$.input.seconds: 50 is above the maximum 45" in bad.stdout, bad.stdout
    assert f"rule: seconds <= 45 (specs/{FAL_PAGE}:{field_line})" in bad.stdout, bad.stdout
    _run("musicbind", "validate", "payloads/good.jsonl", cwd=project, env=user_env)
    bundled = _run(
        "musicbind",
        "validate",
        "--package",
        "musicbind.generated",
        "payloads/good.jsonl",
        cwd=project,
        env=user_env,
        status=1,
    )
    assert "fal:brightwater/v2/text-to-music" in bundled.stdout  # unknown to the bundled ones


def test_pre_commit_hooks_run_on_the_users_bindings(
    project: Path, user_env: dict[str, str]
) -> None:
    # language: system runs the musicbind of the user's venv; such hooks take no
    # additional_dependencies, so those are dropped.
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    local = [
        {**{k: v for k, v in hook.items() if k != "additional_dependencies"}, "language": "system"}
        for hook in hooks
    ]
    config = {"repos": [{"repo": "local", "hooks": local}]}
    (project / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    _run("git", "add", "-A", cwd=project, env=user_env)
    done = _run(
        "pre-commit", "run", "--all-files", "--color", "never", cwd=project, env=user_env, status=1
    )
    check_line = next(line for line in done.stdout.splitlines() if "musicbind check" in line)
    assert check_line.rstrip().endswith("Passed"), done.stdout
    assert "payloads/bad.json:1:" in done.stdout
    assert "$.input.seconds: 50 is above the maximum 45" in done.stdout, done.stdout
    assert "good.jsonl" not in done.stdout
    _run(
        "pre-commit",
        "run",
        "musicbind-validate",
        "--files",
        "payloads/good.jsonl",
        cwd=project,
        env=user_env,
    )


def test_mypy_reports_exactly_the_five_mistakes(project: Path, user_env: dict[str, str]) -> None:
    with (project / "pyproject.toml").open("a") as pyproject:
        pyproject.write(MYPY_SETTINGS)
    (project / "score.py").write_text(USER_SCRIPT)
    done = _run(
        "mypy", "--strict", "--no-incremental", "score.py", cwd=project, env=user_env, status=1
    )
    found = sorted(
        (int(m["line"]), m["code"])
        for m in re.finditer(
            r"^score\.py:(?P<line>\d+): error: .*\[(?P<code>[\w-]+)\]$", done.stdout, re.M
        )
    )
    wanted = sorted(
        (number, marked["code"])
        for number, line in enumerate(USER_SCRIPT.splitlines(), start=1)
        if (marked := re.search(r"# mistake: (?P<code>[\w-]+)", line))
    )
    assert len(wanted) == 5
    assert found == wanted, done.stdout
    assert done.stdout.count(": error:") == 5, done.stdout
    assert "import-untyped" not in done.stdout


def test_the_wheel_installs_one_top_level_name(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        (record,) = [n for n in archive.namelist() if n.endswith(".dist-info/RECORD")]
        rows = archive.read(record).decode().splitlines()
    top = {row.split(",")[0].split("/")[0] for row in rows if row}
    assert {name for name in top if not name.endswith(".dist-info")} == {"musicbind"}, top
    assert len(top) == 2, top


def _line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} is not in {path}")
