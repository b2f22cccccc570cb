"""The writer never writes, replaces or deletes anything outside the output folder.

Emitted paths come from names the naming authority made, but the writer does not trust
that: every known path vector is refused as a relative path; a folder inside the output
that is a link to elsewhere, a manifest whose old entries point outside, and a manifest
that is itself a link are all refused or replaced without touching what lies outside.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from adversarial_documents import VECTORS

from musicbind.generator.emit.emit import Emitted
from musicbind.generator.write import (
    MANIFEST_NAME,
    Manifest,
    UnsafePathError,
    safe_target,
    write_tree,
)

PATHS = [
    "../x.py",
    "../../x.py",
    "/tmp/x.py",
    "a/../../b.py",
    "fal/../../b.py",
    "fal/..",
    "",
    ".",
    "a\x00.py",
    "a\\..\\b.py",
    "C:\\x.py",
    ".hidden.py",
    "fal/.x.py",
    "x.py/",
    "~/x.py",
    "fal//x.py",
    " x.py",
    "x.sh",
    "x.py\n",
    "x" * 300 + ".py",
    *[v.text for v in VECTORS if not v.text.isidentifier()],  # identifiers are plain names
]


def _tree(files: dict[str, str]) -> tuple[Emitted, Manifest]:
    emitted = Emitted(files, {})
    return emitted, Manifest("0", "gen", {}, {p: {"sha256": "0"} for p in files})


@pytest.mark.parametrize("relative", PATHS, ids=repr)
def test_no_path_vector_is_a_target(tmp_path: Path, relative: str) -> None:
    with pytest.raises(UnsafePathError):
        safe_target(tmp_path / "out", relative)


def test_plain_module_paths_are_targets(tmp_path: Path) -> None:
    assert safe_target(tmp_path, "fal/sonilo_v1_1.py") == tmp_path / "fal" / "sonilo_v1_1.py"


def test_a_linked_folder_cannot_carry_writes_outside(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    (out / "fal").symlink_to(outside, target_is_directory=True)
    emitted, manifest = _tree({"fal/model.py": "x = 1\n"})
    with pytest.raises(UnsafePathError, match="resolves outside"):
        write_tree(out, emitted, manifest)
    assert list(outside.iterdir()) == []


def test_old_manifest_entries_outside_are_never_deleted(tmp_path: Path) -> None:
    victim = tmp_path / "victim.py"
    victim.write_text("keep me", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    stale = {"../victim.py": {"sha256": "0"}, str(victim): {"sha256": "0"}}
    previous = {"generated_by": "musicbind 0", "generator": "g", "inputs": {}, "files": stale}
    (out / MANIFEST_NAME).write_text(json.dumps(previous), encoding="utf-8")
    emitted, manifest = _tree({"fal/model.py": "x = 1\n"})
    with pytest.raises(UnsafePathError):
        write_tree(out, emitted, manifest)
    assert victim.read_text(encoding="utf-8") == "keep me"


def test_a_linked_manifest_is_replaced_not_written_through(tmp_path: Path) -> None:
    target = tmp_path / "precious.json"
    target.write_text("precious", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / MANIFEST_NAME).symlink_to(target)
    emitted, manifest = _tree({"fal/model.py": "x = 1\n"})
    write_tree(out, emitted, manifest)
    assert target.read_text(encoding="utf-8") == "precious"
    assert not (out / MANIFEST_NAME).is_symlink()
