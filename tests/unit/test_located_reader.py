"""The located reader: JSON and YAML -> value + JSON pointer -> line:column, and anomalies.

Property tests against independent oracles: the JSON text at a value's position decodes
(``json.JSONDecoder.raw_decode``) to that value; PyYAML's own composer puts every node
and key where the reader says. Anomalies (duplicate keys, NaN and Infinity, numbers past
2**53, syntax errors) are reported at their path and position and never raise.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from musicbind.generator.load.document_text import read_document
from musicbind.generator.load.located import (
    DOCUMENT_LIMITS,
    MAX_SAFE_INTEGER,
    JsonPath,
    Located,
    Position,
    json_pointer,
)
from musicbind.generator.load.located_json import read_json, read_json_values, scan_json
from musicbind.generator.load.located_yaml import read_yaml

_KEYS = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=6)
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER)
    | st.floats(allow_nan=False, allow_infinity=False)
    | _KEYS
)
VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEYS, inner, max_size=4),
    max_leaves=20,
)
FAST = settings(max_examples=100, deadline=None)


def paths(value: Any, prefix: JsonPath = ()) -> list[tuple[JsonPath, Any]]:
    """Every (path, value) in a JSON value, the root first."""
    found: list[tuple[JsonPath, Any]] = [(prefix, value)]
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths(item, (*prefix, index))
    return found


def offset(text: str, at: Position) -> int:
    starts = [0] + [i + 1 for i, char in enumerate(text) if char == "\n"]
    return starts[at.line - 1] + at.column - 1


# --- JSON ------------------------------------------------------------------------------


@FAST
@given(VALUES, st.sampled_from([None, 0, 2]), st.booleans())
def test_json_positions_point_at_each_value_and_key(value: Any, indent: Any, ascii: bool) -> None:
    text = json.dumps(value, indent=indent, ensure_ascii=ascii)
    located = read_json(text, limits=DOCUMENT_LIMITS)
    assert located.anomalies == [] and located.value == value
    decoder = json.JSONDecoder()
    for path, item in paths(value):
        at = located.pointer_position(json_pointer(path))
        assert at is not None
        if path and isinstance(path[-1], str):  # an object member: the pointer names its key
            key, _ = decoder.raw_decode(text, offset(text, at))
            assert key == path[-1]
            at = located.value_position(path)
        decoded, _ = decoder.raw_decode(text, offset(text, at))
        assert decoded == item


# Texts as people and tools write them: compact, indented, with odd spacing and line breaks.
_SPACING = st.sampled_from([" ", "\n", "\t", "\r\n", " \n  "])


def _spaced(value: Any, space: str, swap: tuple[JsonPath, str] | None = None) -> str:
    """``value`` as JSON with ``space`` around every token; ``swap`` writes the value at one
    path as the given token instead (``NaN``, a huge number)."""

    def write(item: Any, path: JsonPath) -> str:
        if swap is not None and path == swap[0]:
            return swap[1]
        if isinstance(item, dict):
            members = [
                f"{json.dumps(k)}{space}:{space}{write(v, (*path, k))}" for k, v in item.items()
            ]
            return "{" + space + f"{space},{space}".join(members) + space + "}"
        if isinstance(item, list):
            elements = [write(v, (*path, i)) for i, v in enumerate(item)]
            return "[" + space + f"{space},{space}".join(elements) + space + "]"
        return json.dumps(item)

    return write(value, ())


def _probe_paths(value: Any) -> list[JsonPath]:
    """Every path in ``value``, plus paths that go past a leaf or name a missing member."""
    found = [path for path, _ in paths(value)]
    return found + [(*path, "missing") for path in found] + [(*path, 0) for path in found]


@FAST
@given(VALUES, _SPACING, st.integers(1, 30))
def test_positions_looked_up_on_demand_agree_with_the_recursive_reader(
    value: Any, space: str, first_line: int
) -> None:
    text = space + _spaced(value, space) + space
    lazy = read_json(text, first_line, DOCUMENT_LIMITS)
    eager = scan_json(text, first_line, DOCUMENT_LIMITS)
    assert lazy.index is not None and eager.index is None  # the fast path was taken
    assert lazy.value == eager.value == value and lazy.anomalies == eager.anomalies == []
    assert lazy.start == eager.start
    for path in _probe_paths(value):
        assert lazy.value_position(path) == eager.value_position(path), path
        assert lazy.key_position(path) == eager.key_position(path), path
        pointer = json_pointer(path)
        assert lazy.pointer_position(pointer) == eager.pointer_position(pointer), pointer


@FAST
@given(VALUES, st.text(alphabet="/~01a", max_size=8))
def test_odd_pointers_find_what_the_recursive_reader_finds(value: Any, pointer: str) -> None:
    text = json.dumps(value, indent=1)
    lazy, eager = read_json(text, limits=DOCUMENT_LIMITS), scan_json(text, limits=DOCUMENT_LIMITS)
    assert lazy.pointer_position(pointer) == eager.pointer_position(pointer)


_HOSTILE_TOKENS = st.sampled_from(
    ["NaN", "Infinity", "-Infinity", "1e999", "123456789012345678901234567890"]
)


@FAST
@given(VALUES, _SPACING, _HOSTILE_TOKENS, st.data())
def test_a_hostile_value_anywhere_is_refused_where_it_is_written(
    value: Any, space: str, token: str, data: st.DataObject
) -> None:
    path = data.draw(st.sampled_from([p for p, _ in paths(value)]))
    text = _spaced(value, space, (path, token))
    located = read_json(text, limits=DOCUMENT_LIMITS)
    assert located.index is None  # not taken on the fast path: the strict reader reports it
    (anomaly,) = located.anomalies
    assert anomaly.code in ("not-a-number", "huge-number") and anomaly.path == path
    assert text[offset(text, anomaly.position) :].startswith(token)


_HOSTILE = [
    ('{"a": 1,\n "a": 2}', "duplicate-key", Position(2, 2)),
    ('{"a": [1,\n  NaN]}', "not-a-number", Position(2, 3)),
    ('{"a": -Infinity}', "not-a-number", Position(1, 7)),
    ('{"n":\n 123456789012345678901234567890}', "huge-number", Position(2, 2)),
    ("[1e999]", "huge-number", Position(1, 2)),
    ("[" * 200 + "]" * 200, "too-deep", Position(1, 129)),
    ('{"a": 1,}', "syntax", Position(1, 9)),
]


@pytest.mark.parametrize(("text", "code", "at"), _HOSTILE)
def test_hostile_json_is_refused_with_a_location(text: str, code: str, at: Position) -> None:
    located = read_json(text, limits=DOCUMENT_LIMITS)
    assert located.index is None  # read by the recursive reader, which reports it
    assert [(a.code, a.position) for a in located.anomalies][:1] == [(code, at)]
    (problem, *_) = read_document(text, "hostile.json").problems
    assert (problem.location.line, problem.location.column) == (at.line, at.column)


@FAST
@given(st.lists(VALUES, min_size=1, max_size=4), st.integers(1, 40))
def test_json_values_one_after_another(values: list[Any], first_line: int) -> None:
    text = "\n".join(json.dumps(v, indent=1) for v in values)
    documents = read_json_values(text, first_line)
    assert [d.value for d in documents] == values
    assert documents[0].start == Position(first_line, 1)
    assert all(d.anomalies == [] for d in documents)


@FAST
@given(st.dictionaries(_KEYS, _SCALARS, min_size=1, max_size=5), st.data())
def test_a_duplicate_key_is_located_at_its_second_writing(
    members: dict[str, Any], data: st.DataObject
) -> None:
    key = data.draw(st.sampled_from(sorted(members)))
    body = json.dumps(members, indent=2)
    text = body[:-2] + f",\n  {json.dumps(key)}: 0\n}}"
    located = read_json(text)
    (anomaly,) = located.anomalies
    assert anomaly.code == "duplicate-key" and anomaly.path == (key,)
    assert anomaly.position == Position(text.count("\n"), 3)
    assert f"first at line {list(members).index(key) + 2}, column 3" in anomaly.message


@FAST
@given(
    st.lists(
        st.sampled_from(["NaN", "Infinity", "-Infinity"])
        | st.integers(min_value=MAX_SAFE_INTEGER + 1).map(str)
        | st.integers(max_value=-MAX_SAFE_INTEGER - 1).map(str),
        min_size=1,
        max_size=4,
    )
)
def test_non_numbers_and_huge_numbers_are_located(words: list[str]) -> None:
    text = "[\n" + ",\n".join(f"  {word}" for word in words) + "\n]"
    located = read_json(text)
    assert [(a.path, a.position) for a in located.anomalies] == [
        ((index,), Position(index + 2, 3)) for index in range(len(words))
    ]
    codes = {a.code for a in located.anomalies}
    assert codes <= {"not-a-number", "huge-number"}
    assert all(isinstance(v, int) or not math.isfinite(v) for v in located.value), located.value


@FAST
@given(VALUES.filter(lambda v: isinstance(v, dict | list) and v), st.data())
def test_cut_json_is_one_located_syntax_error(value: Any, data: st.DataObject) -> None:
    text = json.dumps(value, indent=1)
    cut = data.draw(st.integers(1, len(text) - 1))
    located = read_json(text[:cut])
    syntax = [a for a in located.anomalies if a.code == "syntax"]
    assert len(syntax) == 1 and located.value is None and not located.readable
    assert syntax[0].message.startswith("invalid JSON: ")
    assert 0 <= offset(text[:cut], syntax[0].position) <= cut


def test_syntax_errors_say_what_was_expected_and_show_the_place() -> None:
    (anomaly,) = read_json('{"a": 1,, "b": 2}').anomalies
    assert anomaly.position == Position(1, 9)
    assert anomaly.message == (
        'invalid JSON: expected a key in double quotes (here: \'{"a": 1,^, "b": 2}\')'
    )
    (anomaly,) = read_json("[1, 2,]").anomalies
    assert "expected a value after ',' (JSON allows no trailing comma)" in anomaly.message


# --- YAML ------------------------------------------------------------------------------


def yaml_marks(node: yaml.Node, prefix: JsonPath = ()) -> list[tuple[JsonPath, str, Position]]:
    """(path, "key" or "value", start) of every node, from PyYAML's composer."""

    def at(mark: Any) -> Position:
        return Position(mark.line + 1, mark.column + 1)

    found = [(prefix, "value", at(node.start_mark))]
    if isinstance(node, yaml.MappingNode):
        for key, item in node.value:
            found.append(((*prefix, key.value), "key", at(key.start_mark)))
            found += yaml_marks(item, (*prefix, key.value))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            found += yaml_marks(item, (*prefix, index))
    return found


