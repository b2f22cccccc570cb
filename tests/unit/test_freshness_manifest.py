"""Reading ``_manifest.json``: a run reads it several times, and always sees what is on disk."""

from __future__ import annotations

import json
from pathlib import Path

import hypothesis.strategies as st
from hypothesis import given

from musicbind.generator.freshness import MANIFEST_NAME, Manifest, read_manifest


def _manifest(sha: str) -> str:
    files = {"fal/model.py": {"sha256": sha, "key": "k"}}
    data = {"generated_by": "musicbind 1", "generator": "g", "inputs": {}, "files": files}
    return json.dumps(data)


def test_an_edit_in_place_of_the_same_size_is_seen_at_once(tmp_path: Path) -> None:
    file = tmp_path / MANIFEST_NAME
    file.write_text(_manifest("a" * 64), encoding="utf-8")
    first = read_manifest(tmp_path)
    assert first is not None and first.files["fal/model.py"]["sha256"] == "a" * 64
    file.write_text(_manifest("b" * 64), encoding="utf-8")  # same size, same inode
    again = read_manifest(tmp_path)
    assert again is not None and again.files["fal/model.py"]["sha256"] == "b" * 64


def test_a_damaged_manifest_reads_as_none(tmp_path: Path) -> None:
    file = tmp_path / MANIFEST_NAME
    file.write_text(_manifest("a" * 64), encoding="utf-8")
    assert read_manifest(tmp_path) is not None
    for damaged in ('{"files": []}', _manifest("a").replace('{"sha256"', '["sha256"'), "\xff"):
        file.write_text(damaged, encoding="utf-8")
        assert read_manifest(tmp_path) is None
    file.write_bytes(b"\xff\xfe")
    assert read_manifest(tmp_path) is None
    file.unlink()
    assert read_manifest(tmp_path) is None


_TEXT = st.text(max_size=12)
_FILES = st.dictionaries(_TEXT, st.dictionaries(_TEXT, _TEXT, max_size=3), max_size=6)


@given(
    files=_FILES,
    inputs=st.dictionaries(_TEXT, _TEXT, max_size=4),
    errors=st.lists(_TEXT, max_size=3),
    kept=st.dictionaries(_TEXT, st.dictionaries(_TEXT, st.lists(_TEXT, max_size=2)), max_size=2),
)
def test_the_manifest_text_is_the_json_encoders_layout(
    files: dict[str, dict[str, str]],
    inputs: dict[str, str],
    errors: list[str],
    kept: dict[str, dict[str, list[str]]],
) -> None:
    """The manifest lays its file table out by hand (speed); the bytes stay the encoder's."""
    manifest = Manifest("1.0", "g", inputs, files, "pkg", errors=tuple(errors), kept=kept)
    text = manifest.as_text()
    expected = json.dumps(json.loads(text), sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    assert text == expected
    assert json.loads(text)["files"] == files
