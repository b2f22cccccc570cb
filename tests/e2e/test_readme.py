"""Every fenced example of README.md, run as a user would, against the local emulator.

The blocks run in README order in one scratch folder outside the repository (it becomes the
user's project when ``musicbind init`` runs there), with the environment pointing the clients
at an emulator. What is done with a block depends on its info string:

- ``python``: run in a subprocess, statement by statement. A comment right under a statement
  states its outcome and is checked: ``# SomeError: text`` (that exception, its message
  containing the text) or a Python literal (the statement's value). A block that defines
  ``test_*`` functions is run by pytest with the emulator's plugin. A block whose first line is
  ``# NAME.py`` is that file of the user's project: written, and run by a later shell command.
- ``console`` / ``sh`` / ``bash``: every ``$`` command in bash; the exit status must be 0, or
  what the command's comment says (``# exit status 1``); the lines shown under a command must
  appear in its output, in order. ``musicbind emulate`` is started, awaited and stopped (Ctrl-C).
- ``yaml``: ``# PATH`` as first line: that file of the project, written (a manifest is checked
  for its keys first); ``repos:``: a pre-commit config (``pre-commit validate-config``, hook ids
  from .pre-commit-hooks.yaml); ``jobs:``: a GitHub Actions workflow (its keys, and every
  ``musicbind`` command and option its steps use).
- ``toml``: ``# pyproject.toml`` as first line: merged into the project's pyproject.toml; a
  ``[tool.musicbind]`` table: must be what ``musicbind init`` wrote there.
- ``text``: a layout of this repository: every path named exists; "installed as
  musicbind.X" is a symlink musicbind/X to that folder.

Any other block fails. The one opt-out is a ``<!-- readme-test: skip (reason) -->`` comment
right before a block, allowed only for install lines with ``<owner>``/``<tag>`` placeholders.
Where the README shows a real provider URL, a placeholder id or a fixed port, the block runs
as its emulator-ready variant (VARIANTS: the same code with the URL or id the emulator serves).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from readme_blocks import (
    README,
    ROOT,
    SHELLS,
    STEP_RUNNER,
    Block,
    Command,
    python_steps,
    readme_blocks,
    shell_commands,
)
from readme_checks import (
    check_config_table,
    check_layout,
    check_manifest,
    check_pre_commit_config,
    check_workflow,
    merge_into_pyproject,
)

import musicbind
from musicbind.emulator.server import EmulatorServer

BLOCKS = readme_blocks()
INSTALL_LINE = re.compile(r"\b(pip install|uv add|uv pip install|pipx install)\b")
# Commands that serve until interrupted, and the line that says they are ready.
SERVING = {"musicbind emulate": "musicbind emulator on"}
TIMEOUT_S = 180

# README text -> what runs instead, in python and shell blocks. Every entry must still be in
# the README (test_every_variant_is_used), so a variant cannot outlive its example.
VARIANTS = {
    # the emulator cannot fetch example.com: its own 12 s demo video instead
    "https://example.com/clip.mp4": "{media_url}",
    # the provider documents: this repository's copies of those pages (their manifest origins)
    "https://fal.ai/models/sonilo/v1.1/video-to-music/llms.txt": (
        "file://{root}/specs/fal/sonilo-v1.1-video-to-music.md"
    ),
    "https://docs.scenario.com/get-started/generation/audio-generation/audio-generation-sonilo/"
    "index.md": "file://{root}/specs/scenario/sonilo-parameters.md",
    # a fixed port may be taken on the machine running the tests
    "--port 8765": "--port 0",
    # the README's example id: the journal entry `musicbind run` made just before
    "resume 3f2a9c": "resume {last_entry}",
}


@dataclass
class Session:
    """The scratch project the blocks run in, its environment and the scripts they name."""

    work: Path
    env: dict[str, str]
    emulator: EmulatorServer
    written_scripts: dict[str, int] = field(default_factory=dict)  # file name -> block line
    run_scripts: set[str] = field(default_factory=set)

    def variant(self, text: str) -> str:
        """``text`` with every VARIANTS entry replaced by its emulator-ready form."""
        values: dict[str, Callable[[], str]] = {
            "media_url": self.emulator.media_url,
            "root": ROOT.as_posix,
            "last_entry": self.last_journal_entry,
        }
        for shown, replacement in VARIANTS.items():
            if shown in text:
                names = re.findall(r"{(\w+)}", replacement)
                text = text.replace(shown, replacement.format(**{n: values[n]() for n in names}))
        return text

    def last_journal_entry(self) -> str:
        """A unique prefix of the newest journal entry's id."""
        done = self.run(["bash", "-c", "musicbind jobs --json"])
        expect(done.returncode == 0, done.stdout + done.stderr)
        return str(json.loads(done.stdout)[-1]["intent_id"])[:8]

    def run(self, args: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        """Run ``args`` in the project (or ``cwd``) with the session's environment."""
        return subprocess.run(
            args,
            cwd=cwd or self.work,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            check=False,
        )


def expect(condition: bool, message: str) -> None:
    """An assertion whose message is all a failing block reports."""
    if not condition:
        raise AssertionError(message)


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    """A scratch folder with what the examples name, and an emulator for their clients."""
    base = tmp_path_factory.mktemp("readme")
    work = base / "project"
    work.mkdir()
    shutil.copy(ROOT / "emulator" / "media" / "demo.mp4", work / "clip.mp4")
    # mypy cannot see through an editable install's import hook: show it the package itself
    mypy_path = base / "mypy-path"
    mypy_path.mkdir()
    (mypy_path / "musicbind").symlink_to(Path(musicbind.__file__).parent)
    with EmulatorServer() as emulator:
        payload = {"video_url": emulator.media_url(), "num_samples": 2, "duration": 10}
        (work / "payload.json").write_text(json.dumps(payload) + "\n")
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("MUSICBIND_", "PYTHON", "PYTEST_", "VIRTUAL_ENV", "MYPY"))
        }
        env.update(emulator.env())
        env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
        env["MUSICBIND_JOURNAL"] = str(base / "journal.sqlite3")
        env["MYPYPATH"] = str(mypy_path)
        env["PRE_COMMIT_HOME"] = str(base / "pre-commit")
        yield Session(work, env, emulator)


