"""The fixture corpus: 30 realistic provider documents, each bound by `musicbind generate`.

Every document in ``tests/corpus/documents`` (see the README beside this file) must give
at least one binding and no error; the package it generates must import, its input models
must accept the document's own examples (whole payloads and single field examples) and
refuse, for every model, one value outside a range, length or set of allowed values the
document states (the field is picked from the registry, not from a hand-kept table), and
hold the two-field rules its sentences state. The loaders must read each document as the
kind it is, the generic providers' names must come from their documents, and one real
`musicbind generate` over the whole folder must succeed.
"""

from __future__ import annotations

import importlib
import itertools
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel, ValidationError

from musicbind.generator.generate import generate_paths
from musicbind.generator.ingest import Built, build_from_paths, default_overlay_path
from musicbind.generator.load.dispatch import load_file
from musicbind.generator.load.records import DocumentKind, Level, TypeKind
from musicbind.generator.registry.model import Field, Model

CORPUS = Path(__file__).resolve().parent / "documents"
DOCUMENTS = sorted(p for p in CORPUS.iterdir() if p.is_file())
# The gateway's OpenAPI document states the request of its music endpoint, not a model:
# the gateway's model pages name the models, and the registry merges the two. It binds
# together with the pages, as a user generates them.
GATEWAY_OPENAPI = CORPUS / "gateway-openapi.json"
GATEWAY_PAGES = sorted(CORPUS.glob("gateway-page-*.md"))
_packages = itertools.count()


def _group(document: Path) -> list[Path]:
    """The documents generated together with ``document``."""
    return [document, *GATEWAY_PAGES] if document == GATEWAY_OPENAPI else [document]


def _build(paths: list[Path]) -> Built:
    return build_from_paths(paths, default_overlay_path(), CORPUS)


def _valid(field: Field) -> Any:
    """A value ``field`` must accept: its own example, default or first allowed value, else
    the smallest value its type and bounds allow."""
    if field.examples and field.examples[0] is not None:
        return field.examples[0]
    kind = field.type.kind
    if field.allowed:
        return [field.allowed[0]] if kind is TypeKind.ARRAY else field.allowed[0]
    if field.has_default and field.default is not None:
        return field.default
    if kind in (TypeKind.INTEGER, TypeKind.NUMBER):
        low = field.minimum if field.minimum is not None else field.exclusive_minimum
        value = 1 if low is None else low + (1 if field.minimum is None else 0)
        return int(value) if kind is TypeKind.INTEGER else float(value)
    if kind is TypeKind.BOOLEAN:
        return True
    if kind is TypeKind.ARRAY:
        return []
    if kind is TypeKind.OBJECT:
        return {}
    return "x" * max(field.min_length or 0, 12)


def _payload(model: Model) -> dict[str, Any]:
    """The document's first whole example, else every required field at a valid value (with
    the fields a ``required when`` rule asks for, whatever the condition's value)."""
    for example in model.input_examples:
        if isinstance(example, dict):
            return dict(example)
    wanted = {r.fields[0] for r in model.rules if r.kind == "required_when"}
    return {f.wire_name: _valid(f) for f in model.inputs if f.required or f.python_name in wanted}


def _outside(field: Field, valid: dict[str, Any]) -> Any | None:
    """A value outside what the document states for ``field`` (``valid``: a payload the
    model accepts); None when the document states no bound."""
    kind = field.type.kind
    if field.allowed:
        strange: Any = "not-an-allowed-value" if isinstance(field.allowed[0], str) else 987654321
        return [strange] if kind is TypeKind.ARRAY else strange
    if kind in (TypeKind.INTEGER, TypeKind.NUMBER):
        if field.maximum is not None:
            return field.maximum + 1
        if field.exclusive_maximum is not None:
            return field.exclusive_maximum
        if field.minimum is not None:
            return field.minimum - 1
        if field.exclusive_minimum is not None:
            return field.exclusive_minimum
    if kind is TypeKind.STRING and field.max_length is not None:
        return "y" * (field.max_length + 1)
    if kind is TypeKind.ARRAY and field.max_items is not None:
        given = valid.get(field.wire_name) or _valid(field) or ["z"]
        return [given[0]] * (field.max_items + 1)
    return None


