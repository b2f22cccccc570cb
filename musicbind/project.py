"""Tooling: the project config, ``[tool.musicbind]`` in the nearest pyproject.toml that has one.

Found as ruff and black find theirs: from the current folder up to the first
pyproject.toml holding the table; its paths are relative to that file's folder.
Every mistake (an unknown key, a wrong type, a bad value) is one located line,
``pyproject.toml:7: [tool.musicbind] ...``: a typo never passes silently.
Light on purpose (tomllib, click and the generator's settings record, none of the
codegen extra): ``musicbind init`` and ``validate`` run in the light install.
"""

from __future__ import annotations

import difflib
import keyword
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import click

from musicbind.generator.settings import BuildSettings

PYPROJECT = "pyproject.toml"
TABLE = ("tool", "musicbind")
# key -> what its value is, for the messages.
KEYS: dict[str, str] = {
    "specs": "a string (a folder, relative to pyproject.toml)",
    "out": "a string (a folder, relative to pyproject.toml)",
    "package": "a string (a Python import name)",
    "overlay": "a string (a file, relative to pyproject.toml)",
    "bundled-overlay": 'a string ("extend" or "replace")',
}
BUNDLED_OVERLAY_MODES = ("extend", "replace")
DEFAULT_SPECS = "specs"
DEFAULT_OUT = "bindings"
_TOML_LINE = re.compile(r"\(at line (\d+), column \d+\)")


class ConfigError(click.ClickException):
    """``[tool.musicbind]`` cannot be used: one located line per mistake."""

    exit_code = 2

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines

    def show(self, file: IO[Any] | None = None) -> None:
        """Each mistake on its own ``Error:`` line (click would prefix the first one only)."""
        for line in self.lines:
            click.echo(f"Error: {line}", err=True, file=file)


@dataclass(frozen=True, slots=True)
class ProjectConfig:
    """A user project's ``[tool.musicbind]``, with its paths made absolute."""

    pyproject: Path
    specs: Path
    out: Path
    package: str
    overlay: Path | None  # None: <specs>/overlay.yaml when it exists
    bundled_overlay: str  # "extend" or "replace"

    @property
    def root(self) -> Path:
        """The folder of the pyproject.toml (the project's root)."""
        return self.pyproject.parent

    def build_settings(self, out: Path | None = None) -> BuildSettings:
        """The generator's settings; an ``out`` other than the config's is its own package."""
        return BuildSettings(
            overlay=self.overlay,
            bundled_overlay=self.bundled_overlay == "extend",
            base=self.root,
            package=self.package if out is None or _same(out, self.out) else out.name,
        )


def _same(one: Path, other: Path) -> bool:
    return one.resolve() == other.resolve()


def shown(path: Path) -> str:
    """``path`` as a person reads it: relative to the current folder (``bindings``,
    ``../pyproject.toml``) unless the two share no folder but the root."""
    here = Path.cwd()
    if not path.is_absolute():
        return path.as_posix()
    if path.is_relative_to(here) or any(path.is_relative_to(p) for p in here.parents[:-1]):
        return Path(os.path.relpath(path, here)).as_posix()
    return str(path)


def find_project(start: Path | None = None) -> ProjectConfig | None:
    """The config of the nearest pyproject.toml (from ``start`` up) with ``[tool.musicbind]``."""
    here = (start or Path.cwd()).absolute()
    for folder in (here, *here.parents):
        candidate = folder / PYPROJECT
        if candidate.is_file():
            found = read_project(candidate)
            if found is not None:
                return found
    return None


def read_project(pyproject: Path) -> ProjectConfig | None:
    """The config in one pyproject.toml, or None when it has no ``[tool.musicbind]`` table."""
    try:
        text = pyproject.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        if "musicbind" not in text:
            return None  # someone else's broken file: not ours to judge
        match = _TOML_LINE.search(str(exc))
        line = f":{match.group(1)}" if match else ""
        message = _TOML_LINE.sub("", str(exc)).strip()
        raise ConfigError([f"{shown(pyproject)}{line}: not valid TOML: {message}"]) from None
    table = data.get(TABLE[0], {}).get(TABLE[1]) if isinstance(data.get(TABLE[0]), dict) else None
    if table is None:
        return None
    return parse_table(table, pyproject, text)