@pytest.fixture(scope="module")
def played(session: Session) -> dict[int, str | None]:
    """Every block played in README order: line -> None when it did what it shows, else why."""
    outcomes: dict[int, str | None] = {}
    for block in BLOCKS:
        if block.skip is not None:
            continue
        try:
            play(block, session)
        except AssertionError as failed:
            outcomes[block.line] = str(failed)
        except (OSError, subprocess.SubprocessError, ValueError, KeyError) as failed:
            outcomes[block.line] = f"{type(failed).__name__}: {failed}"
        else:
            outcomes[block.line] = None
    for name, line in session.written_scripts.items():
        if name not in session.run_scripts and outcomes[line] is None:
            outcomes[line] = f"{name} is written, but no later shell command of the README runs it"
    return outcomes


def play(block: Block, session: Session) -> None:
    """Run one block the way its kind says; an AssertionError says what differed."""
    if block.kind == "python":
        play_python(block, session)
    elif block.kind in SHELLS:
        for command in shell_commands(block):
            play_command(command, session)
    elif block.kind in ("yaml", "yml"):
        play_yaml(block, session)
    elif block.kind == "toml":
        data = tomllib.loads(block.text)
        if block.file_header == "pyproject.toml":
            merge_into_pyproject(block.text, session.work / "pyproject.toml")
        elif "musicbind" in data.get("tool", {}):
            check_config_table(data["tool"]["musicbind"], session.work / "pyproject.toml")
        else:
            raise AssertionError("a TOML block neither `# pyproject.toml` nor [tool.musicbind]")
    elif block.kind == "text":
        check_layout(block.text)
    else:
        raise AssertionError(
            f"no way to run a ```{block.info}``` block; known: python, console, yaml, toml, text"
        )


def play_python(block: Block, session: Session) -> None:
    if block.file_header is not None:
        target = session.work / block.file_header
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(block.text, encoding="utf-8")
        session.written_scripts[target.name] = block.line
        return
    source = session.variant(block.text)
    tests = re.findall(r"^def (test_\w+)\(", source, re.M)
    if tests:
        folder = session.work / f"readme_tests_{block.line}"
        folder.mkdir()
        (folder / f"test_readme_{block.line}.py").write_text(source, encoding="utf-8")
        plugin = ["-p", "musicbind.emulator.pytest_plugin", "-p", "no:cacheprovider"]
        done = session.run([sys.executable, "-m", "pytest", "-q", "-W", "error", *plugin], folder)
        expect(
            done.returncode == 0 and f"{len(tests)} passed" in done.stdout,
            f"pytest on the README's tests:\n{done.stdout}\n{done.stderr}",
        )
        return
    steps = session.work.parent / f"steps-{block.line}.json"
    steps.write_text(json.dumps(python_steps(block, source)), encoding="utf-8")
    done = session.run([sys.executable, "-c", STEP_RUNNER, str(steps)])
    said = done.stderr.strip().splitlines()[-1:] or [""]
    expect(done.returncode == 0, f"{said[0]}\n{done.stdout}\n{done.stderr}")


