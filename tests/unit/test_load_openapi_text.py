"""OpenAPI loader: reading JSON or YAML text, tracking lines, refusing what cannot be read."""

from __future__ import annotations

import json

import pytest

from musicbind.generator.load import openapi
from musicbind.generator.load.document_text import DocumentText, read_document
from musicbind.generator.load.located import pointer_child
from musicbind.generator.load.records import Level, TypeKind


def parse_text(text: str, path: str = "doc") -> DocumentText:
    return read_document(text, path)


def line(parsed: DocumentText, pointer: str) -> int | None:
    return parsed.locate("doc", pointer).line


JSON_TEXT = """{
  "openapi": "3.1.0",
  "paths": {
    "/a~b/c": {
      "post": {}
    }
  },
  "list": [
    1,
    {"k": "v"}
  ],
  "esc\\"aped": "x"
}
"""

YAML_TEXT = """\
openapi: 3.1.0
paths:
  /a~b/c:
    post: {}
list:
  - 1
  - k: v
200: numbered
"""


@pytest.mark.parametrize(
    ("key", "pointer"),
    [("a", "/a"), ("a/b", "/a~1b"), ("~", "/~0"), ("~1", "/~01"), ("", "/"), (3, "/3")],
)
def test_pointer_child_escapes(key: str | int, pointer: str) -> None:
    assert pointer_child("", key) == pointer


def test_json_lines_are_tracked() -> None:
    parsed = parse_text(JSON_TEXT)
    assert parsed.problems == ()
    assert line(parsed, "") == 1
    assert line(parsed, "/openapi") == 2
    assert line(parsed, "/paths/~1a~0b~1c") == 4
    assert line(parsed, "/paths/~1a~0b~1c/post") == 5
    assert line(parsed, "/list/0") == 9
    assert line(parsed, "/list/1") == 10
    assert line(parsed, "/list/1/k") == 10
    assert line(parsed, '/esc"aped') == 12


def test_yaml_lines_are_tracked_and_keys_become_text() -> None:
    parsed = parse_text(YAML_TEXT)
    assert parsed.problems == ()
    assert isinstance(parsed.value, dict)
    assert parsed.value["200"] == "numbered"
    assert line(parsed, "/openapi") == 1
    assert line(parsed, "/paths/~1a~0b~1c/post") == 4
    assert line(parsed, "/list/1") == 7
    assert line(parsed, "/list/1/k") == 7
    assert line(parsed, "/200") == 8


def test_problem_locations_carry_lines() -> None:
    text = """\
openapi: 3.1.0
info:
  x-fal-metadata: {endpointId: acme/x}
components:
  schemas:
    XInput:
      type: object
      properties:
        n:
          type: integer
          minimum: 5
          maximum: 1
"""
    doc = openapi.load(text, "specs/acme.yaml")
    (problem,) = [p for p in doc.problems if p.level is Level.ERROR]
    assert problem.location.pointer == "/components/schemas/XInput/properties/n"
    assert problem.location.line == 9
    assert str(problem).startswith(
        "specs/acme.yaml#/components/schemas/XInput/properties/n: error: "
    )


def test_yaml_values_json_cannot_say_stay_text() -> None:
    parsed = parse_text("openapi: 3.1.0\nwhen: 2024-01-02\nbin: !!binary aGk=\n")
    assert parsed.value == {"openapi": "3.1.0", "when": "2024-01-02", "bin": "aGk="}


def test_yaml_non_text_keys_become_text() -> None:
    parsed = parse_text("true: 1\nnull: 2\n1.5: 3\n2024-01-02: 4\n")
    assert parsed.value == {"true": 1, "null": 2, "1.5": 3, "2024-01-02": 4}


def test_yaml_shared_anchors_are_fine() -> None:
    text = "openapi: 3.1.0\na: &x {type: string}\nb: *x\n"
    parsed = parse_text(text)
    assert parsed.value == {"openapi": "3.1.0", "a": {"type": "string"}, "b": {"type": "string"}}


def test_yaml_anchor_referring_to_itself_is_refused() -> None:
    doc = openapi.load("openapi: 3.1.0\na: &x [*x]\n", "loop.yaml")
    (problem,) = doc.problems
    assert problem.level is Level.ERROR and "cannot contain itself" in problem.message
    assert str(problem.location) == "loop.yaml:2:8"


