"""README examples as data: the fenced blocks, their shell commands and Python statements.

Read by test_readme.py; nothing here runs anything.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
SKIP_MARKER = re.compile(r"<!--\s*readme-test:\s*skip\s*\((?P<reason>.+)\)\s*-->", re.S)
FILE_HEADER = re.compile(r"#\s*(?P<path>[\w./-]+\.(?:py|ya?ml|toml))")
EXIT_STATUS = re.compile(r"#.*\bexit status (?P<status>\d+)")
OUTCOME = re.compile(r"(?P<name>\w+(?:Error|Exception)):\s*(?P<text>.*)", re.S)
SHELLS = frozenset({"console", "sh", "bash", "shell"})


@dataclass(frozen=True)
class Block:
    """One fenced block of the README."""

    line: int  # 1-based line of the opening fence
    info: str
    text: str
    skip: str | None  # the reason a skip marker right before the block gives

    @property
    def kind(self) -> str:
        """The info string's first word, lower case ("" for a bare fence)."""
        return self.info.split()[0].lower() if self.info.strip() else ""

    @property
    def first_line(self) -> int:
        """1-based README line of the block's first content line."""
        return self.line + 1

    @property
    def file_header(self) -> str | None:
        """``PATH`` when the block's first line is a ``# PATH`` comment naming a file."""
        first = self.text.splitlines()[0] if self.text else ""
        found = FILE_HEADER.fullmatch(first.strip())
        return found["path"] if found else None


def readme_blocks(readme: Path = README) -> list[Block]:
    """The fenced blocks in order, each with the reason of a skip marker right before it."""
    blocks: list[Block] = []
    reason: str | None = None
    for token in MarkdownIt("commonmark").parse(readme.read_text(encoding="utf-8")):
        if token.type == "html_block":
            found = SKIP_MARKER.search(token.content)
            reason = " ".join(found["reason"].split()) if found else None
            continue
        if token.type in ("fence", "code_block") and token.map is not None:
            info = token.info if token.type == "fence" else ""
            blocks.append(Block(token.map[0] + 1, info, token.content, reason))
        reason = None  # a marker speaks for the block right after it only
    return blocks


@dataclass
class Command:
    """A ``$`` line of a shell block and the output lines shown under it."""

    line: int
    text: str
    shown: list[str] = field(default_factory=list)

    @property
    def exit_status(self) -> int:
        """0, or what the command's comment says (``# exit status 1``)."""
        said = EXIT_STATUS.search(self.text)
        return int(said["status"]) if said else 0


def shell_commands(block: Block) -> list[Command]:
    """The commands of a shell block; an AssertionError when it holds none."""
    commands: list[Command] = []
    for offset, line in enumerate(block.text.splitlines()):
        if line.startswith("$ "):
            commands.append(Command(block.first_line + offset, line[2:]))
        elif commands:
            if line.strip():
                commands[-1].shown.append(line)
        elif line.strip():
            raise AssertionError(f"README.md:{block.first_line + offset}: output before a `$ `")
    if not commands:
        raise AssertionError("a shell block without a `$ ` command")
    return commands


def python_steps(block: Block, source: str) -> list[dict[str, Any]]:
    """Top-level statements of a Python block, each with the outcome the comment under it states.

    A comment right under a statement (no blank line between) is a claim: ``SomeError: text``
    or a Python literal, the statement's value. Anything else there is an AssertionError.
    """
    lines = source.splitlines()
    steps = []
    for statement in ast.parse(source).body:
        end = statement.end_lineno or statement.lineno
        comments = []
        while end < len(lines) and lines[end].lstrip().startswith("#"):
            comments.append(lines[end].lstrip()[1:].strip())
            end += 1
        expect: dict[str, str] | None = None
        where = block.first_line + statement.lineno - 1
        if comments:
            said = " ".join(comments)
            raised = OUTCOME.fullmatch(said)
            if raised:
                expect = {"kind": "raises", "name": raised["name"], "text": raised["text"]}
            elif isinstance(statement, ast.Expr) and _is_literal(said):
                expect = {"kind": "value", "text": said}
            else:
                raise AssertionError(
                    f"README.md:{where}: the comment under this statement must state its "
                    f"outcome (`# SomeError: text` or a Python literal), not {said!r}"
                )
        segment = "\n".join(lines[statement.lineno - 1 : statement.end_lineno])
        steps.append({"line": where, "source": segment, "expect": expect})
    return steps


def _is_literal(text: str) -> bool:
    try:
        ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return False
    return True


# Runs python_steps' output in a fresh interpreter: argv[1] is the steps' JSON file. Each
# statement is compiled as README.md at its own line, so a traceback points into the README.
STEP_RUNNER = r"""
import ast, json, sys, traceback

def norm(text):
    return " ".join(text.split())

namespace = {"__name__": "__main__"}
for step in json.load(open(sys.argv[1], encoding="utf-8")):
    expect, padded = step["expect"], "\n" * (step["line"] - 1) + step["source"]
    where = f"README.md:{step['line']}"
    try:
        if expect and expect["kind"] == "value":
            value = eval(compile(padded.lstrip("\n"), "README.md", "eval"), namespace)
        else:
            exec(compile(padded, "README.md", "exec"), namespace)
    except Exception as exc:
        if expect and expect["kind"] == "raises":
            if type(exc).__name__ == expect["name"] and norm(expect["text"]) in norm(str(exc)):
                continue
        traceback.print_exc()
        sys.exit(f"{where}: raised {type(exc).__name__}; the README shows {expect}")
    if expect and expect["kind"] == "raises":
        sys.exit(f"{where}: nothing raised; the README shows {expect['name']}: {expect['text']}")
    if expect and expect["kind"] == "value" and value != ast.literal_eval(expect["text"]):
        sys.exit(f"{where}: the value is {value!r}; the README shows {expect['text']}")
"""
