"""``musicbind sync``: the manifest's documents fetched from the emulator's document server.

A document changed upstream is reported by ``sync --check`` (exit 1, nothing written),
then taken by ``sync`` (the change classified, the bindings regenerated, ``check``
passing); a 304 changes nothing; a broken upstream document, a 500, a cut or oversized
body, a removed document and an unreachable host each end in one line naming the
document and the reason, with the old copy kept.
"""

from __future__ import annotations

import datetime
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from sync_project import (
    INPUT_SCHEMA,
    OPENAPI,
    OPENAPI_ORIGIN,
    PAGE,
    PAGE_ORIGIN,
    SyncProject,
    make_project,
    make_template,
)

from musicbind.emulator.server import EmulatorServer


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_template(tmp_path_factory.mktemp("template"))


@pytest.fixture
def project(template: Path, tmp_path: Path) -> Iterator[SyncProject]:
    with EmulatorServer() as emulator:
        yield make_project(template, tmp_path / "project", emulator)


def _narrow_and_extend(project: SyncProject) -> None:
    """Upstream narrows the range of `seconds` (60 -> 45) and adds an optional `seed`."""
    seed = {"title": "Seed", "type": "integer", "description": "Fix it for repeatable output."}
    project.control(
        "edit",
        OPENAPI_ORIGIN,
        edits=[
            {"op": "replace", "path": f"{INPUT_SCHEMA}/seconds/maximum", "value": 45},
            {"op": "add", "path": f"{INPUT_SCHEMA}/seed", "value": seed},
        ],
    )


def test_a_changed_document_is_reported_by_check_then_taken_by_sync(
    project: SyncProject,
) -> None:
    same = project.run("sync", "--check")
    assert same.returncode == 0, same.stderr
    assert "Every document is as upstream has it" in same.stderr

    _narrow_and_extend(project)
    before = project.tree()
    checked = project.run("sync", "--check")
    assert checked.returncode == 1, checked.stderr
    assert f"{OPENAPI}: changed" in checked.stderr
    assert "BREAKING" in checked.stdout and "seconds: maximum 60 -> 45" in checked.stdout
    assert "COMPATIBLE" in checked.stdout and "seed: new optional field" in checked.stdout
    assert project.tree() == before, "--check must change nothing"

    synced = project.run("sync")
    assert synced.returncode == 0, synced.stderr
    assert "seconds: maximum 60 -> 45" in synced.stdout
    assert "1 breaking, 1 compatible" in synced.stderr
    specs = project.root / "specs"
    upstream = project.emulator.get(
        "/docs/fal/api/openapi/queue/openapi.json", params={"endpoint_id": "lumen/v1/text-to-music"}
    )
    assert (specs / OPENAPI).read_bytes() == upstream.content
    manifest = (specs / "manifest.yaml").read_text(encoding="utf-8")
    today = datetime.datetime.now(datetime.UTC).date().isoformat()
    assert f"    retrieved: {today}   # our first copy\n" in manifest
    assert f"    etag: '{upstream.headers['etag']}'\n" in manifest
    assert manifest.startswith("# Our fal documents (a comment of the user's")
    module = (project.root / "bindings/fal/lumen_v1_text_to_music.py").read_text()
    assert "Field(ge=5, le=45)" in module
    assert "seed: StrictInt" in module

    checked_bindings = project.run("check")
    assert checked_bindings.returncode == 0, checked_bindings.stdout + checked_bindings.stderr