def has_table(text: str) -> bool:
    """Whether pyproject text already holds ``[tool.musicbind]`` (text that does not parse:
    whether it mentions the table)."""
    try:
        tool = tomllib.loads(text).get(TABLE[0])
    except tomllib.TOMLDecodeError:
        return bool(re.search(r"^\s*\[\s*tool\s*\.\s*musicbind\s*\]", text, re.MULTILINE))
    return isinstance(tool, dict) and TABLE[1] in tool


def import_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a package's import name, or None when it can."""
    parts = name.split(".")
    if not all(part.isidentifier() and not keyword.iskeyword(part) for part in parts):
        return f"{name!r} is not a Python import name (letters, digits, _ and dots)"
    return None


def parse_table(table: Any, pyproject: Path, text: str) -> ProjectConfig:
    """Check and resolve a ``[tool.musicbind]`` table; every mistake is a located line."""
    where = _Locator(pyproject, text)
    if not isinstance(table, Mapping):
        raise ConfigError([f"{where.at(None)} [tool.musicbind] must be a table"])
    errors: list[tuple[str, str]] = []  # (key, message)
    for key in sorted(set(table) - set(KEYS)):
        close = difflib.get_close_matches(key, list(KEYS), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        errors.append((key, f"unknown key {key!r} (known: {', '.join(KEYS)}){hint}"))
    values: dict[str, str] = {}
    for key, what in KEYS.items():
        if key not in table:
            continue
        value = table[key]
        if not isinstance(value, str):
            errors.append((key, f"{key} must be {what}, got {_toml_type(value)}"))
        elif not value.strip():
            errors.append((key, f"{key} must not be empty"))
        else:
            values[key] = value
    mode = values.get("bundled-overlay", "extend")
    if mode not in BUNDLED_OVERLAY_MODES:
        errors.append(
            ("bundled-overlay", f'bundled-overlay must be "extend" or "replace", got {mode!r}')
        )
    root = pyproject.parent
    out = root / values.get("out", DEFAULT_OUT)
    package = values.get("package")
    if package is not None and (problem := import_name_problem(package)):
        errors.append(("package", f"package {problem}"))
    elif package is None and import_name_problem(out.name) and "out" in values:
        errors.append(
            (
                "out",
                f"the folder name of out = {values['out']!r} is not a Python import name; "
                "set package",
            )
        )
    if errors:
        errors.sort(key=lambda error: where.line(error[0]) or 0)
        raise ConfigError(
            [f"{where.at(key)} [tool.musicbind] {message}" for key, message in errors]
        )
    overlay = values.get("overlay")
    return ProjectConfig(
        pyproject=pyproject,
        specs=root / values.get("specs", DEFAULT_SPECS),
        out=out,
        package=package or out.name,
        overlay=root / overlay if overlay else None,
        bundled_overlay=mode,
    )


def _toml_type(value: Any) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a number", list: "an array"}
    if isinstance(value, Mapping):
        return "a table"
    return next((name for kind, name in names.items() if isinstance(value, kind)), "a date")


class _Locator:
    """Finds the line of a ``[tool.musicbind]`` key in pyproject text (tomllib keeps none)."""

    def __init__(self, pyproject: Path, text: str) -> None:
        self.name = shown(pyproject)
        self.keys: dict[str, int] = {}
        self.table_line: int | None = None
        table: list[str] = []
        for number, line in enumerate(text.splitlines(), start=1):
            stripped = line.strip()
            if stripped.startswith("[") and not stripped.startswith("[["):
                table = _dotted(stripped.strip("[]").split("]")[0])
                if table == list(TABLE) and self.table_line is None:
                    self.table_line = number
                continue
            if stripped.startswith("[["):
                table = []
                continue
            key, equals, _ = stripped.partition("=")
            if not equals or stripped.startswith("#"):
                continue
            path = table + _dotted(key)
            if path[:2] == list(TABLE):
                if len(path) == 2 and self.table_line is None:
                    self.table_line = number  # tool.musicbind = {...}
                elif len(path) > 2:
                    self.keys.setdefault(path[2], number)

    def line(self, key: str | None) -> int | None:
        """The line of ``key`` (the table's line when the key's is unknown)."""
        return (self.keys.get(key) if key is not None else None) or self.table_line

    def at(self, key: str | None) -> str:
        """``pyproject.toml:LINE:`` for ``key``."""
        line = self.line(key)
        return f"{self.name}:{line}:" if line else f"{self.name}:"


def _dotted(text: str) -> list[str]:
    return [part.strip().strip("\"'") for part in text.split(".")]
