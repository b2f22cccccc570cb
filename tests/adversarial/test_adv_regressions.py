"""Each vulnerability and crash the adversarial suite found, pinned by the smallest document.

Before the fixes: a Scenario model id ran code at import; a lone surrogate, a 5,000-letter
model id, a regular expression past pydantic's size limit, a lookaround pattern, a shape
that refers to itself, a punctuation-only display name, and a NUL in a manifest path each
crashed the generator; a field named ``l`` failed ``ruff check``; a gateway endpoint
template from a broken document leaked into a page's model.
"""

from __future__ import annotations

import ast
import json
import warnings
from pathlib import Path

import pytest
import yaml
from adversarial_documents import fal_openapi, gateway_page
from adversarial_support import (
    PAYLOAD,
    Canary,
    Document,
    generate_batch,
    import_everything,
    ruff_check,
)

from musicbind.generator.emit.literals import comment_text
from musicbind.generator.generate import generate_specs
from musicbind.generator.load.records import Level


def scenario_page(model_id: str) -> bytes:
    return (
        "## Exploit\n\nMakes music.\n\n"
        f"**Model ID:** `{model_id}`\n\n"
        "| Parameter | Type | Required | Default | Min | Max | Allowed Values | Description |\n"
        "| --- | --- | --- | --- | --- | --- | --- | --- |\n"
        "| `prompt` | string | Yes | - | - | - | - | What to play. |\n"
    ).encode()


def fal_document(name: str, **changes: object) -> Document:
    document = fal_openapi("", "", name, old_dialect=False)
    schemas = document["components"]["schemas"]
    for key, value in changes.items():
        schemas["GenInput"]["properties"][key] = value
    return Document(f"{name}.json", json.dumps(document).encode(), "openapi")


def test_a_model_id_cannot_end_a_docstring_and_run_code(tmp_path: Path, canary: Canary) -> None:
    # Whitespace-free, so a Scenario table takes it as a model id; it once closed the
    # docstrings the id is quoted in, and rebinding an allowed call name got past the gate.
    exploit = f'x""";run=exec;run("{PAYLOAD}");"""'
    batch = generate_batch(tmp_path, [Document("exploit.md", scenario_page(exploit), "table")])
    assert batch.outcome is not None and batch.outcome.models == 1
    assert import_everything(batch) == []
    assert not canary.fired(), canary.fired()
    for module in batch.out.rglob("*.py"):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
        assert not names & {"exec", "run"}, module  # the text stayed inside literals


def test_comment_text_cannot_close_a_docstring() -> None:
    for text in ('"""', 'a"""b', "\\", 'x\\"""'):
        source = f'"""{comment_text(text)}"""\n'
        assert compile(source, "doc.py", "exec") is not None
        assert eval(source.strip()) == text


def test_crashes_became_located_errors_or_working_code(tmp_path: Path) -> None:
    documents = [
        fal_document("surrogate", prompt={"type": "string", "description": "a\ud800b"}),
        fal_document("regex_size", prompt={"type": "string", "pattern": "(a{1000}){1000}"}),
        fal_document("regex_warning", prompt={"type": "string", "pattern": "[[:alpha:]]"}),
        fal_document("lookaround", prompt={"type": "string", "pattern": "(?=a)a"}),
        fal_document("selfref", voice={"$ref": "#/components/schemas/Voice"}),
        fal_document("ambiguous", l={"type": "string"}),
        Document("long.md", scenario_page("m" + "a" * 5000), "table", "a 5,000-letter model id"),
    ]
    selfref = json.loads(documents[4].data)
    selfref["components"]["schemas"]["Voice"]["properties"]["next"] = {
        "$ref": "#/components/schemas/Voice"
    }
    documents[4] = Document("selfref.json", json.dumps(selfref).encode(), "openapi")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the suite's setting: a FutureWarning was a crash
        batch = generate_batch(tmp_path, documents)
    assert batch.crashes == []
    assert batch.outcome is not None
    for name in ("surrogate.json", "regex_size.json"):
        errors = batch.errors_of(Document(name, b"", ""))
        assert errors and all(e.location.pointer for e in errors), (name, errors)
    assert batch.outcome.models == 5  # the other five generate
    assert import_everything(batch) == []
    assert ruff_check(batch.out) == ""
    assert max(len(p.name) for p in batch.out.rglob("*.py")) <= 70


def test_a_broken_gateway_template_reaches_no_model(tmp_path: Path) -> None:
    api = {
        "openapi": "3.1.0",
        "info": {"title": "g", "version": "1"},
        "servers": [{"url": "https://api.aigateway.sh"}],
        "paths": {
            "/v1/audio/music-t": {
                "post": {
                    "requestBody": {
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "model": {"type": "string"},
                                        "prompt": {"type": "string", "description": "a\ud800"},
                                    },
                                }
                            }
                        }
                    }
                }
            }
        },
    }
    documents = [
        Document("gw.yaml", yaml.safe_dump(api).encode(), "openapi"),
        Document(
            "page.md", gateway_page("", "", "t", post_path="/v1/audio/music-t").encode(), "page"
        ),
    ]
    batch = generate_batch(tmp_path, documents)
    assert batch.crashes == [] and batch.outcome is not None
    assert batch.outcome.models == 0
    assert batch.errors_of(documents[0])


@pytest.mark.parametrize(
    ("field", "value"),
    [("display_name", ".."), ("display_name", "🎵"), ("path", "a\x00b.json"), ("path", "a\ud800")],
)
def test_overlay_and_manifest_oddities_are_located_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, field: str, value: str
) -> None:
    monkeypatch.setenv("MUSICBIND_CACHE_DIR", str(tmp_path / "cache"))
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "d.json").write_text(json.dumps(fal_openapi("", "", "o", old_dialect=False)))
    provider = {
        "display_name": value if field == "display_name" else "Vector",
        "base_url": "https://queue.fal.run",
        "auth": "key",
        "statuses": {"COMPLETED": "SUCCEEDED"},
    }
    (specs / "overlay.yaml").write_text(yaml.safe_dump({"providers": {"fal": provider}}))
    item = {"path": value if field == "path" else "d.json", "provider": "fal", "kind": "openapi"}
    (specs / "manifest.yaml").write_text(yaml.safe_dump({"documents": [item]}))
    outcome = generate_specs(specs, tmp_path / "out" / "oddpkg")
    errors = [p for p in outcome.problems if p.level is Level.ERROR]
    if field == "path":
        assert errors and all(e.location.line for e in errors), errors
    else:
        assert outcome.models == 1 and not errors
