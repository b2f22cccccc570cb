"""Hostile overlay and manifest: every known vector where they reach names, files and literals.

Provider names become package folders, display names reach docstrings and class names,
status words and prices become literals, manifest paths name files to read. Each vector in
each field either generates code that imports (nothing written outside the output folder,
no canary set off) or is refused with an error naming the file and line of that entry.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from adversarial_documents import VECTORS, fal_openapi, vector_text
from adversarial_support import (
    Batch,
    Canary,
    add,
    files_under,
    import_everything,
    ruff_check,
)

from musicbind.generator.generate import generate_specs
from musicbind.generator.load.records import Level, SpecProblem
from musicbind.generator.snapshot.snapshot_file import read_snapshot

OVERLAY_FIELDS = (
    "provider.name",
    "provider.display_name",
    "provider.base_url",
    "provider.status_word",
    "provider.auth",
    "model.ref",
    "rule.media",
    "pricing.amount",
    "pricing.currency",
    "pricing.unit",
)
MANIFEST_FIELDS = ("manifest.path", "manifest.provider", "manifest.kind", "manifest.origin")
FIELDS = OVERLAY_FIELDS + MANIFEST_FIELDS


@dataclass
class Entry:
    """One vector in one field: its document, the ref it would generate and its lines."""

    spec_field: str
    vector: str
    document: str
    ref: str
    blocks: dict[str, list[str]]  # "providers" | "models" | "documents" -> YAML lines
    listed: str  # the path the manifest lists
    lines: dict[str, range] = field(default_factory=dict)  # file name -> 1-based lines


def _yaml_lines(data: Any) -> list[str]:
    text = yaml.safe_dump(data, allow_unicode=False, sort_keys=False, width=10_000)
    return ["  " + line for line in text.splitlines()]


def _entry(field_name: str, value: str, index: int) -> Entry:
    """The overlay provider and model blocks and the manifest item for one vector."""

    def pick(name: str, ordinary: str) -> str:
        return value if field_name == name else ordinary

    provider = pick("provider.name", f"pv{index}")
    statuses = {"IN_QUEUE": "QUEUED", "COMPLETED": "SUCCEEDED"}
    if field_name == "provider.status_word":
        statuses[value] = "RUNNING"
    block = {
        "display_name": pick("provider.display_name", f"Vector {index}"),
        "base_url": pick("provider.base_url", "https://queue.fal.run"),
        "auth": pick("provider.auth", "key"),
        "statuses": statuses,
    }
    model = {
        "rules": [
            {
                "kind": "segment_within_media",
                "media": pick("rule.media", "video_url"),
                "start": "start_offset",
                "length": "duration",
            }
        ],
        "pricing": {
            "currency": pick("pricing.currency", "USD"),
            "amount": pick("pricing.amount", "0.009"),
            "unit": pick("pricing.unit", "second"),
            "seconds_from": "duration",
        },
    }
    model_id = f"acme/vec-n{index}"
    ref = f"{provider}:{model_id}"
    overlay_ref = f"{provider}:{value}" if field_name == "model.ref" else ref
    document = f"d{index}.json"
    item = {
        "path": pick("manifest.path", document),
        "provider": pick("manifest.provider", provider),
        "kind": pick("manifest.kind", "openapi"),
        "origin": pick("manifest.origin", "https://example.invalid"),
        "retrieved": "2026-11-20",
    }
    blocks = {
        "providers": _yaml_lines({provider: block}),
        "models": _yaml_lines({overlay_ref: model}),
        "documents": _yaml_lines([item]),
    }
    generated_ref = f"{item['provider']}:{model_id}"  # the manifest names the provider
    return Entry(field_name, "", document, generated_ref, blocks, item["path"])


def _document(index: int) -> dict[str, Any]:
    """A small fal queue document with the fields the overlay's rule and price name."""
    document = fal_openapi("", "", f"n{index}", old_dialect=False)
    schemas = document["components"]["schemas"]
    schemas["GenInput"] = {
        "type": "object",
        "properties": {
            "video_url": {"type": "string"},
            "start_offset": {"type": "number", "minimum": 0},
            "duration": {"type": "number", "minimum": 1},
        },
        "required": ["video_url"],
    }
    schemas["GenOutput"] = {"type": "object", "properties": {"url": {"type": "string"}}}
    del schemas["Voice"]
    return document


def _entries(origin: str) -> list[Entry]:
    """One entry per vector and field."""
    entries = []
    for index, (field_name, vector) in enumerate((f, v) for f in FIELDS for v in VECTORS):
        entry = _entry(field_name, vector_text(vector, origin), index)
        entry.vector = vector.name
        entries.append(entry)
    return entries


