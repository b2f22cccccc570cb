"""`musicbind generate PATH --out DIR` on documents that are not in specs/.

Each document becomes an importable package whose bindings enforce that document's
required fields, ranges and allowed values, and accept the document's own examples.
The documents: the loader fixtures (other models, other categories, both fal dialects,
both Scenario layouts, YAML) plus fal queue documents made up by hypothesis.
"""

from __future__ import annotations

import importlib
import itertools
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from musicbind.generator.emit.pydantic_models import accepts_null
from musicbind.generator.generate import generate_paths
from musicbind.generator.ingest import build_from_paths, default_overlay_path
from musicbind.generator.load.records import TypeKind
from musicbind.generator.registry.model import Field, Model

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "unit" / "fixtures"
_counter = itertools.count()


# Documents that show one construct each (issue 12): every one must bind.
CONSTRUCTS = sorted((FIXTURES / "constructs").glob("*.*"))


def _documents() -> list[Path]:
    found = (
        sorted((FIXTURES / "openapi").glob("fal-*"))
        + sorted((FIXTURES / "markdown").glob("*.md"))
        + CONSTRUCTS
    )
    usable = []
    for path in found:
        built = build_from_paths([path], default_overlay_path(), path.parent)
        if built.registry.models and not any(
            p.level.value == "error" for p in built.registry.problems
        ):
            usable.append(path)
    return usable


def _valid(field: Field) -> Any:
    """A value the field must accept."""
    if field.allowed:
        return field.allowed[0]
    if field.has_default and field.default is not None:
        return field.default
    kind = field.type.kind
    if kind in (TypeKind.INTEGER, TypeKind.NUMBER):
        low = field.minimum if field.minimum is not None else field.exclusive_minimum
        value = low if low is not None else 1
        if field.exclusive_minimum is not None and field.minimum is None:
            value = value + 1
        return int(value) if kind is TypeKind.INTEGER else float(value)
    if kind is TypeKind.BOOLEAN:
        return True
    if kind is TypeKind.ARRAY:
        item = Field("item", "item", field.type.items, True) if field.type.items else None
        return [_valid(item)] * (field.min_items or 0) if item else []
    if kind is TypeKind.OBJECT:
        return {}
    if kind is TypeKind.FILE or field.wire_name.endswith("_url"):
        return "https://example.com/f"
    if kind is TypeKind.STRING:
        return "x" * max(field.min_length or 1, 1)
    return "x"


def _payload(model: Model) -> dict[str, Any]:
    return {f.wire_name: _valid(f) for f in model.inputs if f.required}


def _rejected(input_model: type[BaseModel], data: dict[str, Any], wire: str) -> None:
    with pytest.raises(ValidationError) as caught:
        input_model.model_validate(data)
    locations = {str(e["loc"][0]) for e in caught.value.errors() if e["loc"]}
    assert locations & {wire}, (wire, caught.value.errors())


