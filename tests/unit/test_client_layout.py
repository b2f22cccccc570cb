"""Generated clients a reader can navigate and that stay bounded as the catalogue grows.

A model's methods live in ``<provider>/_methods/<model module>.py`` and its reference page
in ``reference/<provider>/<model module>.md``; one changed document rewrites its own files
and the short lists that name every model, not its neighbours'; the per-ref overloads of
``run``/``submit`` stop at a documented bound instead of growing ``client.py``.
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from musicbind.generator.emit import client as client_emit
from musicbind.generator.emit.safety import UnsafeCodeError, check_module
from musicbind.generator.generate import generate_specs
from musicbind.generator.settings import BuildSettings

OVERLAY = """\
providers:
  fal:
    display_name: fal
    base_url: https://queue.fal.run
    auth: key
    statuses: {IN_QUEUE: QUEUED, IN_PROGRESS: RUNNING, COMPLETED: SUCCEEDED}
"""
COUNT = 3


def _document(index: int, note: str = "") -> dict[str, object]:
    """A fal queue document for ``layout/model-<index>`` with a typed output."""
    name = f"LayoutModel{index}"
    endpoint = f"layout/model-{index}"
    schemas = {
        f"{name}Input": {
            "type": "object",
            "properties": {"prompt": {"type": "string", "description": f"Prompt.{note}"}},
            "required": ["prompt"],
        },
        f"{name}Output": {
            "type": "object",
            "properties": {"url": {"type": "string"}},
            "required": ["url"],
        },
    }
    result = {
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}Output"}}}
    }
    body = {
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}Input"}}}
    }
    return {
        "openapi": "3.0.4",
        "info": {
            "title": f"Queue OpenAPI for {endpoint}",
            "version": "1",
            "x-fal-metadata": {"endpointId": endpoint, "category": "text-to-audio"},
        },
        "servers": [{"url": "https://queue.fal.run"}],
        "components": {"schemas": schemas},
        "paths": {
            f"/{endpoint}": {
                "post": {"requestBody": body, "responses": {"200": {"description": "queued"}}}
            },
            f"/{endpoint}/requests/{{request_id}}": {
                "get": {"responses": {"200": {"description": "result", **result}}}
            },
        },
    }


def _write_specs(specs: Path, count: int) -> None:
    (specs / "fal").mkdir(parents=True, exist_ok=True)
    lines = ["documents:"]
    for index in range(count):
        path = f"fal/model-{index}.json"
        (specs / path).write_text(json.dumps(_document(index)), encoding="utf-8")
        lines.append(
            f"  - {{path: {path}, provider: fal, kind: openapi, origin: t, retrieved: 2026-11-22}}"
        )
    (specs / "manifest.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (specs / "overlay.yaml").write_text(OVERLAY, encoding="utf-8")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MUSICBIND_CACHE_DIR", str(tmp_path / "cache"))
    _write_specs(tmp_path / "specs", COUNT)
    return tmp_path


def _generate(project: Path, package: str) -> Path:
    out = project / package
    outcome = generate_specs(project / "specs", out, BuildSettings(package=package))
    assert not outcome.errors
    return out


@pytest.fixture
def importable(project: Path) -> Iterator[None]:
    sys.path.insert(0, str(project))
    yield
    sys.path.remove(str(project))
    for name in [m for m in sys.modules if m.startswith("layoutpkg")]:
        del sys.modules[name]


def test_a_models_methods_live_in_a_file_named_after_it(project: Path, importable: None) -> None:
    out = _generate(project, "layoutpkg")
    client = importlib.import_module("layoutpkg.fal.client")
    for index in range(COUNT):
        module = f"layout_model_{index}"
        text = (out / "fal" / "_methods" / f"{module}.py").read_text(encoding="utf-8")
        assert text.count(f"def {module}(") == 2  # sync and async
        assert text.count(f"def submit_{module}(") == 2
        assert "layout_model_" not in text.replace(module, "")  # no other model's method
        for owner in (client.FalClient, client.AsyncFalClient):
            method = getattr(owner, module)
            assert method.__module__ == f"layoutpkg.fal._methods.{module}"
            assert getattr(owner, f"submit_{module}").__module__ == method.__module__
        page = out / "reference" / "fal" / f"{module}.md"
        assert f"client.{module}(" in page.read_text(encoding="utf-8")
        assert f"](fal/{module}.md)" in (out / "reference" / "fal.md").read_text(encoding="utf-8")


def test_one_changed_document_rewrites_that_models_files_only(project: Path) -> None:
    _generate(project, "layoutpkg")
    changed = project / "specs" / "fal" / "model-1.json"
    changed.write_text(json.dumps(_document(1, note=" Updated.")), encoding="utf-8")
    outcome = generate_specs(
        project / "specs", project / "layoutpkg", BuildSettings(package="layoutpkg")
    )
    assert outcome.report is not None
    written = set(outcome.report.written)
    assert {
        "fal/layout_model_1.py",
        "fal/_methods/layout_model_1.py",
        "reference/fal/layout_model_1.md",
    } <= written
    for other in ("layout_model_0", "layout_model_2"):
        assert (
            not {f"fal/{other}.py", f"fal/_methods/{other}.py", f"reference/fal/{other}.md"}
            & written
        )


def test_per_ref_overloads_stop_at_the_bound(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    typed = _generate(project, "typed") / "fal" / "client.py"
    text = typed.read_text(encoding="utf-8")
    for index in range(COUNT):
        assert f'"fal:layout/model-{index}"' in text
    monkeypatch.setattr(client_emit, "REF_OVERLOAD_LIMIT", COUNT - 1)
    bounded = (_generate(project, "bounded") / "fal" / "client.py").read_text(encoding="utf-8")
    assert "Literal[" not in bounded
    assert "@overload" not in bounded
    assert f"more than {COUNT - 1} refs with a typed output" in bounded


def test_groups_split_a_large_provider_and_keep_each_model_once() -> None:
    class _Named:
        def __init__(self, index: int) -> None:
            self.module_name = f"model_{index}"

    models = [_Named(i) for i in range(client_emit.GROUP_SIZE * 3)]
    groups = client_emit.client_groups(models)  # type: ignore[arg-type]
    assert len(groups) == 4  # the group count doubles: 1, 2, 4, ...
    members = [m.module_name for group in groups.values() for m in group]
    assert sorted(members) == sorted(m.module_name for m in models)
    assert max(len(group) for group in groups.values()) < client_emit.GROUP_SIZE * 1.5


def test_gate_reports_the_first_problem_even_when_it_needs_the_whole_module() -> None:
    # ``exec`` is allowed only where the module binds it, known after the walk; the import
    # below it is refused at once. The first in walk order is reported.
    source = "y = exec\n\n\nclass A:\n    def f(self) -> None:\n        import os\n"
    with pytest.raises(UnsafeCodeError, match=r"line 1: name 'exec' is not allowed"):
        check_module(source, "m.py")
    check_module("y = exec\n\n\ndef f(exec: int) -> None:\n    pass\n", "m.py")
    with pytest.raises(UnsafeCodeError, match=r"call of 'Other.model_rebuild'"):
        check_module("class Shape:\n    pass\n\n\nOther.model_rebuild()\n", "m.py")
    check_module("Shape.model_rebuild()\n\n\nclass Shape:\n    pass\n", "m.py")
