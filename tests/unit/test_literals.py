"""Spec text reaches generated code only as escaped literals that evaluate back to the text."""

from __future__ import annotations

import ast

import pytest
from hypothesis import given
from hypothesis import strategies as st

from musicbind.generator.emit.environment import docstring
from musicbind.generator.emit.literals import (
    UnsafeLiteralError,
    clean_text,
    comment_text,
    py_literal,
)

HOSTILE = [
    '"""; import os; os.system("x"); """',
    "'''\\'",
    "\\",
    'end with quote"',
    "line\rbreak",
    "nul\x00byte",
    "para\u2028graph\u2029",
    "# comment\nimport os",
    "{{ jinja }} {% if %}",
    "__import__('os').system('id')",
]

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@given(json_values)
def test_py_literal_round_trips(value: object) -> None:
    source = py_literal(value)
    assert ast.literal_eval(source) == value


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_strings_stay_literals(text: str) -> None:
    tree = ast.parse(f"x = {py_literal(text)}")
    assert isinstance(tree.body[0], ast.Assign)
    assert ast.literal_eval(py_literal(text)) == text


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), object()])
def test_unrepresentable_values_refused(bad: object) -> None:
    with pytest.raises(UnsafeLiteralError):
        py_literal(bad)


@given(st.text())
def test_docstring_is_one_string_statement(text: str) -> None:
    source = f"class C:\n    {docstring(text, 4)}\n"
    tree = ast.parse(source)
    body = tree.body[0].body  # type: ignore[attr-defined]
    assert len(body) == 1
    assert isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
    assert " ".join(body[0].value.value.split()) == " ".join(clean_text(text).split())


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_docstrings(text: str) -> None:
    test_docstring_is_one_string_statement.hypothesis.inner_test(text)  # type: ignore[attr-defined]


@given(st.text())
def test_clean_text_has_no_line_breaks_but_newline(text: str) -> None:
    cleaned = clean_text(text)
    assert not set(cleaned) & {"\r", "\x00", "\u2028", "\u2029", "\x85", "\x0b", "\x0c"}


@given(st.text())
def test_comment_text_is_one_printable_line(text: str) -> None:
    line = comment_text(text)
    assert line.isascii() and "\n" not in line and "\r" not in line
    assert ast.parse(f"# {line}\n").body == []


@given(st.text(alphabet=st.characters(max_codepoint=127)))
def test_clean_text_of_ascii_keeps_every_printable_character(text: str) -> None:
    cleaned = clean_text(text)
    assert all(ch == "\n" or " " <= ch <= "~" for ch in cleaned)
    printable = [ch for ch in text if "!" <= ch <= "~"]
    assert [ch for ch in cleaned if ch not in " \n"] == printable


@given(st.text())
def test_comment_text_changes_only_what_it_must(text: str) -> None:
    plain = all(" " <= ch <= "~" and ch not in '"\\' for ch in text)
    assert (comment_text(text) == text) is plain
