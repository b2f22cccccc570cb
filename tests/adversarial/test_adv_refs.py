"""``$ref`` to a local file or a URL: refused with a located error, never read, never fetched.

Proof by three witnesses: the referenced local file holds a marker that must appear nowhere
in the output; an audit hook sees every ``open`` and ``socket.connect`` the process makes
while generating (none may touch the file or the recording port); and the recording port,
which nobody serves, must have no connection queued.
"""

from __future__ import annotations

import copy
import json
import os
import sys
from pathlib import Path
from typing import Any

import yaml
from adversarial_documents import REF_FILE, REF_MARKER, fal_openapi
from adversarial_support import ConnectionRecorder, Document, generate_batch, record

_WATCH: dict[str, Any] = {"active": False, "file": "", "port": -1, "events": []}


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if not _WATCH["active"]:
        return
    if event == "open" and args and _WATCH["file"] in str(args[0]) and _reads(args):
        _WATCH["events"].append((event, str(args[0])))
    elif event == "socket.connect" and len(args) > 1:
        address = args[1]
        if isinstance(address, tuple) and len(address) > 1 and address[1] == _WATCH["port"]:
            _WATCH["events"].append((event, repr(address)))


def _reads(args: tuple[Any, ...]) -> bool:
    """Whether an ``open`` audit event opens for reading (writing the file is the test's)."""
    mode = args[1] if len(args) > 1 else None
    flags = args[2] if len(args) > 2 and isinstance(args[2], int) else 0
    if isinstance(mode, str):
        return not set(mode) & set("wax+")
    return not flags & (os.O_WRONLY | os.O_RDWR)


sys.addaudithook(_audit)  # audit hooks cannot be removed: this one only acts while watching


def ref_forms(target: Path, origin: str) -> list[str]:
    """Every way of naming the local file or the recording server."""
    port = origin.rsplit(":", 1)[1]
    return [
        REF_FILE,
        f"./{REF_FILE}#/Marker",
        f"../specs/{REF_FILE}",
        str(target),
        f"{target}#/Marker",
        f"file://{target}",
        f"file://localhost{target}",
        f"{origin}/schema.json#/X",
        f"https://127.0.0.1:{port}/schema.json",
        f"//127.0.0.1:{port}/schema.json",
        f"HTTP://127.0.0.1:{port}/schema.json#/X",
        f" {origin}/schema.json",
        f"{REF_FILE}#/components/schemas/GenInput",
    ]


def place(document: dict[str, Any], position: str, ref: str) -> dict[str, Any]:
    """``document`` with ``ref`` at ``position``."""
    document = copy.deepcopy(document)
    schemas = document["components"]["schemas"]
    properties = schemas["GenInput"]["properties"]
    operation = next(iter(document["paths"].values()))["post"]
    if position == "property":
        properties["voice"] = {"$ref": ref}
    elif position == "allOf":
        properties["voice"] = {"allOf": [{"$ref": ref}]}
    elif position == "anyOf":
        properties["voice"] = {"anyOf": [{"$ref": ref}, {"type": "null"}]}
    elif position == "items":
        properties["voices"] = {"type": "array", "items": {"$ref": ref}}
    elif position == "alias":
        schemas["Alias"] = {"$ref": ref}
        properties["voice"] = {"$ref": "#/components/schemas/Alias"}
    elif position == "requestBody":
        operation["requestBody"] = {"$ref": ref}
        del schemas["GenInput"]  # else the loader falls back on it
    elif position == "response":  # the result the loader reads: GET .../requests/{request_id}
        submit = next(iter(document["paths"]))
        result = {"get": {"responses": {"200": {"$ref": ref}}}}
        document["paths"][f"{submit}/requests/{{request_id}}"] = result
        del schemas["GenOutput"]
    return document


POSITIONS = ("property", "allOf", "anyOf", "items", "alias", "requestBody", "response")


def test_file_and_url_refs_are_refused_never_read_or_fetched(tmp_path: Path) -> None:
    specs = tmp_path / "specs"
    specs.mkdir()
    target = specs / REF_FILE
    target.write_text(json.dumps({"Marker": {"type": "string", "title": REF_MARKER}}), "utf-8")
    with ConnectionRecorder() as recorder:
        forms = ref_forms(target, recorder.origin)
        documents = []
        for f, form in enumerate(forms):
            for p, position in enumerate(POSITIONS):
                for serial, dump in (("json", json.dumps), ("yaml", yaml.safe_dump)):
                    base = fal_openapi("", "", f"r{f}p{p}{serial}", old_dialect=serial == "yaml")
                    text = dump(place(base, position, form))
                    name = f"ref-{f}-{p}.{serial}"
                    label = f"$ref {form!r} at {position} ({serial})"
                    documents.append(Document(name, text.encode(), "openapi", label))
        marker = Document(REF_FILE, target.read_bytes(), "ref target")
        _WATCH.update(active=True, file=REF_FILE, port=recorder.port, events=[])
        try:
            batch = generate_batch(tmp_path, documents, companions=[marker])
        finally:
            _WATCH["active"] = False
        hits = recorder.hits()
    assert not batch.crashes, batch.crashes
    assert _WATCH["events"] == [], _WATCH["events"]
    assert hits == 0
    failures = []
    for document in documents:
        refusals = [
            e
            for e in batch.errors_of(document)
            if (e.location.pointer or "").endswith("/$ref") and "$ref" in e.message
        ]
        if not refusals:
            failures.append(f"{document.label}: no error at the $ref")
    assert not failures, "\n".join(failures)
    leaked = [
        p for p in batch.out.rglob("*") if p.is_file() and REF_MARKER.encode() in p.read_bytes()
    ]
    assert not leaked, leaked
    record("ref_attempts", len(documents))
    record("ref_hits", hits + len(_WATCH["events"]))
