"""The writer stays inside its folder, writes atomically, and removes only what it generated."""

from __future__ import annotations

from pathlib import Path

import pytest

from musicbind.generator.emit.emit import Emitted
from musicbind.generator.write import (
    DIFF_MAX_LINES,
    UnsafePathError,
    build_manifest,
    diff_tree,
    read_manifest,
    safe_target,
    up_to_date,
    write_tree,
)


@pytest.mark.parametrize(
    "path",
    [
        "../x.py",
        "/etc/passwd",
        "a/../../x.py",
        "a\\b.py",
        "a/.hidden.py",
        "a b.py",
        "fal/x.sh",
        "",
        "a//b.py",
    ],
)
def test_unsafe_paths_refused(tmp_path: Path, path: str) -> None:
    with pytest.raises(UnsafePathError):
        safe_target(tmp_path, path)


def test_symlink_escape_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    (out / "fal").symlink_to(outside)
    with pytest.raises(UnsafePathError):
        safe_target(out, "fal/x.py")


def _emit(files: dict[str, str]) -> Emitted:
    return Emitted(files, {})


def test_write_then_prune_only_generated_files(tmp_path: Path) -> None:
    out = tmp_path / "gen"
    first = _emit({"__init__.py": "A = 1\n", "fal/__init__.py": "", "fal/old.py": "X = 1\n"})
    write_tree(out, first, build_manifest(first, {"in": "1"}, "g", "0"))
    (out / "fal" / "mine.txt").write_text("user file")
    second = _emit({"__init__.py": "A = 2\n", "fal/__init__.py": ""})
    report = write_tree(out, second, build_manifest(second, {"in": "2"}, "g", "0"))
    assert report.written == ["__init__.py"]
    assert report.unchanged == ["fal/__init__.py"]
    assert report.removed == ["fal/old.py"]
    assert (out / "fal" / "mine.txt").read_text() == "user file"
    manifest = read_manifest(out)
    assert manifest is not None and manifest.inputs == {"in": "2"}


def test_up_to_date_notices_hand_edits_and_strays(tmp_path: Path) -> None:
    out = tmp_path / "gen"
    emitted = _emit({"__init__.py": "A = 1\n"})
    write_tree(out, emitted, build_manifest(emitted, {"in": "1"}, "g", "0"))
    assert up_to_date(out, {"in": "1"}, "g")
    assert not up_to_date(out, {"in": "2"}, "g")
    assert not up_to_date(out, {"in": "1"}, "other-generator")
    (out / "__init__.py").write_text("A = 3\n")
    assert not up_to_date(out, {"in": "1"}, "g")
    assert diff_tree(out, emitted.files)
    (out / "__init__.py").write_text("A = 1\n")
    (out / "stray.py").write_text("")
    assert not up_to_date(out, {"in": "1"}, "g")


def test_a_file_too_long_to_diff_has_its_change_counted(tmp_path: Path) -> None:
    """A line diff of a large file with many changed lines takes minutes: it is counted."""
    out = tmp_path / "gen"
    out.mkdir()
    old = [f'    "path_{i}": "{i:064x}",\n' for i in range(DIFF_MAX_LINES + 1)]
    new = [line.replace('"path_1', '"path_x') for line in old]  # 1 and 10.. and 100..
    (out / "_manifest.json").write_text("".join(old), encoding="utf-8")
    shown = diff_tree(out, {"_manifest.json": "".join([*new, "extra\n"])}, limit=None)
    changed = sum(line != again for line, again in zip(old, new, strict=True))
    assert shown == [
        "--- a/_manifest.json\n+++ b/_manifest.json\n"
        f"@@ {len(old)} -> {len(old) + 1} lines: {changed} removed, {changed + 1} added "
        f"(over {DIFF_MAX_LINES} lines: counted, not diffed) @@\n"
    ]
    (out / "small.py").write_text("A = 1\n", encoding="utf-8")
    assert "-A = 1\n" in diff_tree(out, {"small.py": "A = 2\n"}, limit=None)  # a line diff
