"""Golden records: each small input case must generate exactly its committed tree.

To accept a deliberate change, regenerate the expected trees and review the diff:

    UPDATE_GOLDEN=1 python -m pytest tests/golden
"""

from __future__ import annotations

import difflib
import os
import shutil
from pathlib import Path

import pytest
import yaml

from musicbind.generator.generate import generate_paths
from musicbind.generator.ingest import default_overlay_path

HERE = Path(__file__).resolve().parent
CASES = sorted(p.name for p in (HERE / "cases").iterdir() if p.is_dir())
UPDATE = "UPDATE_GOLDEN=1 python -m pytest tests/golden"
CASE_FILE = "case.yaml"  # beside each case's documents: how the case is generated


def _provider(case: Path) -> str | None:
    """The provider a case's ``case.yaml`` names (null: each document names its own)."""
    settings = yaml.safe_load((case / CASE_FILE).read_text(encoding="utf-8"))
    assert isinstance(settings, dict) and "provider" in settings, f"{case}/{CASE_FILE}"
    provider = settings["provider"]
    assert provider is None or isinstance(provider, str)
    return provider


def _tree(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(folder.rglob("*"))
        # The manifest carries the generator's hash; generated/'s drift test covers it.
        if p.is_file() and "__pycache__" not in p.parts and p.name != "_manifest.json"
    }


@pytest.mark.parametrize("case", CASES)
def test_golden(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = HERE / "cases" / case
    monkeypatch.chdir(folder)
    inputs = sorted(p for p in Path(".").iterdir() if p.name != CASE_FILE)
    out = tmp_path / f"golden_{case}"
    outcome = generate_paths(inputs, out, default_overlay_path(), _provider(folder))
    assert not outcome.errors, outcome.errors
    expected_dir = HERE / "expected" / f"golden_{case}"
    if os.environ.get("UPDATE_GOLDEN"):
        shutil.rmtree(expected_dir, ignore_errors=True)
        shutil.copytree(
            out, expected_dir, ignore=shutil.ignore_patterns("__pycache__", "_manifest.json")
        )
    got, expected = _tree(out), _tree(expected_dir)
    if got != expected:
        diff = "".join(
            line
            for path in sorted(set(got) | set(expected))
            for line in difflib.unified_diff(
                expected.get(path, "").splitlines(True),
                got.get(path, "").splitlines(True),
                f"expected/{path}",
                f"got/{path}",
            )
        )
        pytest.fail(f"golden tree for {case!r} differs; if intended, run: {UPDATE}\n{diff[:6000]}")
