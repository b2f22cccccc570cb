"""``--format github``: workflow commands exactly as the Actions toolkit writes them.

Syntax (docs.github.com "Workflow commands for GitHub Actions", and ``@actions/core``
``command.ts``): ``::error file={name},line={line},col={col},title={title}::{message}``;
the message escapes ``%`` ``\\r`` ``\\n`` as ``%25`` ``%0D`` ``%0A``; property values
escape those and ``:`` ``,`` as ``%3A`` ``%2C``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from cli_support import assert_no_traceback, json_output, run_cli

from musicbind.validation.report import escape_data, escape_property

COMMAND = re.compile(r"^::(?P<name>error|warning|notice)(?: (?P<props>[^:]*))?::(?P<message>.*)$")
PROPERTIES = {"file", "line", "endLine", "col", "endColumn", "title"}


def _unescape(text: str) -> str:
    for escaped, raw in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        text = text.replace(escaped, raw)
    return text


def _parse(line: str) -> tuple[dict[str, str], str]:
    match = COMMAND.match(line)
    assert match, line
    props = {}
    for item in (match["props"] or "").split(","):
        key, _, value = item.partition("=")
        assert key in PROPERTIES, line
        props[key] = _unescape(value)
    assert "%" not in re.sub(r"%(25|0D|0A)", "", match["message"]), line
    return props, _unescape(match["message"])


def test_escaping_follows_the_toolkit() -> None:
    assert escape_data("50% done\r\nnext: a, b") == "50%25 done%0D%0Anext: a, b"
    assert escape_property("dir,x/a:b%.json\n") == "dir%2Cx/a%3Ab%25.json%0A"
    assert _unescape(escape_property("a:b,c%25\r\n")) == "a:b,c%25\r\n"


def test_annotations_carry_file_line_column_and_round_trip(tmp_path: Path) -> None:
    folder = tmp_path / "odd, name: 100%"
    folder.mkdir()
    payload = folder / "p.json"
    payload.write_text(
        "{\n"
        '  "model": "scenario:model_sonilo-v1-1-text-to-music",\n'
        '  "input": {"prompt": "x", "duration": 601, "50%": 1, "numSamples": "2"}\n'
        "}\n"
    )
    github = run_cli("validate", str(payload), "--format", "github")
    assert_no_traceback(github)
    assert github.returncode == 1
    lines = github.stdout.splitlines()
    expected = json_output(run_cli("validate", str(payload), "--format", "json"))["problems"]
    assert len(lines) == len(expected) == 3
    for line, problem in zip(lines, expected, strict=True):
        assert "\r" not in line
        props, message = _parse(line)
        assert props["file"] == payload.as_posix() == problem["file"]
        assert (int(props["line"]), int(props["col"])) == (problem["line"], problem["column"])
        assert props["title"] == f"musicbind validate: {problem['code']}"
        assert message.startswith(f"{problem['path']}: {problem['message']}")
        assert problem["source"] is None or f"({problem['source']})" in message
    assert any('"50%"' in _parse(line)[1] for line in lines)


def test_unreadable_files_are_annotated_without_a_line(tmp_path: Path) -> None:
    done = run_cli("validate", str(tmp_path / "gone.json"), "--format", "github")
    assert done.returncode == 2
    props, message = _parse(done.stdout.strip())
    assert set(props) == {"file", "title"} and "cannot read" in message
    assert json.loads(json.dumps(props))["title"] == "musicbind validate: unreadable"