def play_command(command: Command, session: Session) -> None:
    text = session.variant(command.text)
    session.run_scripts.update(Path(name).name for name in re.findall(r"[\w./-]+\.py\b", text))
    where = f"README.md:{command.line}: `{command.text}`"
    ready = next((line for name, line in SERVING.items() if text.startswith(name)), None)
    if ready is not None:
        serve_and_stop(text, ready, session, where)
        return
    done = session.run(["bash", "-o", "pipefail", "-c", text])
    printed = done.stdout + done.stderr
    expect(
        done.returncode == command.exit_status,
        f"{where}: exit status {done.returncode}, expected {command.exit_status}\n{printed}",
    )
    remaining = [" ".join(line.split()) for line in printed.splitlines()]
    for shown in command.shown:
        wanted = " ".join(shown.split())
        expect(wanted in remaining, f"{where}: the README shows\n{shown}\nit printed\n{printed}")
        remaining = remaining[remaining.index(wanted) + 1 :]


def serve_and_stop(command: str, ready: str, session: Session, where: str) -> None:
    """Start a serving command, wait until it says it is ready, then interrupt it (Ctrl-C)."""
    process = subprocess.Popen(
        shlex.split(command),
        cwd=session.work,
        env={**session.env, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    seen: list[str] = []
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any(ready in line for line in seen):
            line = process.stdout.readline()
            if not line:
                break
            seen.append(line)
        expect(any(ready in line for line in seen), f"{where}: never ready\n{''.join(seen)}")
        process.send_signal(signal.SIGINT)
        status = process.wait(timeout=15)
        expect(status == 0, f"{where}: exit status {status} after Ctrl-C\n{''.join(seen)}")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=5)
        if process.stdout is not None:
            process.stdout.close()


def play_yaml(block: Block, session: Session) -> None:
    data = yaml.safe_load(block.text)
    if block.file_header is not None:
        if block.file_header == "specs/manifest.yaml":
            check_manifest(data, session.work / "specs")
        target = session.work / block.file_header
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(block.text, encoding="utf-8")
    elif isinstance(data, dict) and "repos" in data:
        check_pre_commit_config(block.text, session.work.parent, session.env)
    elif isinstance(data, dict) and "jobs" in data:
        check_workflow(data)
    else:
        raise AssertionError(
            "a YAML block neither a file (`# PATH`), a pre-commit config nor a workflow"
        )


PLAYED = [block for block in BLOCKS if block.skip is None]


@pytest.mark.parametrize("block", PLAYED, ids=[f"line{b.line}-{b.kind or 'bare'}" for b in PLAYED])
def test_readme_block(block: Block, played: dict[int, str | None]) -> None:
    failure = played[block.line]
    if failure is not None:
        pytest.fail(f"README.md:{block.line} (```{block.info}```): {failure}", pytrace=False)


def test_skips_are_only_placeholder_install_lines() -> None:
    skipped = [block for block in BLOCKS if block.skip is not None]
    for block in skipped:
        assert block.kind in SHELLS, f"README.md:{block.line}: only install lines may be skipped"
        for command in shell_commands(block):
            assert INSTALL_LINE.search(command.text), f"README.md:{command.line}: not an install"
            assert "<owner>" in command.text or "<tag>" in command.text, (
                f"README.md:{command.line} has no placeholder: it can run, so it must"
            )
    print("\n".join(f"skipped README.md:{block.line}: {block.skip}" for block in skipped))


def test_python_examples_pass_mypy_strict(session: Session, tmp_path: Path) -> None:
    """What runs also type-checks, as a user's ``mypy --strict`` sees it (not the pytest
    example: its fixtures are untyped, as in most conftest-driven tests)."""
    examples = [
        block
        for block in BLOCKS
        if block.kind == "python" and block.file_header is None and "def test_" not in block.text
    ]
    for block in examples:
        (tmp_path / f"readme_line_{block.line}.py").write_text(block.text, encoding="utf-8")
    done = session.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "."], cwd=tmp_path
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_variant_is_used() -> None:
    runnable = "\n".join(b.text for b in BLOCKS if b.kind in SHELLS | {"python"} and not b.skip)
    stale = [shown for shown in VARIANTS if shown not in runnable]
    assert not stale, f"VARIANTS entries the README no longer shows: {stale}"


def test_every_fence_is_a_block() -> None:
    fences = re.findall(r"^ *(?:```|~~~)", README.read_text(encoding="utf-8"), re.M)
    assert len(fences) == 2 * len(BLOCKS), "a fence that markdown-it does not read as a block"