def _specs(folder: Path, entries: list[Entry]) -> None:
    """Write a specs folder holding ``entries``, noting the lines each one takes."""
    folder.mkdir(parents=True)
    for entry in entries:
        index = int(entry.document[1:].split(".")[0])
        (folder / entry.document).write_text(json.dumps(_document(index)), encoding="utf-8")
        entry.lines = {}
    overlay = ["providers:"]
    for section in ("providers", "models"):
        if section == "models":
            overlay.append("models:")
        for entry in entries:
            start = len(overlay) + 1
            overlay += entry.blocks[section]
            entry.lines[f"overlay.yaml {section}"] = range(start, len(overlay) + 1)
    manifest = ["documents:"]
    for entry in entries:
        start = len(manifest) + 1
        manifest += entry.blocks["documents"]
        entry.lines["manifest.yaml"] = range(start, len(manifest) + 1)
    (folder / "overlay.yaml").write_text("\n".join(overlay) + "\n", encoding="utf-8")
    (folder / "manifest.yaml").write_text("\n".join(manifest) + "\n", encoding="utf-8")


def _concerns(problem: SpecProblem, entry: Entry, specs: str) -> bool:
    """Whether an error is located in this entry's document, overlay blocks or manifest item
    (a file the manifest lists but that cannot be read is named by its path, having no lines)."""
    listed = problem.location.path in (os.path.normpath(f"{specs}/{entry.listed}"), specs)
    if listed and entry.spec_field == "manifest.path":
        return True
    name = problem.location.path.rsplit("/", 1)[-1]
    if name == entry.document:
        return True
    line = problem.location.line or 0
    return any(key.split(" ")[0] == name and line in lines for key, lines in entry.lines.items())


@pytest.mark.slow
def test_every_vector_in_every_overlay_and_manifest_field(
    tmp_path: Path, canary: Canary, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MUSICBIND_CACHE_DIR", str(tmp_path / "cache"))
    entries = _entries("http://127.0.0.1:9")
    before = files_under(tmp_path)
    generated = refused = 0
    failures: list[str] = []
    pending = entries
    judged = False
    for attempt in range(40):
        # A vector that makes a whole YAML file unreadable (libyaml refuses a lone surrogate
        # escape) is refused at its line; the others are run again without it.
        specs = tmp_path / f"specs{attempt}"
        _specs(specs, pending)
        out = tmp_path / "out" / "namespkg"
        outcome = generate_specs(specs, out)
        registry, problems = read_snapshot(out)
        assert registry is not None, problems
        refs = {model.ref for model in registry.models}
        errors = [p for p in outcome.problems if p.level is Level.ERROR]
        listed = {os.path.normpath(f"{specs.name}/{e.listed}") for e in pending} | {specs.name}
        unlocated = [
            p
            for p in errors
            if p.location.line is None and not p.location.pointer and p.location.path not in listed
        ]
        assert not unlocated, [str(p) for p in unlocated[:5]]
        unreadable = [p for p in errors if p.message.startswith("invalid YAML")]
        blocking = [e for e in pending if any(_concerns(p, e, specs.name) for p in unreadable)]
        refused += len(blocking)
        if blocking:
            pending = [e for e in pending if e not in blocking]
            continue
        for entry in pending:
            if entry.ref in refs:
                generated += 1
            elif any(_concerns(p, entry, specs.name) for p in errors):
                refused += 1
            else:
                failures.append(
                    f"{entry.vector!r} in {entry.spec_field}: neither generated nor refused"
                )
        judged = True
        break
    assert judged, "YAML files still unreadable after removing every vector that broke them"
    assert not failures, "\n".join(failures[:30])
    assert import_everything(Batch("namespkg", out, outcome)) == []
    assert ruff_check(out) == ""
    assert not canary.fired(), canary.fired()
    outside = [
        p
        for p in files_under(tmp_path) - before
        if p.relative_to(tmp_path).parts[0] not in ("out", "cache", "canary")
        and not p.relative_to(tmp_path).parts[0].startswith("specs")
    ]
    assert not outside, outside
    packages = [p.name for p in out.iterdir() if p.is_dir()]
    assert all(name.isidentifier() for name in packages), packages
    assert generated > 0 and refused > 0
    add("spec_fields", len(FIELDS))
    assert generated + refused == len(entries)
    add("vector_documents", len(entries))
    add("vector_documents_generated", generated)
    add("vector_documents_refused", refused)