def test_a_304_changes_nothing(project: SyncProject) -> None:
    first = project.run("sync")  # records the ETag and Last-Modified
    assert first.returncode == 0, first.stderr
    before = project.tree()

    again = project.run("sync")
    assert again.returncode == 0, again.stderr
    assert f"{OPENAPI}: not modified (304)" in again.stderr
    assert f"{PAGE}: not modified (304)" in again.stderr
    assert "nothing to regenerate" in again.stderr
    assert project.tree() == before
    assert project.answers(OPENAPI_ORIGIN).get("304") == 1
    checked = project.run("sync", "--check")
    assert checked.returncode == 0, checked.stderr


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("<html><body>Page moved</body></html>", "it does not load: upstream:specs/fal/"),
        (
            '{"openapi": "3.0.4", "info": {"title": "t", "version": "1"}, "paths": {}}',
            "it reads as 'openapi', the manifest says 'fal-page'",
        ),
    ],
    ids=["not-a-document", "another-kind"],
)
def test_a_broken_upstream_document_is_refused_and_the_old_one_kept(
    project: SyncProject, content: str, reason: str
) -> None:
    project.control("put", PAGE_ORIGIN, content=content)
    before = project.tree()

    synced = project.run("sync", PAGE)
    assert synced.returncode == 1
    assert f"{PAGE}: refused ({reason}" in synced.stderr
    assert "the old copy is kept" in synced.stderr
    assert "Traceback" not in synced.stderr
    assert project.tree() == before

    checked = project.run("sync", "--check", "fal:lumen/v1/text-to-music")
    assert checked.returncode == 1
    assert "would not load" in checked.stderr


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("500", "answered HTTP 500 Internal Server Error after 3 attempts"),
        ("truncate", "the body was cut short"),
        ("oversize", "larger than the 16,777,216 bytes musicbind reads"),
    ],
)
def test_an_upstream_failure_is_one_line_and_keeps_the_old_copy(
    project: SyncProject, fault: str, message: str
) -> None:
    _narrow_and_extend(project)
    project.control("fault", OPENAPI_ORIGIN, kind=fault, count=3)
    before = project.tree()

    synced = project.run("sync", OPENAPI)
    assert synced.returncode == 1
    lines = [line for line in synced.stderr.splitlines() if f"{OPENAPI}: failed" in line]
    assert len(lines) == 1 and message in lines[0], synced.stderr
    assert "Traceback" not in synced.stderr
    assert project.tree() == before


def test_a_removed_document_fails_and_check_exits_3(project: SyncProject) -> None:
    project.control("remove", PAGE_ORIGIN)
    before = project.tree()
    checked = project.run("sync", "--check")
    assert checked.returncode == 3
    assert f"{PAGE}: failed" in checked.stderr and "HTTP 404 Not Found" in checked.stderr
    assert project.tree() == before


def test_an_unreachable_host_is_one_line(project: SyncProject) -> None:
    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    synced = project.run("sync", PAGE, docs_url=f"http://127.0.0.1:{port}/docs/fal")
    assert synced.returncode == 1
    assert "cannot connect" in synced.stderr
    assert "Traceback" not in synced.stderr


def test_a_transient_500_is_retried(project: SyncProject) -> None:
    _narrow_and_extend(project)
    project.control("fault", OPENAPI_ORIGIN, kind="500", count=1)
    synced = project.run("sync", OPENAPI)
    assert synced.returncode == 0, synced.stderr
    assert f"{OPENAPI}: changed" in synced.stderr
    assert project.answers(OPENAPI_ORIGIN) == {"500": 1, "200": 1}


def test_usage_and_manifest_errors_exit_2_before_any_request(project: SyncProject) -> None:
    unknown = project.run("sync", "fal:lumen/v9/nothing")
    assert unknown.returncode == 2
    assert "fal:lumen/v9/nothing: no document in specs/manifest.yaml describes this" in (
        unknown.stderr
    )
    manifest = project.root / "specs/manifest.yaml"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(text.replace("retrieved: 2026-11-20\n", "etag: abc\n"), "utf-8")
    broken = project.run("sync", "--check")
    assert broken.returncode == 2
    assert (
        "specs/manifest.yaml:12:11: error: documents[1].etag: 'abc' is not an HTTP entity tag"
        in (broken.stderr)
    )
    assert project.answers(OPENAPI_ORIGIN) == {}