def _check_package(path_list: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    name = f"adhoc_{next(_counter)}"
    out = tmp_path / name
    outcome = generate_paths(path_list, out, default_overlay_path(), None)
    assert not outcome.errors, outcome.errors
    registry = build_from_paths(path_list, default_overlay_path(), path_list[0].parent).registry
    monkeypatch.syspath_prepend(str(tmp_path))
    package = importlib.import_module(name)
    assert package.list_bindings() == sorted(m.ref for m in registry.models)
    checks = 0
    for model in registry.models:
        input_model = package.get_binding(model.ref).input_model
        valid = _payload(model)
        input_model.model_validate(valid)
        for example in model.input_examples:
            input_model.model_validate(example)
        for field in model.inputs:
            checks += _check_field(input_model, valid, field)
    return checks


def _check_field(input_model: type[BaseModel], valid: dict[str, Any], field: Field) -> int:
    wire = field.wire_name
    checks = 0
    if field.required:
        _rejected(input_model, {k: v for k, v in valid.items() if k != wire}, wire)
        checks += 1
    if not field.required:
        # Null only where the document allows it; then it is sent as null.
        if accepts_null(field):
            sent = input_model.model_validate({**valid, wire: None}).to_wire()  # type: ignore[attr-defined]
            assert sent[wire] is None, (wire, sent)
        else:
            _rejected(input_model, {**valid, wire: None}, wire)
        checks += 1
    numeric = field.type.kind in (TypeKind.INTEGER, TypeKind.NUMBER)
    if numeric and not field.allowed:
        for bound, outside in ((field.maximum, 1), (field.minimum, -1)):
            if bound is not None:
                _rejected(input_model, {**valid, wire: bound + outside}, wire)
                checks += 1
        if field.exclusive_maximum is not None:
            _rejected(input_model, {**valid, wire: field.exclusive_maximum}, wire)
            checks += 1
    if field.allowed:
        strange = "not-an-allowed-value" if field.type.kind is TypeKind.STRING else 987654321
        _rejected(input_model, {**valid, wire: strange}, wire)
        checks += 1
    if field.type.kind is TypeKind.STRING and not field.allowed:
        _rejected(input_model, {**valid, wire: 5}, wire)
        checks += 1
    if field.max_length is not None and field.type.kind is TypeKind.STRING:
        _rejected(input_model, {**valid, wire: "y" * (field.max_length + 1)}, wire)
        checks += 1
    return checks


DOCUMENTS = _documents()


def test_cli_binds_every_construct_document(tmp_path: Path) -> None:
    out = tmp_path / "w" / "constructs"
    done = subprocess.run(
        [
            sys.executable,
            "-P",
            "-m",
            "musicbind",
            "generate",
            *map(str, CONSTRUCTS),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "error" not in done.stderr, done.stderr
    expected = sorted(
        m.ref
        for p in CONSTRUCTS
        for m in build_from_paths([p], default_overlay_path(), p.parent).registry.models
    )
    assert len(expected) >= 9
    code = "import constructs; print('\\n'.join(constructs.list_bindings()))"
    shown = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path / "w", capture_output=True, text=True, check=True
    )
    assert shown.stdout.split() == expected


@pytest.mark.parametrize("document", DOCUMENTS, ids=[p.name for p in DOCUMENTS])
def test_document_bindings_enforce_the_document(
    document: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _check_package([document], tmp_path, monkeypatch)


def _fal_document(endpoint: str, fields: list[dict[str, Any]], old_dialect: bool) -> dict[str, Any]:
    """A fal queue OpenAPI document in the old (allOf wrappers) or new (anyOf null) dialect."""
    properties: dict[str, Any] = {}
    required = []
    for spec in fields:
        schema = dict(spec["schema"])
        if not spec["required"] and not old_dialect and "default" not in schema:
            schema = {"anyOf": [schema, {"type": "null"}]}
        properties[spec["name"]] = schema
        if spec["required"]:
            required.append(spec["name"])
    audio_ref: dict[str, Any] = {"$ref": "#/components/schemas/File"}
    return {
        "openapi": "3.0.4",
        "info": {
            "title": endpoint,
            "version": "1",
            "x-fal-metadata": {"endpointId": endpoint, "category": "text-to-audio"},
        },
        "components": {
            "schemas": {
                "GenInput": {
                    "type": "object",
                    "properties": properties,
                    "required": required,
                    "x-fal-order-properties": list(properties),
                },
                "GenOutput": {
                    "type": "object",
                    "properties": {"audio": {"allOf": [audio_ref]} if old_dialect else audio_ref},
                    "required": ["audio"],
                },
                "File": {
                    "type": "object",
                    "properties": {"url": {"type": "string"}},
                    "required": ["url"],
                },
            }
        },
        "paths": {
            f"/{endpoint}": {
                "post": {
                    "requestBody": {
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/GenInput"}
                            }
                        }
                    },
                    "responses": {"200": {"description": "ok"}},
                }
            },
            f"/{endpoint}/requests/{{request_id}}": {
                "get": {
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/GenOutput"}
                                }
                            },
                        }
                    }
                }
            },
        },
    }


def _field_specs() -> st.SearchStrategy[dict[str, Any]]:
    integer = st.tuples(st.integers(-50, 50), st.integers(0, 100)).map(
        lambda t: {"type": "integer", "minimum": t[0], "maximum": t[0] + t[1]}
    )
    number = st.tuples(st.floats(-100, 100, allow_nan=False), st.floats(0.5, 100)).map(
        lambda t: {"type": "number", "minimum": t[0], "maximum": t[0] + t[1]}
    )
    choice = st.lists(
        st.sampled_from(["mp3", "wav", "a b", "x'y", 'q"z', "class"]),
        min_size=1,
        max_size=4,
        unique=True,
    ).map(lambda values: {"type": "string", "enum": values})
    int_choice = st.lists(st.integers(1, 9), min_size=1, max_size=3, unique=True).map(
        lambda v: {"type": "integer", "enum": v}
    )
    text = st.integers(1, 20).map(lambda n: {"type": "string", "maxLength": n})
    name = st.from_regex(r"[a-z][a-zA-Z0-9_\-]{0,12}", fullmatch=True)
    return st.fixed_dictionaries(
        {
            "name": name,
            "schema": st.one_of(integer, number, choice, int_choice, text),
            "required": st.booleans(),
        }
    )


# Each example generates and imports a package (~0.2 s); shrinking is left out to bound CI time.
@settings(
    max_examples=12,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    fields=st.lists(_field_specs(), min_size=1, max_size=6, unique_by=lambda f: f["name"]),
    old_dialect=st.booleans(),
    endpoint=st.sampled_from(["acme/gen", "fal-ai/x/v2", "beta-audio/score/v1.0"]),
)
def test_made_up_fal_documents(
    fields: list[dict[str, Any]],
    old_dialect: bool,
    endpoint: str,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = tmp_path_factory.mktemp("doc")
    document = folder / "queue.json"
    document.write_text(json.dumps(_fal_document(endpoint, fields, old_dialect)), encoding="utf-8")
    _check_package([document], folder, monkeypatch)


def test_cli_writes_an_importable_package(tmp_path: Path) -> None:
    documents = [str(p) for p in DOCUMENTS[:3]]
    out = tmp_path / "w" / "mybind"
    done = subprocess.run(
        [sys.executable, "-P", "-m", "musicbind", "generate", *documents, "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    code = (
        "import mybind; refs = mybind.list_bindings(); assert refs; "
        "[mybind.get_binding(r).input_model for r in refs]; print(len(refs))"
    )
    shown = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path / "w", capture_output=True, text=True, check=True
    )
    assert int(shown.stdout) >= 1
