"""The files of a specs folder: where each listed document is, which files are strays.

What a user relies on: a document listed through a link is read from where the link
points, and one whose link leaves the specs folder is refused with the manifest's
location; a document-like file the manifest does not list is named in a warning (once,
whichever way it is reached), and a listed one never is.
"""

from __future__ import annotations

from pathlib import Path

from musicbind.generator.ingest import build_from_specs
from musicbind.generator.load.records import Level, Location
from musicbind.generator.project_files.overlay import ManifestEntry
from musicbind.generator.settings import display_path
from musicbind.generator.specs_folder import FolderFiles, locate, strays


def _entry(path: str) -> ManifestEntry:
    where = Location("specs/manifest.yaml", 2)
    return ManifestEntry(path, "fal", "openapi", "test", "2026-12-01", where)


def _folder(tmp_path: Path) -> Path:
    specs = tmp_path / "project" / "specs"
    (specs / "fal").mkdir(parents=True)
    (specs / "fal" / "a.json").write_text("{}")
    (specs / "fal" / "stray.md").write_text("# not listed")
    (specs / "notes.txt").write_text("also not listed")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "b.json").write_text("{}")
    (specs / "linked").symlink_to(outside, target_is_directory=True)  # a link to a folder
    (specs / "fal" / "c.json").symlink_to(specs / "fal" / "a.json")  # a link inside
    (specs / "fal" / "d.json").symlink_to(outside / "b.json")  # a link out of the folder
    return specs


def test_each_entry_is_resolved_as_the_file_system_would(tmp_path: Path) -> None:
    specs = _folder(tmp_path)
    base = tmp_path / "project"
    paths = ["fal/a.json", "./fal/a.json", "fal/../fal/a.json", "fal/c.json", "fal/d.json"]
    paths += ["linked/b.json", "fal/missing.json"]
    listed = locate(specs, base, [_entry(p) for p in paths], FolderFiles.walk(specs))
    for path, found in zip(paths, listed, strict=True):
        assert found.target == (specs / path).resolve(), path
        assert found.display == display_path((specs / path).resolve(), base), path
    inside = {p: f.inside for p, f in zip(paths, listed, strict=True)}
    assert inside == {
        "fal/a.json": True,
        "./fal/a.json": True,
        "fal/../fal/a.json": True,
        "fal/c.json": True,
        "fal/d.json": False,
        "linked/b.json": False,
        "fal/missing.json": True,
    }


def test_only_unlisted_documents_are_strays(tmp_path: Path) -> None:
    specs = _folder(tmp_path)
    base = tmp_path / "project"
    found = FolderFiles.walk(specs)
    listed = locate(specs, base, [_entry("fal/a.json"), _entry("fal/d.json")], found)
    warned = [str(p) for p in strays(base, listed, (), found)]
    assert warned == [  # c.json is a link to a listed document
        "specs/fal/stray.md: warning: not listed in manifest.yaml, so not read",
        "specs/notes.txt: warning: not listed in manifest.yaml, so not read",
    ]


def test_a_listed_link_out_of_the_folder_is_refused_at_the_manifest(tmp_path: Path) -> None:
    specs = _folder(tmp_path)
    (specs / "manifest.yaml").write_text(
        "documents:\n"
        "  - {path: fal/d.json, provider: fal, kind: openapi}\n"
        "  - {path: fal/a.json, provider: fal, kind: openapi}\n"
    )
    (specs / "overlay.yaml").write_text("providers: {}\n")
    built = build_from_specs(specs, tmp_path / "project", cache=False)
    errors = [p for p in built.registry.problems if p.level is Level.ERROR]
    refused = [p for p in errors if "points outside the specs folder" in p.message]
    assert [(p.location.path, p.location.line) for p in refused] == [("specs/manifest.yaml", 2)]
