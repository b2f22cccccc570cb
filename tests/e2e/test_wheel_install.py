"""musicbind as a user installs it: a wheel built from this tree, a fresh venv, a folder outside.

Slow (builds a wheel, makes two venvs, installs from the package index the machine reaches),
so each venv is made once per module.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow

USER_SCRIPT = """\
from musicbind.generated.fal.client import FalClient
from musicbind.generated.scenario.client import ScenarioClient


def score(url: str) -> None:
    with FalClient() as fal:
        fal.sonilo_v1_1_video_to_music(video_url=url, num_samples="2")
        fal.sonilo_v1_1_video_to_music(video_url=url, tempo=120)
        out = fal.sonilo_v1_1_video_to_music(video_url=url)
        print(out.no_such_output)
        fal.sonilo_v1_1_video_to_music()
        print(fal.run("fal:sonilo/v1.1/video-to-music", {"video_url": url}).tracks)
    with ScenarioClient() as scenario:
        print(scenario.minimax_music_01(lyrics="la").assets[0].url)
        print(scenario.minimax_music_01(lyrics="la").audio_url)
"""


def _run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 0, f"{args}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    uv = shutil.which("uv")
    if uv:
        _run(uv, "build", "--wheel", "-q", "-o", out, cwd=ROOT)
    else:
        _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", out, ROOT, cwd=ROOT)
    (found,) = out.glob("musicbind-*.whl")
    return found


def _venv(where: Path, *requirements: str) -> Path:
    uv = shutil.which("uv")
    python = where / "bin" / "python"
    if uv:
        _run(uv, "venv", "-q", "-p", sys.executable, where, cwd=where.parent)
        _run(uv, "pip", "install", "-q", "-p", python, *requirements, cwd=where.parent)
    else:
        _run(sys.executable, "-m", "venv", where, cwd=where.parent)
        _run(python, "-m", "pip", "install", "-q", *requirements, cwd=where.parent)
    return where / "bin"


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["PATH"] = os.defpath
    return env


@pytest.fixture(scope="module")
def light(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _venv(tmp_path_factory.mktemp("light") / "venv", str(wheel))


@pytest.fixture(scope="module")
def full(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _venv(tmp_path_factory.mktemp("full") / "venv", f"{wheel}[codegen]", "mypy>=1.11")


def test_the_wheel_is_typed_and_licensed(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    packages = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert {f"{p}/py.typed" for p in packages} <= set(names)
    assert any(n.endswith("licenses/LICENSE") for n in names)
    assert "musicbind/generator/registry/default_overlay.yaml" in names


def test_light_install_validates_without_the_generator(light: Path, tmp_path: Path) -> None:
    probe = (
        "import sys\nfrom musicbind import generated\n"
        "b = generated.get_binding('fal:sonilo/v1.1/video-to-music')\n"
        "m = b.input_model.model_validate({'video_url': 'https://e.com/v.mp4', 'num_samples': 2})\n"
        "print(m.model_dump(by_alias=True, exclude_unset=True))\n"
        "heavy = {'datamodel_code_generator', 'ruff', 'starlette', 'uvicorn', 'jinja2'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    out = _run(light / "python", "-c", probe, cwd=tmp_path, env=_clean_env())
    assert "'num_samples': 2" in out and "[]" in out
    for absent in ("datamodel_code_generator", "starlette", "uvicorn"):
        missing = subprocess.run(
            [light / "python", "-c", f"import {absent}"], capture_output=True, check=False
        )
        assert missing.returncode != 0, f"{absent} is installed without an extra"
    payload = tmp_path / "p.json"
    payload.write_text('{"video_url": "https://e.com/v.mp4", "num_samples": 9}')
    bad = subprocess.run(
        [light / "musicbind", "validate", payload, "--model", "fal:sonilo/v1.1/video-to-music"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=_clean_env(),
        check=False,
    )
    assert bad.returncode == 1 and "above the maximum 3" in bad.stdout


def test_a_command_needing_an_extra_names_it(light: Path, tmp_path: Path) -> None:
    page = ROOT / "specs" / "fal" / "sonilo-v1.1-video-to-music.md"
    done = subprocess.run(
        [light / "musicbind", "generate", page, "--out", tmp_path / "b"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=_clean_env(),
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "Error: musicbind generate needs the 'codegen' extra: pip install 'musicbind[codegen]'"
    ]


def test_pytest_plugin_is_opt_in(light: Path) -> None:
    names = _run(
        light / "python",
        "-c",
        "import importlib.metadata as m; print([e.name for e in m.entry_points(group='pytest11')])",
        cwd=light,
        env=_clean_env(),
    )
    assert "musicbind" not in names


def test_generate_from_the_wheel_in_a_user_folder(full: Path, tmp_path: Path) -> None:
    fal = ROOT / "specs" / "fal"
    for name in ("sonilo-v1.1-video-to-music.md", "sonilo-v1.1-video-to-music.openapi.json"):
        shutil.copy(fal / name, tmp_path / name)
    out = _run(
        full / "musicbind",
        "generate",
        "sonilo-v1.1-video-to-music.md",
        "sonilo-v1.1-video-to-music.openapi.json",
        "--out",
        "mybind",
        cwd=tmp_path,
        env=_clean_env(),
    )
    assert "warning" not in out, out  # the bundled overlay's other models are not the user's
    assert (tmp_path / "mybind" / "py.typed").is_file()
    listed = _run(
        full / "python",
        "-c",
        "import mybind; print(mybind.list_bindings())",
        cwd=tmp_path,
        env=_clean_env(),
    )
    assert "fal:sonilo/v1.1/video-to-music" in listed
    init = tmp_path / "mybind" / "__init__.py"
    init.write_text(init.read_text().replace("api=1,", "api=99,"))
    refused = subprocess.run(
        [full / "python", "-c", "import mybind"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=_clean_env(),
        check=False,
    )
    assert "RuntimeMismatchError: mybind was generated for musicbind runtime API 99" in (
        refused.stderr
    )
    assert "supports runtime API 1" in refused.stderr


def test_users_mypy_sees_the_bundled_types(full: Path, tmp_path: Path) -> None:
    script = tmp_path / "user_script.py"
    script.write_text(USER_SCRIPT)
    done = subprocess.run(
        [full / "mypy", "--strict", "--no-incremental", script.name],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=_clean_env(),
        check=False,
    )
    errors = [line for line in done.stdout.splitlines() if ": error:" in line]
    lines = sorted(int(line.split(":")[1]) for line in errors)
    # wrong type, unknown keyword, unknown output attribute, missing required argument,
    # unknown attribute of a run(ref) result and of a Scenario result
    assert lines == [7, 8, 10, 11, 12, 15], done.stdout
    assert "import-untyped" not in done.stdout