def _refused(input_model: type[BaseModel], data: dict[str, Any], wire: str) -> None:
    with pytest.raises(ValidationError) as caught:
        input_model.model_validate(data)
    where = {str(e["loc"][0]) for e in caught.value.errors() if e["loc"]}
    assert wire in where, (wire, caught.value.errors())


def _body_examples(path: Path) -> dict[str, list[Any]]:
    """The example request bodies a generic document states, by operationId, read from the
    document itself: OpenAPI 3 media ``example``/``examples``, Swagger 2.0 body schemas'
    ``example``."""
    root = _root(path)
    found: dict[str, list[Any]] = {}
    for item in root.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict) or "operationId" not in operation:
                continue
            examples = []
            for media in operation.get("requestBody", {}).get("content", {}).values():
                examples += [media["example"]] if "example" in media else []
                examples += [e["value"] for e in media.get("examples", {}).values()]
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                if parameter.get("in") == "body" and "$ref" in schema:
                    schema = root["definitions"][schema["$ref"].rsplit("/", 1)[1]]
                examples += [schema["example"]] if "example" in schema else []
            if examples:
                found[operation["operationId"]] = examples
    return found


def _import(paths: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    name = f"corpus_{next(_packages)}"
    outcome = generate_paths(paths, tmp_path / name, default_overlay_path(), None)
    assert outcome.written and not outcome.errors, outcome.errors
    monkeypatch.syspath_prepend(str(tmp_path))
    return importlib.import_module(name)


@pytest.mark.parametrize("document", DOCUMENTS, ids=[p.name for p in DOCUMENTS])
def test_document_binds_and_its_bindings_enforce_it(
    document: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = _group(document)
    built = _build(paths)
    errors = [p for p in built.registry.problems if p.level is Level.ERROR]
    assert not errors, [f"{p.location}: {p.message}" for p in errors]
    models = built.registry.models
    assert models, f"{document.name} gives no binding"
    package = _import(paths, tmp_path, monkeypatch)
    assert package.list_bindings() == sorted(m.ref for m in models)
    stated = _body_examples(document) if _dialect(document).startswith("openapi ") else {}
    for model in models:
        input_model = package.get_binding(model.ref).input_model
        for example in model.input_examples:
            input_model.model_validate(example)
        valid = _payload(model)
        input_model.model_validate(valid)
        # Path parameters (a voice id) are inputs the body example leaves out.
        required = {f.wire_name for f in model.inputs if f.required}
        for example in stated.pop(model.model_id, []):
            base = {k: v for k, v in valid.items() if k in required}
            input_model.model_validate({**base, **example})
        for field in model.inputs:
            for example in field.examples[:1]:
                if example is not None:
                    input_model.model_validate({**valid, field.wire_name: example})
        bounded = [(f, bad) for f in model.inputs if (bad := _outside(f, valid)) is not None]
        assert bounded, f"{model.ref}: no field with a stated range, length or allowed values"
        field, bad = bounded[0]
        _refused(input_model, {**valid, field.wire_name: bad}, field.wire_name)
        _check_pair_rules(model, input_model, valid)
    assert not stated, f"examples of operations with no binding: {sorted(stated)}"


def _check_pair_rules(model: Model, input_model: type[BaseModel], valid: dict[str, Any]) -> None:
    """Rules a description states between two fields ("Cannot be used with voice", "Used
    only in conjunction with lyrics") hold in the generated model."""
    by_python = {f.python_name: f for f in model.inputs}
    for rule in model.rules:
        if rule.kind not in ("excludes", "requires"):
            continue
        first, second = (by_python[name] for name in rule.fields[:2])
        # A switch is "used" when on: "cannot be used with instrumental" allows it off.
        used = {
            f.wire_name: True if f.type.kind is TypeKind.BOOLEAN else _valid(f)
            for f in (first, second)
        }
        both = {**valid, **used}
        alone = {k: v for k, v in both.items() if k != second.wire_name}
        if rule.kind == "excludes":
            with pytest.raises(ValidationError, match=rule.name):
                input_model.model_validate(both)
        elif not second.required:
            input_model.model_validate(both)
            with pytest.raises(ValidationError, match=rule.name):
                input_model.model_validate(alone)


def test_gateway_openapi_adds_what_only_it_states(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pages' examples list the body's keys; the OpenAPI document says prompt is required
    and adds lyrics_optimizer, which no page shows."""
    alone = {m.ref: m for m in _build(GATEWAY_PAGES).registry.models}
    merged = _build([GATEWAY_OPENAPI, *GATEWAY_PAGES]).registry.models
    assert sorted(m.ref for m in merged) == sorted(alone)
    package = _import([GATEWAY_OPENAPI, *GATEWAY_PAGES], tmp_path, monkeypatch)
    for model in merged:
        by_wire = {f.wire_name: f for f in model.inputs}
        assert "lyrics_optimizer" in by_wire
        assert "lyrics_optimizer" not in {f.wire_name for f in alone[model.ref].inputs}
        assert by_wire["prompt"].required
        _refused(package.get_binding(model.ref).input_model, {}, "prompt")


def _root(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    root = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    assert isinstance(root, dict)
    return root


def _dialect(path: Path) -> str:
    """What a document is, from its loader (the kind it reads) and its own version key."""
    document = load_file(path, path.name)
    if document.kind is not DocumentKind.OPENAPI:
        return document.kind.value
    root = _root(path)
    if document.provider in ("fal", "aigateway"):
        return f"{document.provider} openapi"
    version = str(root.get("openapi") or root.get("swagger"))[:3]
    return f"openapi {version} {path.suffix.lstrip('.')}"


def _squeezed(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def test_each_generic_provider_is_named_from_its_document() -> None:
    """Eleven made-up providers give eleven providers, each named after its servers, host
    or title, so that bindings of two providers never merge."""
    names: dict[str, str] = {}
    for path in DOCUMENTS:
        if not _dialect(path).startswith("openapi "):
            continue
        document = load_file(path, path.name)
        root = _root(path)
        hosts = [s.get("url", "") for s in root.get("servers", [])] + [root.get("host", "")]
        stated = _squeezed(" ".join([*hosts, root["info"]["title"]]))
        assert document.provider and _squeezed(document.provider) in stated, document.provider
        names[path.name] = document.provider
    assert len(names) >= 9 and len(set(names.values())) == len(names), names


def test_generic_documents_show_every_body_answer_and_auth() -> None:
    """As the registry reads them, the generic documents take JSON and multipart bodies,
    answer with JSON, audio bytes and jobs, and use each kind of credential."""
    generic = [p for p in DOCUMENTS if _dialect(p).startswith("openapi ")]
    registry = _build(generic).registry
    operations = [m.operation for m in registry.models if m.operation is not None]
    assert len(operations) == len(registry.models)
    assert {o.body for o in operations} >= {"json", "multipart"}
    assert {o.answer for o in operations} >= {"json", "binary", "job"}
    assert {o.media_type for o in operations if o.answer == "binary"} >= {
        "audio/mpeg",
        "audio/wav",
        "application/octet-stream",
    }
    jobs = [o.job for o in operations if o.job is not None]
    assert {j.id_field for j in jobs} >= {"id", "job_id", "task_id"}
    assert {p.auth for p in registry.providers} >= {"bearer", "header", "query", "basic"}


def test_cli_binds_the_whole_corpus(tmp_path: Path) -> None:
    out = tmp_path / "w" / "corpus"
    command = [sys.executable, "-P", "-m", "musicbind", "generate", *map(str, DOCUMENTS)]
    done = subprocess.run(
        [*command, "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    expected = sorted(m.ref for m in _build(DOCUMENTS).registry.models)
    assert len(expected) >= len(DOCUMENTS)
    code = "import corpus; print('\\n'.join(corpus.list_bindings()))"
    shown = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path / "w",
        capture_output=True,
        text=True,
        check=True,
    )
    assert shown.stdout.split() == expected