def test_yaml_python_tags_are_refused_not_run() -> None:
    doc = openapi.load(
        "openapi: 3.1.0\nx: !!python/object/apply:os.system ['echo hi']\n", "evil.yaml"
    )
    problems = [p for p in doc.problems if p.level is Level.ERROR]
    assert problems and "unsupported YAML tag" in problems[0].message
    assert str(problems[0].location) == "evil.yaml:2:4"


def test_invalid_json_reports_line_column_and_what_was_expected() -> None:
    doc = openapi.load('{\n  "openapi": "3.1.0",\n  "paths": {,}\n}', "bad.json")
    (problem,) = doc.problems
    assert problem.level is Level.ERROR
    assert (problem.location.line, problem.location.column) == (3, 13)
    assert problem.message.startswith("invalid JSON: expected a key in double quotes")
    assert str(problem).startswith("bad.json:3:13: error: invalid JSON")
    assert doc.models == ()


def test_invalid_yaml_reports_line_column_and_what_was_expected() -> None:
    doc = openapi.load("openapi: 3.1.0\npaths:\n  - a\n  b: [\n", "bad.yaml")
    (problem,) = doc.problems
    assert problem.level is Level.ERROR
    assert (problem.location.line, problem.location.column) == (4, 3)
    assert problem.message.startswith("invalid YAML: did not find expected '-' indicator")


def test_a_json_file_with_a_trailing_comma_is_invalid_json() -> None:
    doc = openapi.load('{"openapi": "3.1.0", "paths": {},}', "x.json")
    (problem,) = doc.problems
    assert problem.level is Level.ERROR and "no trailing comma" in problem.message
    assert str(problem.location) == "x.json:1:34"


def test_json_looking_text_of_another_name_is_read_as_yaml_when_it_can_be() -> None:
    parsed = parse_text('{"openapi": "3.1.0", "paths": {},}', "doc.txt")
    assert parsed.syntax == "YAML"
    assert parsed.value == {"openapi": "3.1.0", "paths": {}}
    (note,) = parsed.problems
    assert note.level is Level.WARNING and "not valid JSON, read as YAML" in note.message


def test_byte_order_mark_is_skipped() -> None:
    doc = openapi.load('\ufeff{"openapi": "3.1.0", "paths": {}}', "bom.json")
    assert doc.problems == ()


def test_duplicate_keys_and_nan_are_located_errors() -> None:
    doc = openapi.load('{"openapi": "3.1.0",\n "paths": {}, "paths": {},\n "x": NaN}', "d.json")
    shown = [str(p) for p in doc.problems]
    assert shown == [
        'd.json:2:15: error: /paths: duplicate key "paths" (first at line 2, column 2)',
        "d.json:3:7: error: /x: NaN is not a JSON number",
    ]


def test_huge_numbers_and_nan_do_not_crash() -> None:
    big = "9" * 5000
    doc = openapi.load('{"openapi": "3.1.0", "x": ' + big + "}", "big.json")
    assert doc.problems and doc.problems[0].level is Level.ERROR
    text = json.dumps(
        {
            "openapi": "3.1.0",
            "info": {"x-fal-metadata": {"endpointId": "a/b"}},
            "components": {
                "schemas": {
                    "BInput": {
                        "type": "object",
                        "properties": {"n": {"type": "number", "minimum": float("nan")}},
                    }
                }
            },
        }
    )
    doc = openapi.load(text, "nan.json")
    assert any(
        p.location.pointer == "/components/schemas/BInput/properties/n/minimum"
        for p in doc.problems
    )


def test_deeply_nested_text_is_refused_not_crashed() -> None:
    deep = "[" * 100_000 + "]" * 100_000
    doc = openapi.load('{"openapi": "3.1.0", "x": ' + deep + "}", "deep.json")
    assert doc.problems and doc.problems[0].level is Level.ERROR


def test_lone_surrogates_do_not_crash() -> None:
    doc = openapi.load('{"openapi": "3.1.0", "paths": {}, "x": "\ud800"}', "s.json")
    assert doc.problems == ()


def test_yaml_document_with_openapi_as_a_number() -> None:
    doc = openapi.load(
        "openapi: 3.1\npaths:\n  /go:\n    post:\n      requestBody:\n        content:\n"
        "          application/json:\n            schema:\n              properties:\n"
        "                model: {type: string}\n",
        "n.yaml",
    )
    assert doc.problems == ()
    assert [m.model_id for m in doc.models] == ["go"]
    assert doc.models[0].inputs is not None
    assert doc.models[0].inputs[0].type.kind is TypeKind.STRING