@FAST
@given(VALUES, st.sampled_from([None, False, True]), st.sampled_from([2, 4]))
def test_yaml_positions_are_where_pyyaml_puts_each_node(value: Any, flow: Any, indent: int) -> None:
    text = yaml.safe_dump(value, default_flow_style=flow, indent=indent, allow_unicode=True)
    (located,) = read_yaml(text, DOCUMENT_LIMITS)
    assert located.anomalies == []
    assert located.value == yaml.safe_load(text)
    for path, what, at in yaml_marks(yaml.compose(text, Loader=yaml.SafeLoader)):
        table = located.keys if what == "key" else located.values
        assert table[path] == at, (path, what)


def test_yaml_anomalies_are_located() -> None:
    text = "a: 1\nb:\n  c: .nan\n  d: 123456789012345678901\na: 2\ne: !!python/name:os.system x\n"
    (located,) = read_yaml(text)
    found = [(a.code, a.path, a.position) for a in located.anomalies]
    assert found == [
        ("not-a-number", ("b", "c"), Position(3, 6)),
        ("huge-number", ("b", "d"), Position(4, 6)),
        ("duplicate-key", ("a",), Position(5, 1)),
        ("bad-tag", ("e",), Position(6, 4)),
    ]


def test_a_yaml_syntax_error_says_what_was_expected() -> None:
    (located,) = read_yaml("a:\n  - 1\n  b: 2\n")
    (anomaly,) = located.anomalies
    assert anomaly.position == Position(3, 3) and not located.readable
    assert anomaly.message == (
        "invalid YAML: did not find expected '-' indicator, "
        "while parsing a block collection at line 2, column 3"
    )


