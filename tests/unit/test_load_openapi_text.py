"""OpenAPI loader: reading JSON or YAML text, tracking lines, refusing what cannot be read."""

from __future__ import annotations

import json

import pytest

from musicbind.generator.load import openapi
from musicbind.generator.load.openapi_text import parse_text, pointer_child
from musicbind.generator.load.records import Level, TypeKind

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
    assert parsed.error is None
    assert parsed.lines[""] == 1
    assert parsed.lines["/openapi"] == 2
    assert parsed.lines["/paths/~1a~0b~1c"] == 4
    assert parsed.lines["/paths/~1a~0b~1c/post"] == 5
    assert parsed.lines["/list/0"] == 9
    assert parsed.lines["/list/1"] == 10
    assert parsed.lines["/list/1/k"] == 10
    assert parsed.lines['/esc"aped'] == 12


def test_yaml_lines_are_tracked_and_keys_become_text() -> None:
    parsed = parse_text(YAML_TEXT)
    assert parsed.error is None
    assert isinstance(parsed.data, dict)
    assert parsed.data["200"] == "numbered"
    assert parsed.lines["/openapi"] == 1
    assert parsed.lines["/paths/~1a~0b~1c/post"] == 4
    assert parsed.lines["/list/1"] == 7
    assert parsed.lines["/list/1/k"] == 7
    assert parsed.lines["/200"] == 8


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


def test_yaml_values_json_cannot_say_become_text_or_lists() -> None:
    parsed = parse_text(
        "openapi: 3.1.0\nwhen: 2024-01-02\nset: !!set {b: null, a: null}\nbin: !!binary aGk=\n"
    )
    assert parsed.data == {"openapi": "3.1.0", "when": "2024-01-02", "set": ["a", "b"], "bin": "hi"}


def test_yaml_non_text_keys_become_text() -> None:
    parsed = parse_text("true: 1\nnull: 2\n1.5: 3\n2024-01-02: 4\n")
    assert parsed.data == {"true": 1, "null": 2, "1.5": 3, "2024-01-02": 4}


def test_yaml_shared_anchors_are_fine() -> None:
    text = "openapi: 3.1.0\na: &x {type: string}\nb: *x\n"
    parsed = parse_text(text)
    assert parsed.data == {"openapi": "3.1.0", "a": {"type": "string"}, "b": {"type": "string"}}


def test_yaml_anchor_referring_to_itself_is_refused() -> None:
    doc = openapi.load("openapi: 3.1.0\na: &x [*x]\n", "loop.yaml")
    (problem,) = doc.problems
    assert problem.level is Level.ERROR and "refers to itself" in problem.message


def test_yaml_python_tags_are_refused_not_run() -> None:
    doc = openapi.load(
        "openapi: 3.1.0\nx: !!python/object/apply:os.system ['echo hi']\n", "evil.yaml"
    )
    (problem,) = doc.problems
    assert problem.level is Level.ERROR and "not valid YAML" in problem.message


def test_invalid_json_reports_the_line() -> None:
    doc = openapi.load('{\n  "openapi": "3.1.0",\n  "paths": {,}\n}', "bad.json")
    (problem,) = doc.problems
    assert problem.level is Level.ERROR
    assert problem.location.line == 3
    assert "not valid JSON" in problem.message and "line 3" in problem.message
    assert doc.models == ()


def test_invalid_yaml_reports_the_line() -> None:
    doc = openapi.load("openapi: 3.1.0\npaths:\n  - a\n  b: [\n", "bad.yaml")
    (problem,) = doc.problems
    assert problem.level is Level.ERROR and problem.location.line is not None
    assert "not valid YAML" in problem.message


def test_json_with_comments_is_read_as_yaml_when_it_can_be() -> None:
    parsed = parse_text('{"openapi": "3.1.0", "paths": {},}')  # trailing comma: not JSON, fine YAML
    assert parsed.error is None
    assert parsed.data == {"openapi": "3.1.0", "paths": {}}


def test_byte_order_mark_is_skipped() -> None:
    doc = openapi.load('\ufeff{"openapi": "3.1.0", "paths": {}}', "bom.json")
    assert doc.problems == ()


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
    assert [m.model_id for m in doc.models] == ["/go"]
    assert doc.models[0].inputs is not None
    assert doc.models[0].inputs[0].type.kind is TypeKind.STRING
