"""README examples that are configuration: manifest, pre-commit, GitHub Actions, TOML, layout.

Each check raises AssertionError with what differs. Read by test_readme.py.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import click
import yaml
from readme_blocks import ROOT

from musicbind.cli import COMMANDS, main

MANIFEST_KEYS = {"path", "provider", "kind", "origin", "retrieved"}
DOCUMENT_KINDS = {"scenario-table", "fal-page", "openapi", "gateway-page"}
CONFIG_KEYS = {"specs", "out", "package", "overlay", "bundled-overlay"}
PATH_LIKE = re.compile(r"[\w.-]*[\w-](/|\.\w+)")


def check_manifest(data: Any, specs: Path) -> None:
    """A manifest as the loaders read it, naming documents that are there."""
    entries = data["documents"]
    assert isinstance(entries, list) and entries, "a manifest lists its documents"
    for entry in entries:
        assert set(entry) == MANIFEST_KEYS, f"manifest entry keys {sorted(entry)}"
        assert entry["kind"] in DOCUMENT_KINDS, f"unknown kind {entry['kind']!r}"
        assert (specs / entry["path"]).is_file(), f"{entry['path']} is not in {specs}"


def check_pre_commit_config(text: str, scratch: Path, env: dict[str, str]) -> None:
    """``pre-commit validate-config`` passes and every hook id is one musicbind offers."""
    config = scratch / "pre-commit-config.yaml"
    config.write_text(text, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-config", str(config)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    offered = {hook["id"] for hook in hooks}
    for repo in yaml.safe_load(text)["repos"]:
        used = {hook["id"] for hook in repo["hooks"]}
        assert used <= offered, f"hooks {sorted(used - offered)} are not in .pre-commit-hooks.yaml"


def check_workflow(data: dict[Any, Any]) -> None:
    """A GitHub Actions workflow's keys; its musicbind commands and options exist."""
    assert data.get("on", data.get(True)), "a workflow says when it runs (`on:`)"  # YAML 1.1
    for name, job in data["jobs"].items():
        assert "runs-on" in job and job["steps"], f"job {name}: runs-on and steps"
        for step in job["steps"]:
            assert ("uses" in step) != ("run" in step), f"step {step}: one of uses and run"
            run = str(step.get("run", ""))
            if run.startswith("musicbind "):
                check_musicbind_command(run)
            if run.startswith("musicbind diff") and "--rev" in run:
                checkout = next(s for s in job["steps"] if "checkout" in s.get("uses", ""))
                depth = checkout.get("with", {}).get("fetch-depth")
                assert depth == 0, "diff --rev needs the history: fetch-depth 0"


def check_musicbind_command(line: str) -> None:
    """The subcommand and every option of a ``musicbind ...`` shell line exist."""
    words = []
    for word in shlex.split(line, comments=True):
        if word in (">", ">>", "|", "&&", ";"):
            break
        words.append(word)
    name = words[1]
    assert name in COMMANDS, f"`{line}`: there is no musicbind {name}"
    with click.Context(main) as context:
        command = main.get_command(context, name)
    assert command is not None, f"`{line}`: musicbind {name} is not available"
    options = {opt: param for param in command.params for opt in param.opts + param.secondary_opts}
    for at, word in enumerate(words[2:], start=2):
        if not word.startswith("-"):
            continue
        option, _, value = word.partition("=")
        following = words[at + 1] if at + 1 < len(words) else ""
        assert option in options, f"`{line}`: musicbind {name} has no {option}"
        kind = options[option].type
        if isinstance(kind, click.Choice):
            assert (value or following) in kind.choices, f"`{line}`: {option} takes {kind.choices}"


def merge_into_pyproject(text: str, pyproject: Path) -> None:
    """Append a ``# pyproject.toml`` block; a table already there must say the same."""
    current = tomllib.loads(pyproject.read_text(encoding="utf-8")) if pyproject.is_file() else {}
    for table, values in tables(tomllib.loads(text)).items():
        there = tables(current).get(table)
        assert there in (None, values), f"[{table}] is already {there}; the README adds {values}"
    with pyproject.open("a", encoding="utf-8") as out:
        out.write("\n" + text)
    tomllib.loads(pyproject.read_text(encoding="utf-8"))


def check_config_table(shown: dict[str, Any], pyproject: Path) -> None:
    """The ``[tool.musicbind]`` table the README shows is the one in the project's file."""
    assert pyproject.is_file(), "the project has no pyproject.toml"
    written = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("tool", {}).get("musicbind")
    assert written is not None, "no [tool.musicbind] table in the project's pyproject.toml"
    assert set(written) <= CONFIG_KEYS, f"unknown keys {sorted(set(written) - CONFIG_KEYS)}"
    assert {key: written.get(key) for key in shown} == shown, f"the file holds {written}"


def tables(data: dict[str, Any], prefix: str = "") -> dict[str, dict[str, Any]]:
    """Tables by dotted name (``tool.mypy`` -> its plain keys)."""
    found: dict[str, dict[str, Any]] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            inner = tables(value, f"{prefix}{key}.")
            plain = {k: v for k, v in value.items() if not isinstance(v, dict)}
            if plain or not inner:
                found[f"{prefix}{key}"] = plain
            found.update(inner)
    return found


def check_layout(text: str) -> None:
    """Every path of a layout exists; "installed as musicbind.X" is the symlink musicbind/X.

    A line starts with one or more paths, then says what they are; an indented line's
    paths are inside the folder of the line above it.
    """
    parents: list[tuple[int, Path]] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        while parents and parents[-1][0] >= indent:
            parents.pop()
        base = parents[-1][1] if parents else ROOT
        words = line.split()
        paths = []
        for word in words:
            if not PATH_LIKE.fullmatch(word):
                break
            paths.append(base / word)
        assert paths, f"a layout line that names no path: {line!r}"
        for path in paths:
            assert path.exists(), f"{path.relative_to(ROOT)} does not exist"
        installed = re.search(r"installed as musicbind\.(\w+)", line)
        if installed:
            link = ROOT / "musicbind" / installed[1]
            assert link.is_symlink() and link.resolve() == paths[0].resolve(), (
                f"musicbind/{installed[1]} is not a symlink to {paths[0].relative_to(ROOT)}"
            )
        if len(paths) == 1 and words[0].endswith("/"):
            parents.append((indent, paths[0]))