# --- one reader for every input file -----------------------------------------------------


def test_a_document_is_read_in_the_syntax_its_name_says() -> None:
    assert read_document("a: 1", "x.yaml").value == {"a": 1}
    broken = read_document("{a: 1}", "x.json")
    assert broken.syntax == "JSON" and not broken.readable
    assert str(broken.problems[0]).startswith("x.json:1:2: error: invalid JSON: expected a key")
    (extra,) = read_document("a: 1\n---\nb: 2\n", "x.yaml").problems
    assert str(extra).startswith("x.yaml:2:1: error: invalid YAML: a second YAML document")


def test_the_reader_needs_none_of_the_codegen_extra() -> None:
    probe = (
        "import sys\n"
        "import musicbind.generator.load.document_text, musicbind.validation.payloads\n"
        "heavy = {'datamodel_code_generator', 'jinja2', 'markdown_it', 'ruff'}\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
    )
    done = subprocess.run(
        [sys.executable, "-P", "-c", probe], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"


def test_located_records_name_values_by_pointer() -> None:
    located: Located = read_json('{"a/b": [1, {"~": 2}]}')
    assert located.pointer_position("/a~1b/1/~0") == Position(1, 14)
    assert located.pointer_position("/missing") is None
    assert located.value_position(("a/b", 1, "~", "deeper")) == Position(1, 19)
