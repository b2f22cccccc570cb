"""``musicbind add``: a model the emulator's document server publishes, added in one command.

The documents are read at fal's documented locations (the queue OpenAPI document and the
llms.txt model page, through ``MUSICBIND_FAL_DOCS_URL``), stored under specs/, listed in
the manifest with their real origins and generated; ``--dry-run`` only says what it would
fetch; a model already listed, or one whose documents are not all there, adds nothing.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from pathlib import Path

import pytest
from sync_project import FIXTURES, SyncProject, make_project, make_template

from musicbind.emulator.server import EmulatorServer

MODEL = "fal:lumen/v1/sound-effects"
OPENAPI = "fal/lumen-v1-sound-effects.openapi.json"
PAGE = "fal/lumen-v1-sound-effects.md"
OPENAPI_ORIGIN = "https://fal.ai/api/openapi/queue/openapi.json?endpoint_id=lumen/v1/sound-effects"
PAGE_ORIGIN = "https://fal.ai/models/lumen/v1/sound-effects/llms.txt"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_template(tmp_path_factory.mktemp("template"))


@pytest.fixture
def project(template: Path, tmp_path: Path) -> Iterator[SyncProject]:
    with EmulatorServer() as emulator:
        yield make_project(template, tmp_path / "project", emulator)


def test_add_stores_lists_and_generates_a_served_model(project: SyncProject) -> None:
    project.serve(OPENAPI_ORIGIN, OPENAPI)
    project.serve(PAGE_ORIGIN, PAGE)
    before = project.tree()

    dry = project.run("add", MODEL, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "/docs/fal/api/openapi/queue/openapi.json?endpoint_id=lumen/v1/sound-effects" in (
        dry.stdout
    )
    assert f"-> specs/{PAGE} (fal-page)" in dry.stdout
    assert project.tree() == before
    assert project.answers(OPENAPI_ORIGIN) == {}, "--dry-run fetches nothing"

    added = project.run("add", MODEL)
    assert added.returncode == 0, added.stderr
    specs = project.root / "specs"
    for name in (OPENAPI, PAGE):
        assert (specs / name).read_bytes() == (FIXTURES / name).read_bytes()
    manifest = (specs / "manifest.yaml").read_text(encoding="utf-8")
    today = datetime.datetime.now(datetime.UTC).date().isoformat()
    assert (
        f"  - path: {OPENAPI}\n    provider: fal\n    kind: openapi\n"
        f"    origin: {OPENAPI_ORIGIN}\n    retrieved: {today}\n"
    ) in manifest
    assert f"  - path: {PAGE}\n    provider: fal\n    kind: fal-page\n" in manifest
    assert "    retrieved: 2026-11-20   # our first copy\n" in manifest
    module = project.root / "bindings/fal/lumen_v1_sound_effects.py"
    assert "class LumenV1SoundEffectsInput" in module.read_text(encoding="utf-8")
    checked = project.run("check", "--strict")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    synced = project.run("sync", "--check", MODEL)
    assert synced.returncode == 0, synced.stderr
    assert f"{PAGE}: not modified (304)" in synced.stderr


def test_add_refuses_a_model_already_listed(project: SyncProject) -> None:
    before = project.tree()
    again = project.run("add", "fal:lumen/v1/text-to-music")
    assert again.returncode == 1
    assert "fal:lumen/v1/text-to-music is already in specs/manifest.yaml" in again.stderr
    assert "`musicbind sync fal:lumen/v1/text-to-music`" in again.stderr
    assert project.tree() == before


def test_add_never_overwrites_an_unlisted_file(project: SyncProject) -> None:
    project.serve(OPENAPI_ORIGIN, OPENAPI)
    project.serve(PAGE_ORIGIN, PAGE)
    (project.root / "specs" / PAGE).write_text("my notes\n", encoding="utf-8")
    before = project.tree()
    added = project.run("add", MODEL)
    assert added.returncode == 1
    assert f"specs/{PAGE} already there but not listed in specs/manifest.yaml" in added.stderr
    assert project.tree() == before


def test_add_adds_nothing_when_a_document_is_missing(project: SyncProject) -> None:
    project.serve(OPENAPI_ORIGIN, OPENAPI)  # the model page is not published
    before = project.tree()
    added = project.run("add", MODEL)
    assert added.returncode == 1
    assert "answered HTTP 404 Not Found; nothing was added" in added.stderr
    assert "Traceback" not in added.stderr
    assert project.tree() == before


def test_add_refuses_a_document_about_another_model(project: SyncProject) -> None:
    project.serve(OPENAPI_ORIGIN, "fal/lumen-v1-text-to-music.openapi.json")
    project.serve(PAGE_ORIGIN, PAGE)
    before = project.tree()
    added = project.run("add", MODEL)
    assert added.returncode == 1
    assert "it does not describe lumen/v1/sound-effects" in added.stderr
    assert project.tree() == before


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("nowhere:x/y", "PROVIDER one of aigateway, fal, scenario"),
        ("fal:../../etc", "is not a model id"),
        ("fal:a b", "is not a model id"),
    ],
)
def test_add_refuses_a_bad_ref(project: SyncProject, ref: str, message: str) -> None:
    refused = project.run("add", ref, "--dry-run")
    assert refused.returncode == 2
    assert message in refused.stderr


@pytest.mark.parametrize(
    ("ref", "origin", "fixture", "stored", "module"),
    [
        (
            "scenario:model_lumen-chimes",
            "https://app.scenario.com/api/models/model_lumen-chimes/markdown",
            "scenario/model_lumen-chimes.md",
            "scenario/model_lumen-chimes.md",
            "bindings/scenario/lumen_chimes.py",
        ),
        (
            "aigateway:lumen/v1/text-to-music",
            "https://aigateway.sh/models/lumen/v1/text-to-music",
            "aigateway/lumen-v1-text-to-music.md",
            "aigateway/lumen-v1-text-to-music.md",
            "bindings/aigateway/lumen_v1_text_to_music.py",
        ),
    ],
    ids=["scenario", "aigateway"],
)
def test_add_reads_each_providers_documented_page(
    project: SyncProject, ref: str, origin: str, fixture: str, stored: str, module: str
) -> None:
    provider = ref.partition(":")[0]
    project.serve(origin, fixture, provider)
    added = project.run("add", ref)
    assert added.returncode == 0, added.stderr
    specs = project.root / "specs"
    assert (specs / stored).read_bytes() == (FIXTURES / fixture).read_bytes()
    manifest = (specs / "manifest.yaml").read_text(encoding="utf-8")
    assert f"  - path: {stored}\n    provider: {provider}\n" in manifest
    assert f"    origin: {origin}\n" in manifest
    assert (project.root / module).is_file()
